import Foundation
import SnapshotStore

/// The catalog of a store on a bucket, the pure part (docs/s3.md): which keys hold what, and how a target's
/// compacted base and its log of immutable records merge into its entries.
///
///     catalog/<target>/base.jsonl            the compacted shard (JSON Lines with CRCs, as on disk)
///     catalog/<target>/log/<id>.put.json     one record per snapshot: the entry JSON of a catalog line
///     catalog/<target>/del/<id>.json         a tombstone (its body is not read: the key says it all)
///     catalog/<target>/log/<id>.del.json     a tombstone of the first layout (still honoured, folded by compaction)
///     pins/<id>.json                         one pin
public enum BucketCatalog {
    /// The store key of a target's compacted base.
    public static func baseKey(target: String) -> String { "catalog/\(target)/base.jsonl" }
    /// The store key prefix of a target's log.
    public static func logPrefix(target: String) -> String { "catalog/\(target)/log/" }
    /// The store key of a snapshot's record.
    public static func recordKey(target: String, id: String) -> String { "\(logPrefix(target: target))\(id).put.json" }
    /// The store key prefix of a target's tombstones: apart from the log, so a reader can list the log from the
    /// base's last id on (`start-after`) while prune tombstones old ids.
    public static func tombstonePrefix(target: String) -> String { "catalog/\(target)/del/" }
    /// The store key of a snapshot's tombstone.
    public static func tombstoneKey(target: String, id: String) -> String { "\(tombstonePrefix(target: target))\(id).json" }
    /// Where the first layout put a tombstone, in the log; readers and compaction still honour it.
    public static func legacyTombstoneKey(target: String, id: String) -> String { "\(logPrefix(target: target))\(id).del.json" }
    /// The store key of a pin.
    public static func pinKey(id: String) -> String { "pins/\(id).json" }

    /// What one log key holds.
    public enum LogKey: Sendable, Hashable {
        case put(id: String)
        case del(id: String)
    }

    /// Parses the part of a log key after `catalog/<target>/log/`; nil for anything else (left alone).
    public static func logKey(_ name: Substring) -> LogKey? {
        if name.hasSuffix(".put.json") {
            let id = String(name.dropLast(9))
            return SnapshotID.isValidID(id) ? .put(id: id) : nil
        }
        if name.hasSuffix(".del.json") {
            let id = String(name.dropLast(9))
            return SnapshotID.isValidID(id) ? .del(id: id) : nil
        }
        return nil
    }

    /// The id of a tombstone from the part of its key after `catalog/<target>/del/`; nil for anything else.
    public static func tombstoneID(_ name: Substring) -> String? {
        guard name.hasSuffix(".json") else { return nil }
        let id = String(name.dropLast(5))
        return SnapshotID.isValidID(id) ? id : nil
    }

    /// A target's live entries, oldest first: the base's, then the log's records (a record replaces a base entry of
    /// its id), without every id a tombstone names, wherever the tombstone is.
    public static func merge(base: [CatalogChange], records: [CatalogEntry], tombstones: Set<String>) -> [CatalogEntry] {
        let merged = CatalogCodec.live(base + records.map { .put($0) })
        return tombstones.isEmpty ? merged : merged.filter { !tombstones.contains($0.id) }
    }
}
