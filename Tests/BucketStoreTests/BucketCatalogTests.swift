import BucketStore
import Foundation
import SnapshotStore
import Testing

private func entry(_ id: String, target: String = "api", at seconds: TimeInterval, bytes: Int64 = 10) -> CatalogEntry {
    let taken = Date(timeIntervalSince1970: 1_795_000_000 + seconds)
    return CatalogEntry(id: id, key: SnapshotStore.key(target: target, id: id, takenAt: taken), target: target, labels: ["env": "prod"],
                        kinds: ["heap"], failedKinds: [], schedule: "nightly", takenAt: taken, finishedAt: taken, bytes: bytes,
                        sha256: String(repeating: "ab", count: 32), status: .complete)
}

@Suite("Bucket catalog: keys and merging a base with its log (no server)")
struct BucketCatalogTests {
    @Test("the store keys of a target's base, records, tombstones and pins")
    func keys() {
        #expect(BucketCatalog.baseKey(target: "api") == "catalog/api/base.jsonl")
        #expect(BucketCatalog.recordKey(target: "api", id: "20261126T020000Z-api-7k3f") == "catalog/api/log/20261126T020000Z-api-7k3f.put.json")
        #expect(BucketCatalog.tombstoneKey(target: "api", id: "20261126T020000Z-api-7k3f") == "catalog/api/del/20261126T020000Z-api-7k3f.json")
        #expect(BucketCatalog.legacyTombstoneKey(target: "api", id: "20261126T020000Z-api-7k3f") == "catalog/api/log/20261126T020000Z-api-7k3f.del.json")
        #expect(BucketCatalog.tombstoneID("20261126T020000Z-api-7k3f.json") == "20261126T020000Z-api-7k3f")
        #expect(BucketCatalog.tombstoneID("../x.json") == nil)
        #expect(BucketCatalog.pinKey(id: "20261126T020000Z-api-7k3f") == "pins/20261126T020000Z-api-7k3f.json")
    }

    @Test("log keys: records and tombstones by suffix; anything else, and unsafe ids, left alone")
    func logKeys() {
        #expect(BucketCatalog.logKey("20261126T020000Z-api-7k3f.put.json") == .put(id: "20261126T020000Z-api-7k3f"))
        #expect(BucketCatalog.logKey("20261126T020000Z-api-7k3f.del.json") == .del(id: "20261126T020000Z-api-7k3f"))
        #expect(BucketCatalog.logKey("20261126T020000Z-api-7k3f.json") == nil)
        #expect(BucketCatalog.logKey("x/../y.put.json") == nil)
        #expect(BucketCatalog.logKey(".put.json") == nil)
    }

    @Test("base entries, then records, by id and time; a tombstone removes an id from base or log")
    func merge() throws {
        let a = entry("20261126T020000Z-api-aaaa", at: 0)
        let b = entry("20261126T030000Z-api-bbbb", at: 3600)
        let c = entry("20261126T040000Z-api-cccc", at: 7200)
        let d = entry("20261126T050000Z-api-dddd", at: 10800)
        // The base as a shard holds a put, a later replacement and a del, like a local shard.
        let base = try CatalogCodec.changes(inShard: CatalogCodec.shard([a, b]), name: "base")
        #expect(base == [.put(a), .put(b)])
        // Records arrive in listing order, not time order; one replaces a base entry of its id.
        var bigger = b
        bigger.bytes = 99
        let merged = BucketCatalog.merge(base: base, records: [d, bigger, c], tombstones: [])
        #expect(merged.map(\.id) == [a.id, b.id, c.id, d.id])
        #expect(merged[1].bytes == 99)
        let pruned = BucketCatalog.merge(base: base + [.del(a.id)], records: [d, c], tombstones: [c.id])
        #expect(pruned.map(\.id) == [b.id, d.id])
        #expect(BucketCatalog.merge(base: [], records: [], tombstones: [a.id]).isEmpty)
    }

    @Test("a record's JSON is the entry JSON of a catalog line, and reads back equal")
    func recordJSON() throws {
        let e = entry("20261126T020000Z-api-aaaa", at: 0)
        let json = CatalogCodec.entryJSON(e)
        let line = String(decoding: CatalogCodec.shard([e]), as: UTF8.self)
        #expect(line.contains(#""rec":{"entry":"# + String(decoding: json, as: UTF8.self) + #","op":"put"}"#))
        #expect(try CatalogCodec.entry(fromJSON: json + [0x0A], name: "r") == e)
        #expect(throws: StoreError.self) { try CatalogCodec.entry(fromJSON: Array(#"{"id":"x"}"#.utf8), name: "r") }
        // A record whose key is not where its id belongs is refused, as in a local shard.
        var moved = e
        moved.key = "snapshots/other/2026/11/26/\(e.id).tar.gz"
        #expect(throws: StoreError.self) { try CatalogCodec.entry(fromJSON: CatalogCodec.entryJSON(moved), name: "r") }
    }

    @Test("a damaged base shard is an error naming it")
    func damagedBase() throws {
        var bytes = CatalogCodec.shard([entry("20261126T020000Z-api-aaaa", at: 0)])
        bytes[30] ^= 1
        let error = try #require(throws: StoreError.self) { try CatalogCodec.changes(inShard: bytes, name: "s3://b/catalog/api/base.jsonl") }
        #expect(error.message.hasPrefix("catalog s3://b/catalog/api/base.jsonl is damaged at line 1"))
    }
}
