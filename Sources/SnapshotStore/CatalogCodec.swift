import Foundation
import GBSnapCore
import JSONScan

/// One change to a target's catalog: a snapshot listed, or its tombstone.
public enum CatalogChange: Sendable, Hashable {
    /// The snapshot is listed with this entry.
    case put(CatalogEntry)
    /// The snapshot with this id is no longer listed.
    case del(String)
}

/// The catalog's encodings for stores that keep it elsewhere than in local shards (a bucket): the same JSON Lines
/// shard with CRCs, and the same entry JSON a shard line holds.
public enum CatalogCodec {
    /// The JSON of one entry, exactly as a catalog line holds it (compact, sorted keys).
    public static func entryJSON(_ entry: CatalogEntry) -> [UInt8] {
        var out: [UInt8] = []
        CatalogJSONWriter.entry(entry, into: &out)
        return out
    }

    /// Reads the JSON of one entry (``entryJSON(_:)``); `name` names the object in the error.
    public static func entry(fromJSON bytes: [UInt8], name: String) throws(StoreError) -> CatalogEntry {
        do {
            return try bytes.withUnsafeBufferPointer { (buffer) throws(CatalogJSONReader.Malformed) in
                var scanner = JSONScanner(buffer, maxDepth: CatalogJSONReader.maxDepth)
                do throws(JSONScanError) {
                    let entry = try CatalogJSONReader.readEntry(&scanner)
                    try scanner.expectEnd()
                    return entry
                } catch {
                    throw CatalogJSONReader.Malformed(offset: error.offset, reason: error.reason)
                }
            }
        } catch {
            throw StoreError(.corruptCatalog, "catalog record \(name) is not a catalog entry gbsnap can read (\(error)); remove it and run `gbsnap reindex`",
                             input: .path(name), underlying: error)
        }
    }

    /// A shard (JSON Lines with CRCs) holding exactly `entries`.
    public static func shard(_ entries: [CatalogEntry]) -> [UInt8] {
        entries.flatMap { Catalog.encodeLine(.put($0)) }
    }

    /// The changes a shard records, in order; `name` names the shard in errors. A torn last line is ignored.
    public static func changes(inShard bytes: [UInt8], name: String) throws(StoreError) -> [CatalogChange] {
        try Catalog.decodeShard(bytes, path: name).map { record in
            switch record {
            case .put(let e): .put(e)
            case .del(let id): .del(id)
            }
        }
    }

    /// The live entries `changes` leave (a later put of an id replaces it, a del removes it), oldest first.
    public static func live(_ changes: [CatalogChange]) -> [CatalogEntry] {
        Catalog.live(changes.map { change in
            switch change {
            case .put(let e): .put(e)
            case .del(let id): .del(id)
            }
        })
    }

    /// `entries` in the catalog's order: by time taken, ties by id.
    public static func sorted(_ entries: [CatalogEntry]) -> [CatalogEntry] { Catalog.sortedByTime(entries) }
}

extension SnapshotStore {
    /// Replaces a target's catalog shard with exactly `entries` (oldest first), under the store lock: for a scratch
    /// store mirroring another store's catalog (a bucket's, so the local selector and pairing rules run on it), whose
    /// archives are fetched afterwards. Never for a store of record: its catalog is only appended to.
    public func seedCatalog(target: String, entries: [CatalogEntry]) throws {
        guard SnapshotID.isValidTargetName(target) else {
            throw StoreError(.invalidTargetName, "target name \"\(target)\" is not usable", input: .target(target))
        }
        try withWriteLock { try catalog.rewrite(target: target, entries: entries) }
    }
}
