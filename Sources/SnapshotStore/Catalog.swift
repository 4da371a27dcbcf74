import ArchiveIO
import Foundation
import GBSnapCore

/// The store-level index: one append-only JSON Lines shard per target under `catalog/`.
///
/// Each line is `{"crc":"<crc32 of rec>","rec":{...}}` where `rec` is `{"op":"put","entry":{...}}`
/// or `{"op":"del","id":"..."}`. Appends are a single `write` + `fsync` under the store lock; a
/// line cut short by a crash lacks its newline and is ignored by readers and cut off by the next
/// writer; a line whose checksum does not match makes the shard *detectably* corrupt (readers
/// fail and point at `gbsnap reindex`). Sharding by target keeps `--target` queries and
/// `TARGET@latest` selectors to one file.
struct Catalog {
    let directory: String

    enum Record: Codable, Equatable {
        case put(CatalogEntry)
        case del(String)

        enum CodingKeys: String, CodingKey { case op, entry, id }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            switch try c.decode(String.self, forKey: .op) {
            case "put": self = .put(try c.decode(CatalogEntry.self, forKey: .entry))
            case "del": self = .del(try c.decode(String.self, forKey: .id))
            case let op: throw DecodingError.dataCorruptedError(forKey: .op, in: c, debugDescription: "unknown op \(op)")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .put(let e):
                try c.encode("put", forKey: .op)
                try c.encode(e, forKey: .entry)
            case .del(let id):
                try c.encode("del", forKey: .op)
                try c.encode(id, forKey: .id)
            }
        }
    }

    static let linePrefix = Array(#"{"crc":""#.utf8)  // then 8 hex digits, then `","rec":`
    static let recPrefix = Array(#"","rec":"#.utf8)
    static let headerLength = linePrefix.count + 8 + recPrefix.count

    func shardPath(_ target: String) -> String { "\(directory)/\(target).jsonl" }

    /// Targets that have a shard.
    func targets() throws(StoreError) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(6)) }.sorted()
    }

    /// Live entries of one target, oldest first.
    func entries(target: String) throws(StoreError) -> [CatalogEntry] {
        let path = shardPath(target)
        guard SystemIO.fileSize(path) != nil else { return [] }
        let bytes: [UInt8]
        do { bytes = try SystemIO.readFile(path, limit: Int.max) } catch { throw StoreError.io(error, doing: "read the catalog", input: .path(path)) }
        return Self.live(try Self.decodeShard(bytes, path: path))
    }

    /// The live entries `records` leave (a later put of an id replaces it, a del removes it), oldest first.
    static func live(_ records: [Record]) -> [CatalogEntry] {
        var list: [CatalogEntry] = []
        list.reserveCapacity(records.count)
        var replaced = false
        var byID: [String: Int] = [:]
        byID.reserveCapacity(records.count)
        for record in records {
            switch record {
            case .put(let e):
                if let i = byID.updateValue(list.count, forKey: e.id) { list[i].id = ""; replaced = true }
                list.append(e)
            case .del(let id):
                if let i = byID.removeValue(forKey: id) { list[i].id = ""; replaced = true }
            }
        }
        if replaced { list.removeAll { $0.id.isEmpty } }  // ids are never empty
        return Self.sortedByTime(list)
    }

    /// The catalog's order: by time taken, ties by id.
    static func isBefore(_ a: CatalogEntry, _ b: CatalogEntry) -> Bool { a.takenAt != b.takenAt ? a.takenAt < b.takenAt : a.id < b.id }

    /// Oldest first, ties by id. Shards are appended in time order, so usually this only checks.
    static func sortedByTime(_ list: [CatalogEntry]) -> [CatalogEntry] {
        let before = isBefore
        var sorted = true
        for i in list.indices.dropFirst() where before(list[i], list[i - 1]) { sorted = false; break }
        return sorted ? list : list.sorted(by: before)
    }

    /// All live entries, oldest first.
    func allEntries() throws(StoreError) -> [CatalogEntry] {
        var all: [CatalogEntry] = []
        for t in try targets() { all += try entries(target: t) }
        return Self.sortedByTime(all)
    }

    static func decodeShard(_ bytes: [UInt8], path: String) throws(StoreError) -> [Record] {
        var records: [Record] = []
        var lineNumber = 0
        var start = 0
        var damaged: Int?
        var unreadable: (line: Int, error: any Error)?
        bytes.withUnsafeBufferPointer { buf in
            while start < buf.count {
                guard let nl = buf[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }  // torn tail
                lineNumber += 1
                let line = UnsafeBufferPointer(rebasing: buf[start..<nl])
                start = nl + 1
                if line.isEmpty { continue }
                guard line.count > headerLength + 1,
                      line.starts(with: linePrefix),
                      Array(line[(linePrefix.count + 8)..<headerLength]) == recPrefix,
                      line[line.count - 1] == UInt8(ascii: "}"),
                      let crc = UInt32(String(decoding: line[linePrefix.count..<(linePrefix.count + 8)], as: UTF8.self), radix: 16)
                else { damaged = lineNumber; return }
                let rec = UnsafeBufferPointer(rebasing: line[headerLength..<(line.count - 1)])
                guard CRC32.checksum(UnsafeRawBufferPointer(rec)) == crc else { damaged = lineNumber; return }
                do {
                    records.append(try CatalogJSONReader.record(rec))
                } catch {
                    unreadable = (lineNumber, error)
                    return
                }
            }
        }
        if let damaged {
            throw StoreError(.corruptCatalog, "catalog \(path) is damaged at line \(damaged) (checksum mismatch or malformed line); run `gbsnap reindex` to rebuild it from the archives",
                             input: .path(path))
        }
        if let unreadable {
            throw StoreError(.corruptCatalog, "catalog \(path) holds a record gbsnap cannot read at line \(unreadable.line) (\(unreadable.error)); run `gbsnap reindex` to rebuild it from the archives",
                             input: .path(path), underlying: unreadable.error)
        }
        return records
    }

    static func encodeLine(_ record: Record) -> [UInt8] {
        let rec = CatalogJSONWriter.record(record)
        let crc = rec.withUnsafeBytes { CRC32.checksum($0) }
        var hex = String(crc, radix: 16)
        hex = String(repeating: "0", count: 8 - hex.count) + hex
        return linePrefix + Array(hex.utf8) + recPrefix + rec + Array("}\n".utf8)
    }

    /// Appends records to a target's shard durably. The caller holds the store lock.
    func append(_ records: [Record], target: String) throws(StoreError) {
        let path = shardPath(target)
        var payload: [UInt8] = []
        for r in records { payload += Self.encodeLine(r) }
        do {
            let existed = SystemIO.fileSize(path) != nil
            try cutTornTail(path)
            let fd = try SystemIO.openForAppend(path)
            defer { SystemIO.close(fd) }
            try SystemIO.writeAll(fd, payload, path: path)
            try SystemIO.fsync(fd, path: path)
            if !existed { try SystemIO.fsyncDirectory(directory) }
        } catch {
            throw StoreError.io(error, doing: "update the catalog", input: .path(path))
        }
    }

    /// Rewrites a shard with exactly `entries` (compaction, reindex), atomically.
    func rewrite(target: String, entries: [CatalogEntry]) throws(StoreError) {
        var payload: [UInt8] = []
        for e in entries { payload += Self.encodeLine(.put(e)) }
        do {
            if entries.isEmpty {
                try SystemIO.unlinkIfPresent(shardPath(target))
                try SystemIO.fsyncDirectory(directory)
            } else {
                try SystemIO.writeFileAtomically(shardPath(target), bytes: payload)
            }
        } catch {
            throw StoreError.io(error, doing: "rewrite the catalog", input: .path(shardPath(target)))
        }
    }

    /// A crash mid-append leaves a last line without its newline: drop it before appending.
    private func cutTornTail(_ path: String) throws(SystemError) {
        guard let size = SystemIO.fileSize(path), size > 0 else { return }
        let fd = try SystemIO.openReadOnly(path)
        defer { SystemIO.close(fd) }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(size - 1)) == 1, last != UInt8(ascii: "\n") else { return }
        let bytes = try SystemIO.readFile(path, limit: Int.max)
        let keep = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        try SystemIO.truncate(path, to: Int64(keep))
    }
}

extension SnapshotStore {
    /// The bytes of a catalog shard holding exactly `entries` (one target's, oldest first), as
    /// gbsnap writes it; for building large stores in benchmarks without archiving each snapshot.
    public static func catalogShard(_ entries: [CatalogEntry]) -> [UInt8] {
        entries.flatMap { Catalog.encodeLine(.put($0)) }
    }
}
