import Foundation
import GBSnapCore
import JSONScan

/// A hand-written reader for catalog records, on the shared strict ``JSONScanner``.
///
/// Catalog shards are read on every `list`, selector and retention run, and at a million entries
/// `JSONDecoder` spent ~28 µs per record. This reader accepts any valid JSON for a record (keys in
/// any order, whitespace, escapes, unknown keys skipped) and rejects anything else, so it reads
/// what older or hand-edited catalogs hold while decoding only the fields gbsnap uses.
enum CatalogJSONReader {
    struct Malformed: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// Nesting limit for a record (the record object counts as one level).
    static let maxDepth = 64

    /// Decodes one record that spans the whole buffer.
    static func record(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> Catalog.Record {
        var scanner = JSONScanner(bytes, maxDepth: maxDepth)
        do throws(JSONScanError) {
            let record = try readRecord(&scanner)
            try scanner.expectEnd()
            return record
        } catch {
            throw Malformed(offset: error.offset, reason: error.reason)
        }
    }

    static func readRecord(_ s: inout JSONScanner) throws(JSONScanError) -> Catalog.Record {
        var op: String?
        var entry: CatalogEntry?
        var id: String?
        try s.readObject { (s, key) throws(JSONScanError) in
            switch key {
            case "op": op = try s.readString()
            case "entry": entry = try readEntry(&s)
            case "id": id = try s.readString()
            default: try s.skipValue()
            }
        }
        switch op {
        case "put":
            guard let entry else { throw s.error("a put record without an entry") }
            return .put(entry)
        case "del":
            guard let id, !id.isEmpty else { throw s.error("a del record without an id") }
            return .del(id)
        case let other:
            throw s.error("unknown record op \(other.map { "\"\($0)\"" } ?? "(missing)")")
        }
    }

    static func readEntry(_ s: inout JSONScanner) throws(JSONScanError) -> CatalogEntry {
        var id: String?, key: String?, target: String?, schedule: String?, sha256: String?
        var labels: [String: String] = [:]
        var kinds: [String]?
        var failedKinds: [String] = []
        var takenAt: Date?, finishedAt: Date?
        var bytes: Int64?
        var status: SnapshotStatus?
        try s.readObject { (s, field) throws(JSONScanError) in
            switch field {
            case "id": id = try s.readString()
            case "key": key = try s.readString()
            case "target": target = try s.readString()
            case "schedule": schedule = try s.readString()
            case "sha256": sha256 = try s.readString()
            case "labels": labels = s.consumeNull() ? [:] : try readStringMap(&s)
            case "kinds": kinds = try readStringArray(&s)
            case "failed_kinds": failedKinds = s.consumeNull() ? [] : try readStringArray(&s)
            case "taken_at":
                let text = try s.readString()
                guard let t = Timestamp.parseUTCFast(text) else { throw s.error("bad taken_at time \"\(text)\"") }
                takenAt = t
            case "finished_at": finishedAt = s.consumeNull() ? nil : Timestamp.parseUTCFast(try s.readString())
            case "bytes":
                let number = try s.readNumber()
                guard let whole = number.wholeValue else { throw s.error("\(number) is not a whole byte count") }
                bytes = whole
            case "status":
                let text = try s.readString()
                guard let value = SnapshotStatus(rawValue: text) else { throw s.error("unknown status \"\(text)\"") }
                status = value
            default: try s.skipValue()
            }
        }
        guard let id, !id.isEmpty, let key, let target, let schedule, let sha256, let kinds, let takenAt, let bytes, let status else {
            throw s.error("a catalog entry misses one of id, key, target, schedule, sha256, kinds, taken_at, bytes, status")
        }
        guard SnapshotStore.isCanonicalKey(key, target: target, id: id) else {
            throw s.error("entry \(id) has key \"\(key)\", which is not snapshots/\(target)/YYYY/MM/DD/\(id).tar.gz")
        }
        return CatalogEntry(id: id, key: key, target: target, labels: labels, kinds: kinds, failedKinds: failedKinds,
                            schedule: schedule, takenAt: takenAt, finishedAt: finishedAt ?? takenAt, bytes: bytes,
                            sha256: sha256, status: status)
    }

    static func readStringArray(_ s: inout JSONScanner) throws(JSONScanError) -> [String] {
        var out: [String] = []
        try s.readArray { (s) throws(JSONScanError) in out.append(try s.readString()) }
        return out
    }

    static func readStringMap(_ s: inout JSONScanner) throws(JSONScanError) -> [String: String] {
        var out: [String: String] = [:]
        try s.readObject { (s, key) throws(JSONScanError) in out[key] = try s.readString() }
        return out
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
