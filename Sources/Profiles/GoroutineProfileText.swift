import Foundation

/// An aggregated count profile in text form (`/debug/pprof/goroutine?debug=1`; the same layout serves
/// `goroutineleak` and `threadcreate`).
public struct GoroutineProfileText: Sendable, Equatable {
    /// Profile name from the first line (`goroutine`, `goroutineleak`, `threadcreate`).
    public var profileName: String
    /// `total N` from the first line (the runtime's goroutine count at capture time).
    public var total: Int
    /// Stack groups in file order (the runtime sorts them by count, descending).
    public var groups: [Group]

    /// One `<count> @ 0x.. 0x..` block.
    public struct Group: Sendable, Equatable {
        /// Number of goroutines with this stack and label set.
        public var count: Int
        /// Symbolized frames leaf first (the runtime hides leading `runtime.*` frames and `runtime.goexit`).
        public var frames: [StackFrame]
        /// Labels from a `# labels: {...}` line; empty when none.
        public var labels: [String: String]
        /// Number of raw PCs on the `@` line (includes hidden runtime frames); shows depth-limit truncation
        /// (32 PCs up to Go 1.22, 128 since Go 1.23).
        public var addressCount: Int

        /// Creates a group.
        public init(count: Int, frames: [StackFrame], labels: [String: String] = [:], addressCount: Int = 0) {
            self.count = count
            self.frames = frames
            self.labels = labels
            self.addressCount = addressCount
        }

        /// Stack signature: normalized function names leaf first (see ``GoroutineSignature/normalize(_:)``).
        public var signature: [String] {
            GoroutineSignature.normalize(frames.lazy.map(\.function))
        }
    }

    /// Creates a profile.
    public init(profileName: String, total: Int, groups: [Group]) {
        self.profileName = profileName
        self.total = total
        self.groups = groups
    }

