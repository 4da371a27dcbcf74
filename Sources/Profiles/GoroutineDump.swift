import Foundation

/// A full goroutine dump (`/debug/pprof/goroutine?debug=2`, i.e. `runtime.Stack(buf, true)`), Go 1.19–1.27.
public struct GoroutineDump: Sendable, Equatable {
    /// Goroutines in the order the dump lists them.
    public var goroutines: [GoroutineRecord]

    /// Creates a dump from records.
    public init(goroutines: [GoroutineRecord]) {
        self.goroutines = goroutines
    }

    /// Parses a debug=2 dump from UTF-8 bytes.
    ///
    /// Tolerant by design: text before the first `goroutine N [...]:` header (e.g. a `panic:` message),
    /// ancestor sections (`[originating from goroutine N]:`), `goroutine running on other thread` lines and a
    /// truncated last record are accepted. Throws ``GoroutineDumpError`` only when no goroutine header is found.
    public static func parse(_ bytes: [UInt8]) throws -> GoroutineDump {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0) }
    }

    /// Parses a debug=2 dump from `Data`.
    public static func parse(_ data: Data) throws -> GoroutineDump {
        try data.withUnsafeBytes { raw in
            try parse(buffer: raw.bindMemory(to: UInt8.self))
        }
    }

    /// Parses a debug=2 dump from a string.
    public static func parse(_ text: String) throws -> GoroutineDump {
        var text = text
        return try text.withUTF8 { try parse(buffer: $0) }
    }

    /// Parses a debug=2 dump from a buffer of UTF-8 bytes (the zero-copy entry point).
    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws -> GoroutineDump {
        var parser = GoroutineDumpParser(text: GoroutineByteText(base: buffer))
        let records = parser.run()
        guard !records.isEmpty else {
            throw GoroutineDumpError.noGoroutineHeader(byteCount: buffer.count, firstLine: goroutineTextFirstLine(buffer))
        }
        return GoroutineDump(goroutines: records)
    }
}

/// One goroutine of a debug=2 dump.
public struct GoroutineRecord: Sendable, Equatable {
    /// Goroutine id (`goroutine <id> [`).
    public var id: Int
    /// Status or wait reason without flags, wait time or thread lock, e.g. `chan receive`, `select (no cases)`,
    /// `IO wait`, `running`. Opaque: the runtime adds reasons over time.
    public var state: String
    /// Minutes spent waiting (`, N minutes`); nil when the runtime printed none (less than one minute, or
    /// not waiting, or a `(leaked)` goroutine).
    public var waitMinutes: Int?
    /// `, locked to thread` was present.
    public var lockedToThread: Bool
    /// `(leaked)` was present (Go 1.26+ goroutine leak detector proved it can never run).
    public var leaked: Bool
    /// Goroutine labels from the header (`{worker: leaky}`, Go 1.27+); empty when none were printed.
    public var labels: [String: String]
    /// Frames leaf first, as printed (hidden runtime frames are absent already).
    public var frames: [StackFrame]
    /// Number of frames the runtime elided (`...N frames elided...`); 0 when none or unknown.
    public var elidedFrames: Int
    /// An elision marker (`...N frames elided...` or `...additional frames elided...`) was present.
    public var truncated: Bool
    /// The `created by` frame; nil for goroutine 1 and for records cut short.
    public var createdBy: StackFrame?
    /// The creating goroutine's id (`created by X in goroutine N`, Go 1.21+).
    public var creatorID: Int?

    /// Creates a record.
    public init(
        id: Int, state: String, waitMinutes: Int? = nil, lockedToThread: Bool = false, leaked: Bool = false,
        labels: [String: String] = [:], frames: [StackFrame] = [], elidedFrames: Int = 0, truncated: Bool = false,
        createdBy: StackFrame? = nil, creatorID: Int? = nil
    ) {
        self.id = id
        self.state = state
        self.waitMinutes = waitMinutes
        self.lockedToThread = lockedToThread
        self.leaked = leaked
        self.labels = labels
        self.frames = frames
        self.elidedFrames = elidedFrames
        self.truncated = truncated
        self.createdBy = createdBy
        self.creatorID = creatorID
    }

