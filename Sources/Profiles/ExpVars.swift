import Foundation

/// The JSON document served by `/debug/vars` (Go `expvar`).
public struct ExpVars: Sendable, Equatable {
    /// `cmdline`: the process arguments; empty when absent.
    public var cmdline: [String]
    /// `memstats`: `runtime.MemStats`; nil when the document has no `memstats` object.
    public var memStats: GoMemStats?
    /// Every other published variable, keyed by name, as raw JSON values (e.g. `leaked_goroutines`).
    public var other: [String: ExpVarValue]

    /// Creates a value.
    public init(cmdline: [String] = [], memStats: GoMemStats? = nil, other: [String: ExpVarValue] = [:]) {
        self.cmdline = cmdline
        self.memStats = memStats
        self.other = other
    }

    /// Parses `/debug/vars` JSON. Missing memstats fields read as zero; invalid JSON, a top level that is not an
    /// object, or a memstats field of the wrong type throw ``ExpVarsError``.
    public static func parse(_ bytes: [UInt8]) throws -> ExpVars {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0) }
    }

    /// Parses `/debug/vars` JSON from `Data`.
    public static func parse(_ data: Data) throws -> ExpVars {
        try data.withUnsafeBytes { try parse(buffer: $0.bindMemory(to: UInt8.self)) }
    }

    /// Parses `/debug/vars` JSON from a string.
    public static func parse(_ text: String) throws -> ExpVars {
        var text = text
        return try text.withUTF8 { try parse(buffer: $0) }
    }

    /// Parses `/debug/vars` JSON from a buffer of UTF-8 bytes.
    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws -> ExpVars {
        var reader = ExpVarJSONReader(bytes: buffer)
        let root = try reader.parseDocument()
        guard case let .object(fields) = root else {
            throw ExpVarsError.notAnObject(found: root.kindName)
        }
        var result = ExpVars()
        for (key, value) in fields {
            switch key {
            case "cmdline":
                if case let .array(items) = value {
                    result.cmdline = items.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
                } else {
                    result.other[key] = value
                }
            case "memstats":
                guard case let .object(stats) = value else {
                    throw ExpVarsError.wrongType(field: "memstats", expected: "an object", found: value.kindName)
                }
                result.memStats = try GoMemStats(json: stats)
            default:
                result.other[key] = value
            }
        }
        return result
    }
}

/// `runtime.MemStats` as marshalled by expvar. Fields absent from the document are zero.
public struct GoMemStats: Sendable, Equatable, Codable {
    /// Bytes of allocated heap objects (same as `HeapAlloc`).
    public var alloc: UInt64 = 0
    /// Cumulative bytes allocated for heap objects (exact, never decreases).
    public var totalAlloc: UInt64 = 0
    /// Total bytes of memory obtained from the OS.
    public var sys: UInt64 = 0
    /// Cumulative count of heap objects allocated.
    public var mallocs: UInt64 = 0
    /// Cumulative count of heap objects freed.
    public var frees: UInt64 = 0
    /// Bytes of allocated heap objects.
    public var heapAlloc: UInt64 = 0
    /// Bytes of heap memory obtained from the OS.
    public var heapSys: UInt64 = 0
    /// Bytes in idle (unused) spans.
    public var heapIdle: UInt64 = 0
    /// Bytes in in-use spans.
    public var heapInuse: UInt64 = 0
    /// Bytes of physical memory returned to the OS.
    public var heapReleased: UInt64 = 0
    /// Number of allocated heap objects.
    public var heapObjects: UInt64 = 0
    /// Bytes in stack spans.
    public var stackInuse: UInt64 = 0
    /// Bytes of stack memory obtained from the OS.
    public var stackSys: UInt64 = 0
    /// Target heap size of the next GC cycle.
    public var nextGC: UInt64 = 0
    /// End time of the last GC, nanoseconds since the Unix epoch.
    public var lastGC: UInt64 = 0
    /// Cumulative nanoseconds in GC stop-the-world pauses.
    public var pauseTotalNs: UInt64 = 0
    /// Circular buffer of recent pause durations (ns); the most recent is at `(numGC+255)%256`.
    public var pauseNs: [UInt64] = []
    /// Circular buffer of recent pause end times (ns since epoch), same indexing as `pauseNs`.
    public var pauseEnd: [UInt64] = []
    /// Number of completed GC cycles.
    public var numGC: UInt64 = 0
    /// Number of GC cycles forced by the application (`runtime.GC`, `?gc=1`, leak detection).
    public var numForcedGC: UInt64 = 0
    /// Fraction of CPU time used by the GC since the program started.
    public var gcCPUFraction: Double = 0

