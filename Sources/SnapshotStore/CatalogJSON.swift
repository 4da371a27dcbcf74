import Foundation
import GBSnapCore

/// A hand-written reader for catalog records.
///
/// Catalog shards are read on every `list`, selector and retention run, and at a million entries
/// `JSONDecoder` spent ~28 µs per record. This reader accepts any valid JSON for a record (keys in
/// any order, whitespace, escapes, unknown keys skipped) and rejects anything else, so it reads
/// what older or hand-edited catalogs hold while decoding only the fields gbsnap uses.
struct CatalogJSONReader {
    struct Malformed: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.pos = 0
    }

    /// Decodes one record that spans the whole buffer.
    static func record(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> Catalog.Record {
        var reader = CatalogJSONReader(bytes)
        let record = try reader.readRecord()
        reader.skipWhitespace()
        guard reader.pos == bytes.count else { throw reader.malformed("trailing bytes after the record") }
        return record
    }

    mutating func readRecord() throws(Malformed) -> Catalog.Record {
        var op: String?
        var entry: CatalogEntry?
        var id: String?
        try readObject { (reader, key) throws(Malformed) in
            switch key {
            case "op": op = try reader.readString()
            case "entry": entry = try reader.readEntry()
            case "id": id = try reader.readString()
            default: try reader.skipValue()
            }
        }
        switch op {
        case "put":
            guard let entry else { throw malformed("a put record without an entry") }
            return .put(entry)
        case "del":
            guard let id, !id.isEmpty else { throw malformed("a del record without an id") }
            return .del(id)
        case let other:
            throw malformed("unknown record op \(other.map { "\"\($0)\"" } ?? "(missing)")")
        }
    }

    mutating func readEntry() throws(Malformed) -> CatalogEntry {
        var id: String?, key: String?, target: String?, schedule: String?, sha256: String?
        var labels: [String: String] = [:]
        var kinds: [String]?
        var failedKinds: [String] = []
        var takenAt: Date?, finishedAt: Date?
        var bytes: Int64?
        var status: SnapshotStatus?
        try readObject { (r, field) throws(Malformed) in
            switch field {
            case "id": id = try r.readString()
            case "key": key = try r.readString()
            case "target": target = try r.readString()
            case "schedule": schedule = try r.readString()
            case "sha256": sha256 = try r.readString()
            case "labels": labels = r.consumeNull() ? [:] : try r.readStringMap()
            case "kinds": kinds = try r.readStringArray()
            case "failed_kinds": failedKinds = r.consumeNull() ? [] : try r.readStringArray()
            case "taken_at":
                let text = try r.readString()
                guard let t = Timestamp.parseUTCFast(text) else { throw r.malformed("bad taken_at time \"\(text)\"") }
                takenAt = t
            case "finished_at": finishedAt = r.consumeNull() ? nil : Timestamp.parseUTCFast(try r.readString())
            case "bytes": bytes = try r.readInt64()
            case "status":
                let text = try r.readString()
                guard let s = SnapshotStatus(rawValue: text) else { throw r.malformed("unknown status \"\(text)\"") }
                status = s
            default: try r.skipValue()
            }
        }
        guard let id, !id.isEmpty, let key, let target, let schedule, let sha256, let kinds, let takenAt, let bytes, let status else {
            throw malformed("a catalog entry misses one of id, key, target, schedule, sha256, kinds, taken_at, bytes, status")
        }
        return CatalogEntry(id: id, key: key, target: target, labels: labels, kinds: kinds, failedKinds: failedKinds,
                            schedule: schedule, takenAt: takenAt, finishedAt: finishedAt ?? takenAt, bytes: bytes,
                            sha256: sha256, status: status)
    }

    // MARK: JSON grammar

    func malformed(_ reason: String) -> Malformed { Malformed(offset: pos, reason: reason) }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Malformed) {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == byte else {
            throw malformed("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        pos += 1
    }

    /// Consumes `byte` if it comes next (after whitespace).
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == byte else { return false }
        pos += 1
        return true
    }

    /// Consumes a `null` literal if it comes next.
    mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard pos + 4 <= bytes.count, bytes[pos] == UInt8(ascii: "n"), bytes[pos + 1] == UInt8(ascii: "u"),
              bytes[pos + 2] == UInt8(ascii: "l"), bytes[pos + 3] == UInt8(ascii: "l") else { return false }
        pos += 4
        return true
    }

    /// Reads `{ "key": value, ... }`, handing each key to `field`, which must consume the value.
    private mutating func readObject(_ field: (inout CatalogJSONReader, String) throws(Malformed) -> Void) throws(Malformed) {
        try expect(UInt8(ascii: "{"))
        if consume(UInt8(ascii: "}")) { return }
        repeat {
            let key = try readString()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    private mutating func readStringArray() throws(Malformed) -> [String] {
        try expect(UInt8(ascii: "["))
        var out: [String] = []
        if consume(UInt8(ascii: "]")) { return out }
        repeat { out.append(try readString()) } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
        return out
    }

    private mutating func readStringMap() throws(Malformed) -> [String: String] {
        var out: [String: String] = [:]
        try readObject { (r, key) throws(Malformed) in out[key] = try r.readString() }
        return out
    }

    mutating func readString() throws(Malformed) -> String {
        try expect(UInt8(ascii: "\""))
        let start = pos
        var ascii = true
        // Fast path: no escapes, the bytes are the string (and ASCII needs no validation).
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<pos])
                pos += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let s = String(validating: slice, as: UTF8.self) else { throw malformed("invalid UTF-8 in a string") }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            guard c >= 0x20 else { throw malformed("control character in a string") }
            ascii = ascii && c < 0x80
            pos += 1
        }
        var utf8 = Array(bytes[start..<pos])
        while pos < bytes.count {
            let c = bytes[pos]
            pos += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: utf8, as: UTF8.self) else { throw malformed("invalid UTF-8 in a string") }
                return s
            case UInt8(ascii: "\\"):
                guard pos < bytes.count else { throw malformed("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                            throw malformed("unpaired surrogate in a \\u escape")
                        }
                        pos += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw malformed("unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw malformed("unpaired surrogate in a \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw malformed("invalid \\u escape") }
                    utf8.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw malformed("invalid escape \\\(Character(Unicode.Scalar(e)))")
                }
            default:
                guard c >= 0x20 else { throw malformed("control character in a string") }
                utf8.append(c)
            }
        }
        throw malformed("unterminated string")
    }

    private mutating func readHex4() throws(Malformed) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw malformed("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw malformed("bad hex digit in a \\u escape")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    /// An integer; JSON numbers with a fraction or exponent are accepted only when they are whole.
    mutating func readInt64() throws(Malformed) -> Int64 {
        skipWhitespace()
        let start = pos
        try skipNumber()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        if let v = Int64(text) { return v }
        guard let d = Double(text), d == d.rounded(), abs(d) < 9.0e18 else { throw malformed("\(text) is not a whole byte count") }
        return Int64(d)
    }

    private mutating func skipNumber() throws(Malformed) {
        let start = pos
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        let intStart = pos
        while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
        guard pos > intStart else { pos = start; throw malformed("expected a number") }
        guard !(pos - intStart > 1 && bytes[intStart] == UInt8(ascii: "0")) else { throw malformed("number with a leading zero") }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            let f = pos
            while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            guard pos > f else { throw malformed("expected digits after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            let e = pos
            while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            guard pos > e else { throw malformed("expected digits in an exponent") }
        }
    }

    /// Skips any JSON value (fields gbsnap does not use, e.g. written by a newer version).
    mutating func skipValue(depth: Int = 0) throws(Malformed) {
        guard depth < 64 else { throw malformed("values nested too deeply") }
        skipWhitespace()
        guard pos < bytes.count else { throw malformed("expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "\""): _ = try readString()
        case UInt8(ascii: "{"): try readObject { (r, _) throws(Malformed) in try r.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            pos += 1
            if consume(UInt8(ascii: "]")) { return }
            repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Malformed) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw malformed("expected \(word)") }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] { throw malformed("expected \(word)") }
        pos += n
    }
}

