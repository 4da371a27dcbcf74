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

extension GoroutineDump {
    /// Counts the goroutines of a debug=2 dump per (stack signature, `created by` function, labels, state,
    /// leaked), in order of first appearance, without keeping a record per goroutine: what a growth diff needs,
    /// at a fraction of ``parse(buffer:)``'s cost. The groups are exactly those of grouping
    /// ``parse(buffer:)``'s records by ``GoroutineRecord/signature``, `createdBy?.function`, `labels`, `state`
    /// and `leaked`. Throws ``GoroutineDumpError`` when no goroutine header is found.
    public static func groupStacks(buffer: UnsafeBufferPointer<UInt8>) throws -> [GoroutineStackGroup] {
        var parser = GoroutineDumpParser(text: GoroutineByteText(base: buffer))
        var grouper = GoroutineStackGrouper()
        parser.run(into: &grouper)
        guard !grouper.groups.isEmpty else {
            throw GoroutineDumpError.noGoroutineHeader(byteCount: buffer.count, firstLine: goroutineTextFirstLine(buffer))
        }
        return grouper.groups
    }

    /// ``groupStacks(buffer:)`` over an array of UTF-8 bytes.
    public static func groupStacks(_ bytes: [UInt8]) throws -> [GoroutineStackGroup] {
        try bytes.withUnsafeBufferPointer { try groupStacks(buffer: $0) }
    }
}

/// Goroutines of one debug=2 dump with the same stack signature, `created by` function, labels, state and
/// leak mark (see ``GoroutineDump/groupStacks(buffer:)``).
public struct GoroutineStackGroup: Sendable, Equatable {
    /// Normalized function names leaf first (``GoroutineRecord/signature``).
    public var signature: [String]
    /// The `created by` function; nil when the records had none.
    public var createdBy: String?
    /// Goroutine labels.
    public var labels: [String: String]
    /// State without flags or wait time (``GoroutineRecord/state``).
    public var state: String
    /// Marked `(leaked)`.
    public var leaked: Bool
    /// Number of goroutines.
    public var count: Int
    /// Longest wait in minutes, 0 when none was printed (the runtime prints whole minutes only).
    public var maxWaitMinutes: Int
    /// The highest goroutine id among them (ids only grow within a process, so a lower maximum means a restart).
    public var maxID: Int = 0

    /// Creates a group.
    public init(signature: [String], createdBy: String?, labels: [String: String], state: String, leaked: Bool,
                count: Int, maxWaitMinutes: Int) {
        self.signature = signature
        self.createdBy = createdBy
        self.labels = labels
        self.state = state
        self.leaked = leaked
        self.count = count
        self.maxWaitMinutes = maxWaitMinutes
    }
}

/// Groups goroutines as the parser reports them. Function names are interned ids, and each distinct name is
/// normalized once (``GoroutineSignature/normalize(_:)`` applied name by name), so a goroutine costs a few
/// integer appends and one hash lookup.
struct GoroutineStackGrouper: GoroutineDumpSink {
    static var wantsLocations: Bool { false }

    private struct Key: Hashable {
        var frames: [Int32]
        var creator: Int32
        var labels: [String: String]
        var state: Int32
        var leaked: Bool
    }

    private(set) var groups: [GoroutineStackGroup] = []
    private var index: [Key: Int] = [:]
    /// Per raw function id: its normalized name's id, `dropped` (unexported runtime), or `unknown`.
    private var normalized: [Int32] = []
    /// Per raw function id: dropped while no frame has been kept yet (`internal/runtime/*`).
    private var droppedWhenLeading: [Bool] = []
    private var normalizedIDs: [String: Int32] = [:]
    private var normalizedNames: [String] = []
    private static let unknown: Int32 = -1
    private static let dropped: Int32 = -2

    // The goroutine being read.
    private var frames: [Int32] = []
    private var leading = true
    private var record = GoroutineRecord(id: 0, state: "")
    private var stateID: Int32 = 0
    private var creator: Int32 = -1
    private var creatorName: String?

    mutating func begin(_ record: GoroutineRecord, stateID: Int32) {
        self.record = record
        self.stateID = stateID
        frames.removeAll(keepingCapacity: true)
        leading = true
        creator = -1
        creatorName = nil
    }

