// One stack signature for every goroutine source, and the frame type the dumps print.

/// One frame of a goroutine stack, as printed in a goroutine dump.
public struct StackFrame: Sendable, Hashable, Codable {
    /// Fully qualified function name without the argument list or `+0x..` offset,
    /// e.g. `net/http.(*conn).serve` or `main.waitGeneric[...]`.
    public var function: String
    /// Source file path as printed by the runtime; empty when the dump did not give one.
    public var file: String
    /// Source line; 0 when the dump did not give one.
    public var line: Int

    /// Creates a frame.
    public init(function: String, file: String = "", line: Int = 0) {
        self.function = function
        self.file = file
        self.line = line
    }
}

/// Turns function-name lists from any goroutine source (debug=2 dump, debug=1 text, profile.proto)
/// into one comparable stack signature.
public enum GoroutineSignature {
    /// The signature of a stack given its function names leaf first.
    ///
    /// Unexported `runtime.*` frames (`runtime.gopark`, `runtime.chanrecv1`, `runtime.goexit`,
    /// `runtime.main`, ...) are dropped wherever they appear, and leading `internal/runtime/*` frames are
    /// dropped, because debug=2 hides them, debug=1 hides the leading ones and profile.proto keeps them
    /// all. `runtime.gopanic` is kept under the name debug=2 prints for it, `panic`. Generic instantiations are
    /// written `[...]` as the text formats print them (profile.proto says `main.waitGeneric[go.shape.string]`).
    public static func normalize<S: Sequence>(_ functions: S) -> [String] where S.Element == String {
        var result: [String] = []
        var leading = true
        for rawName in functions {
            let name = rawName.utf8.contains(UInt8(ascii: "[")) ? elidingTypeArguments(rawName) : rawName
            if name == "runtime.gopanic" || name == "panic" {
                result.append("panic")
                leading = false
                continue
            }
            if isUnexportedRuntime(name) { continue }
            if leading && name.hasPrefix("internal/runtime/") { continue }
            leading = false
            result.append(name)
        }
        return result
    }

    /// `name` with the contents of every outermost `[...]` replaced by `...`:
    /// `main.Map[go.shape.int,go.shape.[]string].Get` becomes `main.Map[...].Get`.
    public static func elidingTypeArguments(_ name: String) -> String {
        var out = ""
        var depth = 0
        for ch in name {
            switch ch {
            case "[":
                if depth == 0 { out += "[..." }
                depth += 1
            case "]" where depth > 0:
                depth -= 1
                if depth == 0 { out += "]" }
            default:
                if depth == 0 { out.append(ch) }
            }
        }
        if depth > 0 { out += "]" }
        return out
    }

    /// Whether `name` is an unexported function of package `runtime` (e.g. `runtime.gopark`).
    public static func isUnexportedRuntime(_ name: String) -> Bool {
        var utf8 = name.utf8.makeIterator()
        for expected in "runtime.".utf8 {
            guard utf8.next() == expected else { return false }
        }
        guard let first = utf8.next() else { return false }
        return !(first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z"))
    }
}