/// Writes catalog records as compact JSON with sorted keys (what `JSONEncoder` with `.sortedKeys`
/// and `.withoutEscapingSlashes` writes), without Foundation's encoder overhead.
enum CatalogJSONWriter {
    static func record(_ record: Catalog.Record) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        switch record {
        case .put(let e):
            out += Array(#"{"entry":"#.utf8)
            entry(e, into: &out)
            out += Array(#","op":"put"}"#.utf8)
        case .del(let id):
            out += Array(#"{"id":"#.utf8)
            string(id, into: &out)
            out += Array(#","op":"del"}"#.utf8)
        }
        return out
    }

    static func entry(_ e: CatalogEntry, into out: inout [UInt8]) {
        out += Array(#"{"bytes":"#.utf8)
        out += Array(String(e.bytes).utf8)
        out += Array(#","failed_kinds":"#.utf8)
        strings(e.failedKinds, into: &out)
        out += Array(#","finished_at":"#.utf8)
        string(Timestamp.formatUTCFast(e.finishedAt), into: &out)
        out += Array(#","id":"#.utf8)
        string(e.id, into: &out)
        out += Array(#","key":"#.utf8)
        string(e.key, into: &out)
        out += Array(#","kinds":"#.utf8)
        strings(e.kinds, into: &out)
        out += Array(#","labels":{"#.utf8)
        for (i, k) in e.labels.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(k, into: &out)
            out.append(UInt8(ascii: ":"))
            string(e.labels[k] ?? "", into: &out)
        }
        out += Array(#"},"schedule":"#.utf8)
        string(e.schedule, into: &out)
        out += Array(#","sha256":"#.utf8)
        string(e.sha256, into: &out)
        out += Array(#","status":"#.utf8)
        string(e.status.rawValue, into: &out)
        out += Array(#","taken_at":"#.utf8)
        string(Timestamp.formatUTCFast(e.takenAt), into: &out)
        out += Array(#","target":"#.utf8)
        string(e.target, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func strings(_ list: [String], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, s) in list.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(s, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out += [hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