    /// Creates zeroed stats.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case alloc, sys, mallocs, frees
        case totalAlloc = "total_alloc", heapAlloc = "heap_alloc", heapSys = "heap_sys", heapIdle = "heap_idle"
        case heapInuse = "heap_inuse", heapReleased = "heap_released", heapObjects = "heap_objects"
        case stackInuse = "stack_inuse", stackSys = "stack_sys", nextGC = "next_gc", lastGC = "last_gc"
        case pauseTotalNs = "pause_total_ns", pauseNs = "pause_ns", pauseEnd = "pause_end", numGC = "num_gc"
        case numForcedGC = "num_forced_gc", gcCPUFraction = "gc_cpu_fraction"
    }

    init(json: [String: ExpVarValue]) throws {
        func unsigned(_ name: String) throws -> UInt64 {
            guard let value = json[name] else { return 0 }
            switch value {
            case let .integer(n) where n >= 0: return UInt64(n)
            case let .number(d) where d >= 0 && d < 1.8e19 && d.rounded() == d: return UInt64(d)
            default:
                throw ExpVarsError.wrongType(field: "memstats.\(name)", expected: "a non-negative integer",
                                             found: value.kindName)
            }
        }
        func ring(_ name: String) throws -> [UInt64] {
            guard let value = json[name] else { return [] }
            guard case let .array(items) = value else {
                throw ExpVarsError.wrongType(field: "memstats.\(name)", expected: "an array", found: value.kindName)
            }
            return try items.enumerated().map { index, item in
                switch item {
                case let .integer(n) where n >= 0: return UInt64(n)
                case let .number(d) where d >= 0 && d < 1.8e19 && d.rounded() == d: return UInt64(d)
                default:
                    throw ExpVarsError.wrongType(field: "memstats.\(name)[\(index)]", expected: "a non-negative integer",
                                                 found: item.kindName)
                }
            }
        }
        alloc = try unsigned("Alloc")
        totalAlloc = try unsigned("TotalAlloc")
        sys = try unsigned("Sys")
        mallocs = try unsigned("Mallocs")
        frees = try unsigned("Frees")
        heapAlloc = try unsigned("HeapAlloc")
        heapSys = try unsigned("HeapSys")
        heapIdle = try unsigned("HeapIdle")
        heapInuse = try unsigned("HeapInuse")
        heapReleased = try unsigned("HeapReleased")
        heapObjects = try unsigned("HeapObjects")
        stackInuse = try unsigned("StackInuse")
        stackSys = try unsigned("StackSys")
        nextGC = try unsigned("NextGC")
        lastGC = try unsigned("LastGC")
        pauseTotalNs = try unsigned("PauseTotalNs")
        pauseNs = try ring("PauseNs")
        pauseEnd = try ring("PauseEnd")
        numGC = try unsigned("NumGC")
        numForcedGC = try unsigned("NumForcedGC")
        if let value = json["GCCPUFraction"] {
            switch value {
            case let .integer(n): gcCPUFraction = Double(n)
            case let .number(d): gcCPUFraction = d
            default:
                throw ExpVarsError.wrongType(field: "memstats.GCCPUFraction", expected: "a number", found: value.kindName)
            }
        }
    }
}