    /// Stack signature: normalized function names leaf first (see ``GoroutineSignature/normalize(_:)``).
    public var signature: [String] {
        GoroutineSignature.normalize(frames.lazy.map(\.function))
    }
}

/// Why a goroutine dump could not be parsed.
public enum GoroutineDumpError: Error, Equatable, CustomStringConvertible {
    /// The input holds no `goroutine N [...]:` header.
    case noGoroutineHeader(byteCount: Int, firstLine: String)

    /// One sentence naming the input and the problem.
    public var description: String {
        switch self {
        case let .noGoroutineHeader(count, first):
            if count == 0 { return "goroutine dump (debug=2) is empty: expected `goroutine N [state]:` blocks" }
            return "goroutine dump (debug=2) of \(count) bytes has no `goroutine N [state]:` header "
                + "(first line: \(first.debugDescription))"
        }
    }
}

/// First line of the input, shortened, for error messages.
func goroutineTextFirstLine(_ buffer: UnsafeBufferPointer<UInt8>) -> String {
    var end = 0
    while end < buffer.count && end < 80 && buffer[end] != 10 { end += 1 }
    return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<end]), as: UTF8.self)
}

// MARK: - Parser

struct GoroutineDumpParser {
    let text: GoroutineByteText
    var interner = GoroutineStringInterner()

    init(text: GoroutineByteText) {
        self.text = text
    }

    private enum Mode { case outside, frames, ancestors }

    mutating func run() -> [GoroutineRecord] {
        var records: [GoroutineRecord] = []
        var current: GoroutineRecord?
        var pendingFunction: String?
        var pendingIsCreator = false
        var mode = Mode.outside
        var position = 0

        func flushPending(into record: inout GoroutineRecord?, _ function: inout String?, _ isCreator: Bool) {
            // A function line with no file line after it (cut dump) still counts as a frame.
            guard let name = function else { return }
            if isCreator { record?.createdBy = StackFrame(function: name) } else {
                record?.frames.append(StackFrame(function: name))
            }
            function = nil
        }

        while let (start, end, next) = text.line(from: position) {
            position = next
            if text.hasPrefix("goroutine ", at: start, end: end), let header = parseHeader(start, end) {
                flushPending(into: &current, &pendingFunction, pendingIsCreator)
                if let done = current { records.append(done) }
                current = header
                mode = .frames
                continue
            }
            if mode == .outside { continue }
            if text.isBlank(start, end) {
                flushPending(into: &current, &pendingFunction, pendingIsCreator)
                if let done = current { records.append(done) }
                current = nil
                mode = .outside
                continue
            }
            if mode == .ancestors { continue }
            let first = text.base[start]
            if first == 9 {  // "\tfile:line +0x.."
                guard let name = pendingFunction else { continue }
                let (file, line) = parseLocation(start + 1, end)
                let frame = StackFrame(function: name, file: file, line: line)
                if pendingIsCreator { current?.createdBy = frame } else { current?.frames.append(frame) }
                pendingFunction = nil
                continue
            }
            flushPending(into: &current, &pendingFunction, pendingIsCreator)
            if first == UInt8(ascii: "."), text.hasPrefix("...", at: start, end: end) {
                current?.truncated = true
                if let (n, _) = text.decimal(at: start + 3, end: end) {
                    current?.elidedFrames += n
                }
                continue
            }
            if first == UInt8(ascii: "["), text.hasPrefix("[originating from goroutine", at: start, end: end) {
                mode = .ancestors
                continue
            }
            if text.hasPrefix("created by ", at: start, end: end) {
                var nameEnd = end
                if let inAt = text.findLast(" in goroutine ", from: start + 11, to: end) {
                    if let (n, after) = text.decimal(at: inAt + 14, end: end), after == end {
                        current?.creatorID = n
                    }
                    nameEnd = inAt
                }
                pendingFunction = interner.intern(text, start + 11, nameEnd)
                pendingIsCreator = true
                continue
            }
            pendingFunction = interner.intern(text, start, functionNameEnd(start, end))
            pendingIsCreator = false
        }
        flushPending(into: &current, &pendingFunction, pendingIsCreator)
        if let done = current { records.append(done) }
        return records
    }