    mutating func frame(functionID: Int32, function: String, file: String, line: Int) {
        let raw = Int(functionID)
        if raw >= normalized.count || normalized[raw] == Self.unknown { classify(raw, function) }
        let id = normalized[raw]
        if id == Self.dropped || (leading && droppedWhenLeading[raw]) { return }
        leading = false
        frames.append(id)
    }

    mutating func creator(functionID: Int32, function: String, file: String, line: Int) {
        creator = functionID
        creatorName = function
    }

    mutating func creatorID(_ id: Int) {}
    mutating func elided(_ frames: Int?) {}

    mutating func end() {
        let key = Key(frames: frames, creator: creator, labels: record.labels, state: stateID, leaked: record.leaked)
        let wait = record.waitMinutes ?? 0
        if let at = index[key] {
            groups[at].count += 1
            if wait > groups[at].maxWaitMinutes { groups[at].maxWaitMinutes = wait }
            if record.id > groups[at].maxID { groups[at].maxID = record.id }
        } else {
            index[key] = groups.count
            var group = GoroutineStackGroup(
                signature: frames.map { normalizedNames[Int($0)] }, createdBy: creatorName, labels: record.labels,
                state: record.state, leaked: record.leaked, count: 1, maxWaitMinutes: wait)
            group.maxID = record.id
            groups.append(group)
        }
    }