    /// Parses debug=1 text from UTF-8 bytes. Throws ``GoroutineProfileTextError`` when the first line is not
    /// `<name> profile: total N` or a block line is malformed.
    public static func parse(_ bytes: [UInt8]) throws -> GoroutineProfileText {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0) }
    }

    /// Parses debug=1 text from `Data`.
    public static func parse(_ data: Data) throws -> GoroutineProfileText {
        try data.withUnsafeBytes { try parse(buffer: $0.bindMemory(to: UInt8.self)) }
    }

    /// Parses debug=1 text from a string.
    public static func parse(_ text: String) throws -> GoroutineProfileText {
        var text = text
        return try text.withUTF8 { try parse(buffer: $0) }
    }

    /// Parses debug=1 text from a buffer of UTF-8 bytes (the zero-copy entry point).
    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws -> GoroutineProfileText {
        let text = GoroutineByteText(base: buffer)
        guard let (name, total, afterHeader) = readHeader(text) else {
            throw GoroutineProfileTextError.missingHeader(firstLine: goroutineTextFirstLine(buffer))
        }
        var interner = GoroutineStringInterner(capacity: 256)
        var groups: [Group] = []
        var current: Group?
        var position = afterHeader
        var lineNumber = 1
        while let (start, end, next) = text.line(from: position) {
            position = next
            lineNumber += 1
            if text.isBlank(start, end) {
                if let done = current { groups.append(done) }
                current = nil
                continue
            }
            let first = text.base[start]
            if first == UInt8(ascii: "#") {
                guard current != nil else {
                    throw GoroutineProfileTextError.malformedLine(line: lineNumber, text: text.string(start, end))
                }
                if text.hasPrefix("# labels: {", at: start, end: end), text.base[end - 1] == UInt8(ascii: "}") {
                    guard let labels = parseGoroutineLabelSet(text, start + 11, end - 1) else {
                        throw GoroutineProfileTextError.malformedLine(line: lineNumber, text: text.string(start, end))
                    }
                    current?.labels = labels
                } else if let frame = parseFrame(text, start, end, &interner) {
                    current?.frames.append(frame)
                }
                continue
            }
            guard first >= 48 && first <= 57, let (count, afterCount) = text.decimal(at: start, end: end),
                  text.hasPrefix(" @", at: afterCount, end: end)
            else {
                throw GoroutineProfileTextError.malformedLine(line: lineNumber, text: text.string(start, end))
            }
            if let done = current { groups.append(done) }
            var addresses = 0
            var i = afterCount + 2
            while i < end {
                if text.base[i] == UInt8(ascii: "x") { addresses += 1 }
                i += 1
            }
            current = Group(count: count, frames: [], addressCount: addresses)
        }
        if let done = current { groups.append(done) }
        return GoroutineProfileText(profileName: name, total: total, groups: groups)
    }

    /// Reads `total N` from the first line only (`goroutine profile: total N\n`), without parsing the rest.
    /// Returns nil when `prefix` does not start with a complete header line.
    public static func readTotal(fromPrefix prefix: [UInt8]) -> Int? {
        prefix.withUnsafeBufferPointer { buffer -> Int? in
            let text = GoroutineByteText(base: buffer)
            guard let newline = text.firstIndex(of: 10, from: 0, to: buffer.count) else { return nil }
            let limited = GoroutineByteText(base: UnsafeBufferPointer(rebasing: buffer[0...newline]))
            return readHeader(limited)?.1
        }
    }

    private static func readHeader(_ text: GoroutineByteText) -> (String, Int, Int)? {
        guard let (start, end, next) = text.line(from: 0) else { return nil }
        guard let marker = text.find(" profile: total ", from: start, to: end), marker > start,
              let (total, after) = text.decimal(at: marker + 16, end: end), after == end
        else { return nil }
        return (text.string(start, marker), total, next)
    }

    /// `#\t0xPC\tfunc+0xOFF\t\tfile:line`, columns separated by runs of tabs; `#\t0xPC` alone (unknown
    /// function) yields nil.
    private static func parseFrame(
        _ text: GoroutineByteText, _ start: Int, _ end: Int, _ interner: inout GoroutineStringInterner
    ) -> StackFrame? {
        var fields: [(Int, Int)] = []
        fields.reserveCapacity(4)
        var i = start + 1
        while i < end {
            while i < end && (text.base[i] == 9 || text.base[i] == 32) { i += 1 }
            let from = i
            while i < end && text.base[i] != 9 { i += 1 }
            if i > from { fields.append((from, i)) }
        }
        guard fields.count >= 2 else { return nil }
        let (fnStart, fnEndRaw) = fields[1]
        var fnEnd = fnEndRaw
        if let plus = text.lastIndex(of: UInt8(ascii: "+"), from: fnStart, to: fnEndRaw),
           text.hasPrefix("+0x", at: plus, end: fnEndRaw) {
            fnEnd = plus
        }
        var file = ""
        var line = 0
        if fields.count >= 3 {
            let (locStart, locEnd) = fields[2]
            if let colon = text.lastIndex(of: UInt8(ascii: ":"), from: locStart, to: locEnd),
               let (n, after) = text.decimal(at: colon + 1, end: locEnd), after == locEnd {
                file = interner.intern(text, locStart, colon)
                line = n
            } else {
                file = interner.intern(text, locStart, locEnd)
            }
        }
        return StackFrame(function: interner.intern(text, fnStart, fnEnd), file: file, line: line)
    }
}

/// Why a debug=1 count profile could not be parsed.
public enum GoroutineProfileTextError: Error, Equatable, CustomStringConvertible {
    /// The first line is not `<name> profile: total N`.
    case missingHeader(firstLine: String)
    /// A line inside the profile is neither a `N @ ...` block start, a `#` line nor blank.
    case malformedLine(line: Int, text: String)

    /// One sentence naming the input and the problem.
    public var description: String {
        switch self {
        case let .missingHeader(first):
            return "goroutine profile text (debug=1): first line \(first.debugDescription) "
                + "is not `<name> profile: total N`"
        case let .malformedLine(line, text):
            let shown = text.count > 80 ? String(text.prefix(80)) + "..." : text
            return "goroutine profile text (debug=1), line \(line): \(shown.debugDescription) "
                + "is not a `<count> @ <pcs>` block, a `#` frame/labels line or blank"
        }
    }
}
