import Foundation
import JSONScan

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

    /// Parses `/debug/vars` JSON. Missing memstats fields read as zero; invalid JSON (including strings with
    /// invalid UTF-8 or unpaired `\u` surrogates), a top level that is not an object, or a memstats field of the
    /// wrong type throw ``ExpVarsError``.
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
        let root = try ExpVarJSONReader.document(buffer)
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

/// Builds an ``ExpVarValue`` tree with the shared strict scanner.
///
/// Stricter than the reader it replaced: unpaired `\u` surrogates and invalid UTF-8 in strings are
/// rejected instead of becoming U+FFFD. Go's `encoding/json` never writes either (it writes
/// `\ufffd` itself), so only damaged or hand-made documents are affected.
enum ExpVarJSONReader {
    /// Nesting limit for a whole document, so hostile input cannot exhaust the stack.
    static let maxDepth = 256
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func document(_ bytes: UnsafeBufferPointer<UInt8>) throws(ExpVarsError) -> ExpVarValue {
        var scanner = JSONScanner(bytes, maxDepth: maxDepth)
        if bytes.starts(with: byteOrderMark) { scanner.offset = byteOrderMark.count }
        do throws(JSONScanError) {
            guard !scanner.isAtEnd() else { throw scanner.error("the document is empty") }
            let root = try value(&scanner)
            try scanner.expectEnd()
            return root
        } catch {
            throw .invalidJSON(offset: error.offset, reason: error.reason)
        }
    }

    static func value(_ scanner: inout JSONScanner) throws(JSONScanError) -> ExpVarValue {
        switch try scanner.peekKind() {
        case .object:
            var object: [String: ExpVarValue] = [:]
            try scanner.readObject { (scanner, key) throws(JSONScanError) in object[key] = try value(&scanner) }
            return .object(object)
        case .array:
            var array: [ExpVarValue] = []
            try scanner.readArray { (scanner) throws(JSONScanError) in array.append(try value(&scanner)) }
            return .array(array)
        case .string:
            return .string(try scanner.readString())
        case .number:
            switch try scanner.readNumber() {
            case .integer(let n): return .integer(n)
            case .double(let d): return .number(d)
            }
        case .bool:
            return .bool(try scanner.readBool())
        case .null:
            try scanner.readNull()
            return .null
        }
    }
}