    /// Normalizes one raw name exactly as ``GoroutineSignature/normalize(_:)`` treats it inside a stack.
    private mutating func classify(_ raw: Int, _ function: String) {
        if raw >= normalized.count {
            normalized += repeatElement(Self.unknown, count: raw + 1 - normalized.count)
            droppedWhenLeading += repeatElement(false, count: raw + 1 - droppedWhenLeading.count)
        }
        let name = function.utf8.contains(UInt8(ascii: "[")) ? GoroutineSignature.elidingTypeArguments(function) : function
        let kept: String
        if name == "runtime.gopanic" || name == "panic" {
            kept = "panic"
        } else if GoroutineSignature.isUnexportedRuntime(name) {
            normalized[raw] = Self.dropped
            return
        } else {
            kept = name
            droppedWhenLeading[raw] = name.hasPrefix("internal/runtime/")
        }
        if let id = normalizedIDs[kept] {
            normalized[raw] = id
        } else {
            let id = Int32(normalizedNames.count)
            normalizedIDs[kept] = id
            normalizedNames.append(kept)
            normalized[raw] = id
        }
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

/// What the parser reports while it walks a dump: one `begin`, then frames and creator lines, then `end`, per
/// goroutine. ``GoroutineRecordSink`` builds ``GoroutineRecord``s; ``GoroutineStackGrouper`` counts stacks
/// without keeping any record. Both see the same events, so a dump groups the same either way.
protocol GoroutineDumpSink {
    /// Whether frames need their `file:line` (grouping needs only function names, and skips them).
    static var wantsLocations: Bool { get }
    /// A goroutine header; `stateID` is the interned id of `record.state`.
    mutating func begin(_ record: GoroutineRecord, stateID: Int32)
    /// A stack frame, leaf first; `functionID` is the interned id of `function`.
    mutating func frame(functionID: Int32, function: String, file: String, line: Int)
    /// The `created by` frame.
    mutating func creator(functionID: Int32, function: String, file: String, line: Int)
    /// `created by X in goroutine N`.
    mutating func creatorID(_ id: Int)
    /// An elision marker, with the count of elided frames when printed.
    mutating func elided(_ frames: Int?)
    /// The goroutine's block ended (blank line, next header or end of input).
    mutating func end()
}

/// Builds the records of ``GoroutineDump``.
struct GoroutineRecordSink: GoroutineDumpSink {
    static var wantsLocations: Bool { true }
    var records: [GoroutineRecord] = []
    private var current: GoroutineRecord?

    mutating func begin(_ record: GoroutineRecord, stateID: Int32) { current = record }
    mutating func frame(functionID: Int32, function: String, file: String, line: Int) {
        current?.frames.append(StackFrame(function: function, file: file, line: line))
    }
    mutating func creator(functionID: Int32, function: String, file: String, line: Int) {
        current?.createdBy = StackFrame(function: function, file: file, line: line)
    }
    mutating func creatorID(_ id: Int) { current?.creatorID = id }
    mutating func elided(_ frames: Int?) {
        current?.truncated = true
        if let frames { current?.elidedFrames += frames }
    }
    mutating func end() {
        if let done = current { records.append(done) }
        current = nil
    }
}

struct GoroutineDumpParser {
    let text: GoroutineByteText
    var interner = GoroutineStringInterner()

    init(text: GoroutineByteText) {
        self.text = text
    }

    private enum Mode { case outside, frames, ancestors }

    mutating func run() -> [GoroutineRecord] {
        var sink = GoroutineRecordSink()
        run(into: &sink)
        return sink.records
    }

    mutating func run<Sink: GoroutineDumpSink>(into sink: inout Sink) {
        var inRecord = false
        var pendingFunction: Int32 = -1
        var pendingIsCreator = false
        var mode = Mode.outside
        var position = 0

        func flushPending(_ sink: inout Sink, _ interner: GoroutineStringInterner, _ function: inout Int32, _ isCreator: Bool) {
            // A function line with no file line after it (cut dump) still counts as a frame.
            guard function >= 0 else { return }
            let name = interner.string(function)
            if isCreator {
                sink.creator(functionID: function, function: name, file: "", line: 0)
            } else {
                sink.frame(functionID: function, function: name, file: "", line: 0)
            }
            function = -1
        }
        func finish(_ sink: inout Sink) {
            if inRecord { sink.end() }
            inRecord = false
        }

        while let (start, end, next) = text.line(from: position) {
            position = next
            if text.hasPrefix("goroutine ", at: start, end: end), let (header, stateID) = parseHeader(start, end) {
                flushPending(&sink, interner, &pendingFunction, pendingIsCreator)
                finish(&sink)
                sink.begin(header, stateID: stateID)
                inRecord = true
                mode = .frames
                continue
            }
            if mode == .outside { continue }
            if text.isBlank(start, end) {
                flushPending(&sink, interner, &pendingFunction, pendingIsCreator)
                finish(&sink)
                mode = .outside
                continue
            }
            if mode == .ancestors { continue }
            let first = text.base[start]
            if first == 9 {  // "\tfile:line +0x.."
                guard pendingFunction >= 0 else { continue }
                let (file, line) = Sink.wantsLocations ? parseLocation(start + 1, end) : ("", 0)
                let name = interner.string(pendingFunction)
                if pendingIsCreator {
                    sink.creator(functionID: pendingFunction, function: name, file: file, line: line)
                } else {
                    sink.frame(functionID: pendingFunction, function: name, file: file, line: line)
                }
                pendingFunction = -1
                continue
            }
            flushPending(&sink, interner, &pendingFunction, pendingIsCreator)
            if first == UInt8(ascii: "."), text.hasPrefix("...", at: start, end: end) {
                sink.elided(text.decimal(at: start + 3, end: end)?.value)
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
                        sink.creatorID(n)
                    }
                    nameEnd = inAt
                }
                pendingFunction = interner.internID(text, start + 11, nameEnd)
                pendingIsCreator = true
                continue
            }
            pendingFunction = interner.internID(text, start, functionNameEnd(start, end))
            pendingIsCreator = false
        }
        flushPending(&sink, interner, &pendingFunction, pendingIsCreator)
        finish(&sink)
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
    private mutating func parseHeader(_ start: Int, _ end: Int) -> (GoroutineRecord, stateID: Int32)? {
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
        var stateID: Int32 = -1
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
                stateID = interner.internID(text, partStart, stateEnd)
                record.state = interner.string(stateID)
                isFirst = false
            } else if text.hasSuffix(" minutes", start: partStart, end: partEnd),
                      let (minutes, after) = text.decimal(at: partStart, end: partEnd), after == partEnd - 8 {
                record.waitMinutes = minutes
            } else if text.hasPrefix("locked to thread", at: partStart, end: partEnd) {
                record.lockedToThread = true
            }
            partStart = partEnd + 2
        }
        return (record, stateID)
    }
}