    /// End of the function name: the `(` opening the final balanced argument list, or the line end.
    private func functionNameEnd(_ start: Int, _ end: Int) -> Int {
        guard end > start, text.base[end - 1] == UInt8(ascii: ")") else { return end }
        var depth = 0
        var i = end - 1
        while i > start {
            let c = text.base[i]
            if c == UInt8(ascii: ")") {
                depth += 1
            } else if c == UInt8(ascii: "(") {
                depth -= 1
                if depth == 0 { return i }
            }
            i -= 1
        }
        return end
    }

    /// `file:line [+0xoff] [fp=.. sp=.. pc=..]` → (file, line).
    private mutating func parseLocation(_ start: Int, _ end: Int) -> (String, Int) {
        guard let colon = text.lastIndex(of: UInt8(ascii: ":"), from: start, to: end),
              let (line, after) = text.decimal(at: colon + 1, end: end),
              after == end || text.base[after] == 32
        else {
            return ("", 0)
        }
        return (interner.intern(text, start, colon), line)
    }

    /// `goroutine <id>[ gp=.. m=..] [<status>][ {<labels>}]:`
    private mutating func parseHeader(_ start: Int, _ end: Int) -> GoroutineRecord? {
        guard let (id, afterID) = text.decimal(at: start + 10, end: end) else { return nil }
        guard end > afterID, text.base[end - 1] == UInt8(ascii: ":") else { return nil }
        guard let open = text.find(" [", from: afterID, to: end) else { return nil }
        guard let close = text.firstIndex(of: UInt8(ascii: "]"), from: open + 2, to: end) else { return nil }
        var labels: [String: String] = [:]
        let tail = close + 1
        let tailEnd = end - 1  // before ':'
        if tail < tailEnd {
            guard text.hasPrefix(" {", at: tail, end: tailEnd), text.base[tailEnd - 1] == UInt8(ascii: "}") else {
                return nil
            }
            // A label set we cannot read must not lose the goroutine: keep it whole under one key.
            labels = parseGoroutineLabelSet(text, tail + 2, tailEnd - 1) ?? ["": text.string(tail + 2, tailEnd - 1)]
        }
        var record = GoroutineRecord(id: id, state: "", labels: labels)
        // Split the status on ", ": first part is the state with flags, the rest are attributes.
        var partStart = open + 2
        var isFirst = true
        while partStart <= close {
            let partEnd = text.find(", ", from: partStart, to: close) ?? close
            if isFirst {
                var stateEnd = partEnd
                while true {
                    if text.hasSuffix(" (leaked)", start: partStart, end: stateEnd) {
                        record.leaked = true
                        stateEnd -= 9
                    } else if text.hasSuffix(" (scan)", start: partStart, end: stateEnd) {
                        stateEnd -= 7
                    } else {
                        break
                    }
                }
                record.state = interner.intern(text, partStart, stateEnd)
                isFirst = false
            } else if text.hasSuffix(" minutes", start: partStart, end: partEnd),
                      let (minutes, after) = text.decimal(at: partStart, end: partEnd), after == partEnd - 8 {
                record.waitMinutes = minutes
            } else if text.hasPrefix("locked to thread", at: partStart, end: partEnd) {
                record.lockedToThread = true
            }
            partStart = partEnd + 2
        }
        return record
    }
}
