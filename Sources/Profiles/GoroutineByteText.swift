import Foundation

// Shared byte-level helpers for the goroutine text formats (debug=1 and debug=2).
// Everything works on UTF-8 bytes so that a 100,000-goroutine dump does not allocate a String per line.

/// A read-only view of the input with line iteration and small parsing helpers.
struct GoroutineByteText {
    let base: UnsafeBufferPointer<UInt8>

    /// The next line starting at `start`: returns (lineStart, lineEnd without `\n`/`\r`, nextStart).
    @inline(__always)
    func line(from start: Int) -> (start: Int, end: Int, next: Int)? {
        let count = base.count
        guard start < count, let raw = base.baseAddress else { return nil }
        var end = count
        if let hit = memchrNewline(raw + start, count - start) {
            end = start + hit
        }
        let next = end < count ? end + 1 : count
        var trimmed = end
        if trimmed > start && base[trimmed - 1] == 13 { trimmed -= 1 }  // tolerate CRLF
        return (start, trimmed, next)
    }

    @inline(__always)
    func hasPrefix(_ prefix: StaticString, at start: Int, end: Int) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard end - start >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where base[start + i] != p[i] { return false }
        return true
    }

    @inline(__always)
    func hasSuffix(_ suffix: StaticString, start: Int, end: Int) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard end - start >= n else { return false }
        let p = suffix.utf8Start
        let from = end - n
        for i in 0..<n where base[from + i] != p[i] { return false }
        return true
    }

    /// Index of the first occurrence of `pattern` in `start..<end`.
    func find(_ pattern: StaticString, from start: Int, to end: Int) -> Int? {
        let n = pattern.utf8CodeUnitCount
        guard n > 0, end - start >= n else { return nil }
        let p = pattern.utf8Start
        var i = start
        while i <= end - n {
            if base[i] == p[0] {
                var j = 1
                while j < n && base[i + j] == p[j] { j += 1 }
                if j == n { return i }
            }
            i += 1
        }
        return nil
    }

    /// Index of the last occurrence of `pattern` in `start..<end`.
    func findLast(_ pattern: StaticString, from start: Int, to end: Int) -> Int? {
        let n = pattern.utf8CodeUnitCount
        guard n > 0, end - start >= n else { return nil }
        let p = pattern.utf8Start
        var i = end - n
        while i >= start {
            if base[i] == p[0] {
                var j = 1
                while j < n && base[i + j] == p[j] { j += 1 }
                if j == n { return i }
            }
            i -= 1
        }
        return nil
    }

    @inline(__always)
    func firstIndex(of byte: UInt8, from start: Int, to end: Int) -> Int? {
        var i = start
        while i < end {
            if base[i] == byte { return i }
            i += 1
        }
        return nil
    }

    @inline(__always)
    func lastIndex(of byte: UInt8, from start: Int, to end: Int) -> Int? {
        var i = end - 1
        while i >= start {
            if base[i] == byte { return i }
            i -= 1
        }
        return nil
    }

    /// Parses a non-negative decimal integer at `start`; returns the value and the index after it.
    /// Refuses more than 18 digits so the value cannot overflow.
    @inline(__always)
    func decimal(at start: Int, end: Int) -> (value: Int, next: Int)? {
        var i = start
        var value = 0
        while i < end, i - start < 18 {
            let c = base[i]
            guard c >= 48 && c <= 57 else { break }
            value = value &* 10 &+ Int(c - 48)
            i += 1
        }
        guard i > start else { return nil }
        if i < end, i - start == 18, base[i] >= 48, base[i] <= 57 { return nil }
        return (value, i)
    }

    func string(_ start: Int, _ end: Int) -> String {
        guard end > start else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: base[start..<end]), as: UTF8.self)
    }

    func isBlank(_ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end {
            let c = base[i]
            if c != 32 && c != 9 { return false }
            i += 1
        }
        return true
    }
}

@inline(__always)
private func memchrNewline(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
    // libc's memchr is vectorised; a byte loop was a visible share of parse time on 40 MB dumps.
    guard let hit = memchr(p, 10, n) else { return nil }
    return UnsafeRawPointer(hit) - UnsafeRawPointer(p)
}