/// A raw JSON value from `/debug/vars`.
public enum ExpVarValue: Sendable, Equatable, Codable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits `Int64`.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([ExpVarValue])
    /// An object (key order is not kept).
    case object([String: ExpVarValue])

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? container.decode(Double.self) {
            self = .number(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([ExpVarValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: ExpVarValue].self))
        }
    }

    /// Encodes as the plain JSON value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(b): try container.encode(b)
        case let .integer(i): try container.encode(i)
        case let .number(d): try container.encode(d)
        case let .string(s): try container.encode(s)
        case let .array(a): try container.encode(a)
        case let .object(o): try container.encode(o)
        }
    }

    /// The numeric value, if this is a number.
    public var doubleValue: Double? {
        switch self {
        case let .integer(i): return Double(i)
        case let .number(d): return d
        default: return nil
        }
    }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Why a `/debug/vars` document could not be read.
public enum ExpVarsError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not valid JSON.
    case invalidJSON(offset: Int, reason: String)
    /// The document is valid JSON but not an object.
    case notAnObject(found: String)
    /// A known field has the wrong JSON type.
    case wrongType(field: String, expected: String, found: String)

    /// One sentence naming the input and the problem.
    public var description: String {
        switch self {
        case let .invalidJSON(offset, reason):
            return "expvar document (/debug/vars) is not valid JSON at byte \(offset): \(reason)"
        case let .notAnObject(found):
            return "expvar document (/debug/vars) is \(found), expected a JSON object of variables"
        case let .wrongType(field, expected, found):
            return "expvar document (/debug/vars): \(field) is \(found), expected \(expected)"
        }
    }
}

// MARK: - JSON reader

/// A small strict JSON (RFC 8259) reader with a nesting limit, so hostile input cannot exhaust the stack.
struct ExpVarJSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    static let maxDepth = 256

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws -> ExpVarValue {
        // Skip a UTF-8 byte order mark.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        skipSpace()
        guard i < bytes.count else { throw fail("the document is empty") }
        let value = try parseValue(depth: 0)
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected data after the top-level value") }
        return value
    }

    private func fail(_ reason: String) -> ExpVarsError {
        .invalidJSON(offset: i, reason: reason)
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            guard c == 32 || c == 9 || c == 10 || c == 13 else { return }
            i += 1
        }
    }

    private mutating func parseValue(depth: Int) throws -> ExpVarValue {
        guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var object: [String: ExpVarValue] = [:]
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(object)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try parseString()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                i += 1
                skipSpace()
                object[key] = try parseValue(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
                throw fail("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            i += 1
            var array: [ExpVarValue] = []
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(array)
            }
            while true {
                skipSpace()
                array.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
                throw fail("expected ',' or ']' in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw fail("unexpected character \(String(UnicodeScalar(bytes[i])).debugDescription)")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw fail("unexpected end of input") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    private mutating func parseNumber() throws -> ExpVarValue {
        let start = i
        var integral = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let from = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
            return i - from
        }
        guard i < bytes.count else { throw fail("incomplete number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw fail("invalid number")
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard digits() > 0 else { throw fail("invalid number: no digits after '.'") }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            integral = false
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { throw fail("invalid number: no digits in the exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text) else { throw fail("invalid number") }
        return .number(value)
    }

    private mutating func parseString() throws -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            guard c >= 0x20 else { throw fail("control character in a string") }
            i += 1
        }
        out.append(contentsOf: bytes[start..<i])
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard c >= 0x20 else { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00,
                   bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        scalar = 0xFFFD
                    }
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw fail("invalid escape in a string")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4 else { throw fail("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let digit: UInt32
            switch c {
            case 48...57: digit = UInt32(c - 48)
            case 65...70: digit = UInt32(c - 55)
            case 97...102: digit = UInt32(c - 87)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            i += 1
        }
        return value
    }
}