/// Interns strings built from byte ranges: function names and file paths repeat across goroutines,
/// so each distinct one is allocated once. Each distinct string also has a small id (`internID`), equal ids
/// meaning equal strings; id 0 is the empty string.
struct GoroutineStringInterner {
    private var slots: [Int32]
    private var hashes: [UInt64] = [0]
    private var strings: [String] = [""]
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// Number of ids handed out so far (ids are `0..<count`).
    var count: Int { strings.count }

    /// The string with id `id`.
    @inline(__always)
    func string(_ id: Int32) -> String { strings[Int(id)] }

    mutating func intern(_ text: GoroutineByteText, _ start: Int, _ end: Int) -> String {
        strings[Int(internID(text, start, end))]
    }

    mutating func internID(_ text: GoroutineByteText, _ start: Int, _ end: Int) -> Int32 {
        guard end > start else { return 0 }
        let hash = Self.hash(text, start, end)
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { break }
            if hashes[index] == hash && Self.equal(strings[index], text, start, end) {
                return Int32(index)
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(strings.count)
        slots[slot] = id
        hashes.append(hash)
        strings.append(text.string(start, end))
        if strings.count * 2 > slots.count { grow() }
        return id
    }

    /// Word-at-a-time hash (8 bytes per step); only needs to be fast and well mixed, not stable.
    @inline(__always)
    private static func hash(_ text: GoroutineByteText, _ start: Int, _ end: Int) -> UInt64 {
        guard let base = text.base.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base + start)
        let count = end - start
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        var offset = 0
        while offset + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(raw.load(fromByteOffset: offset, as: UInt8.self)) << shift
            shift += 8
            offset += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    private static func equal(_ s: String, _ text: GoroutineByteText, _ start: Int, _ end: Int) -> Bool {
        var s = s
        return s.withUTF8 { utf8 in
            guard utf8.count == end - start, let a = utf8.baseAddress, let b = text.base.baseAddress else {
                return utf8.count == end - start && utf8.count == 0
            }
            return memcmp(a, b + start, utf8.count) == 0
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for (index, hash) in hashes.enumerated() where index > 0 {
            var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}

/// Parses a label set printed either as `{worker: leaky, "k y": "v"}` (debug=2 header, Go 1.27) or
/// `{"worker":"leaky", "k2":"v2"}` (debug=1 `# labels:` line): pairs separated by `,`, key and value
/// separated by `:`, each token bare or Go-quoted. Returns nil when the text is not such a set.
func parseGoroutineLabelSet(_ text: GoroutineByteText, _ start: Int, _ end: Int) -> [String: String]? {
    var i = start
    func skipSpaces() { while i < end && text.base[i] == 32 { i += 1 } }
    func token(stopAtColon: Bool) -> String? {
        skipSpaces()
        guard i < end else { return nil }
        if text.base[i] == UInt8(ascii: "\"") {
            i += 1
            var bytes: [UInt8] = []
            while i < end {
                let c = text.base[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: bytes, as: UTF8.self)
                }
                if c == UInt8(ascii: "\\"), i + 1 < end {
                    let e = text.base[i + 1]
                    switch e {
                    case UInt8(ascii: "n"): bytes.append(10)
                    case UInt8(ascii: "t"): bytes.append(9)
                    case UInt8(ascii: "r"): bytes.append(13)
                    default: bytes.append(e)
                    }
                    i += 2
                    continue
                }
                bytes.append(c)
                i += 1
            }
            return nil  // unterminated quote
        }
        let from = i
        while i < end {
            let c = text.base[i]
            if c == UInt8(ascii: ",") || (stopAtColon && c == UInt8(ascii: ":")) { break }
            i += 1
        }
        var to = i
        while to > from && text.base[to - 1] == 32 { to -= 1 }
        return text.string(from, to)
    }
    var labels: [String: String] = [:]
    skipSpaces()
    if i == end { return labels }
    while i < end {
        guard let key = token(stopAtColon: true) else { return nil }
        skipSpaces()
        guard i < end, text.base[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let value = token(stopAtColon: false) else { return nil }
        labels[key] = value
        skipSpaces()
        if i < end {
            guard text.base[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
    }
    return labels
}
