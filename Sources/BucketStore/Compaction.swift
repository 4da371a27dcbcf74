import Foundation
import S3
import SnapshotStore

/// Compaction of a target's catalog on a bucket (docs/s3.md): the base and the log folded into a new base, written
/// with `If-Match` of the base that was read (`If-None-Match: *` for the first), and only then the folded log objects
/// deleted. Two compactions are serialized by the condition; a reader that overlaps one sees the base's ETag change
/// and reads again, so no acknowledged snapshot ever drops out of the catalog.
extension BucketStore {
    /// One compaction, read but not yet written.
    public struct CompactionPlan: Sendable {
        public var target: String
        /// The ETag of the base it read; nil when there was none.
        public var baseETag: String?
        /// The live entries the new base holds, oldest first.
        public var entries: [CatalogEntry]
        /// The log objects (records and tombstones, `log/` and `del/`, full keys) the new base makes redundant.
        public var foldedKeys: [String]
    }

    /// What a compaction did.
    public enum CompactionResult: Sendable, Hashable {
        /// The log had fewer objects than asked for: nothing written.
        case notNeeded(logObjects: Int)
        /// A new base with `entries` entries replaced `folded` log objects.
        case compacted(entries: Int, folded: Int)
    }

    /// Reads a target's base and log for a compaction.
    public func planCompaction(target: String) async throws -> CompactionPlan {
        let baseStoreKey = BucketCatalog.baseKey(target: target)
        let base = try await getBase(key(baseStoreKey))
        let changes = try base.map { try CatalogCodec.changes(inShard: $0.bytes, name: url(baseStoreKey)) } ?? []
        let (puts, tombstones, folded) = try await listLog(target: target)
        let known = Set(changes.compactMap { if case .put(let e) = $0 { e.id } else { nil } })
        let records = try await fetchRecords(target: target, ids: puts.filter { !known.contains($0) && !tombstones.contains($0) })
        return CompactionPlan(target: target, baseETag: base?.etag,
                              entries: BucketCatalog.merge(base: changes, records: records, tombstones: tombstones), foldedKeys: folded)
    }

    /// Writes a plan's base under its condition and then deletes the folded log objects; false (nothing written,
    /// nothing deleted) when the base changed since the plan read it.
    public func apply(_ plan: CompactionPlan) async throws -> Bool {
        let condition: S3WriteCondition = plan.baseETag.map { .ifMatch($0) } ?? .ifNoneMatch
        let written = try await client.putObject(bucket: bucket, key: key(BucketCatalog.baseKey(target: plan.target)),
                                                 bytes: CatalogCodec.shard(plan.entries), contentType: "application/x-ndjson", condition: condition)
        guard written != .preconditionFailed else { return false }
        var rest = plan.foldedKeys[...]
        while !rest.isEmpty {
            let batch = Array(rest.prefix(1000))
            rest = rest.dropFirst(batch.count)
            let failed = try await client.deleteObjects(bucket: bucket, keys: batch)
            // Left over, they are folded again by the next compaction and skipped by readers (the base has them).
            if let first = failed.first {
                throw BucketStoreError("catalog of target \(plan.target) in \(description) was compacted, but \(failed.count) log object(s) could not be deleted (\(first.key): \(first.problem)); they are harmless and the next compaction retries")
            }
        }
        return true
    }

    /// Compacts a target's catalog when its log holds at least `minLogObjects` objects, starting again from the
    /// winner's base when another compaction got there first.
    @discardableResult
    public func compact(target: String, minLogObjects: Int = 1) async throws -> CompactionResult {
        for _ in 0..<8 {
            let plan = try await planCompaction(target: target)
            if plan.foldedKeys.count < max(1, minLogObjects) { return .notNeeded(logObjects: plan.foldedKeys.count) }
            if try await apply(plan) { return .compacted(entries: plan.entries.count, folded: plan.foldedKeys.count) }
        }
        throw BucketStoreError("catalog of target \(target) in \(description) could not be compacted: other writers replaced its base eight times in a row; try again")
    }

    /// Compacts a target once its log (records and tombstones) holds `threshold` objects or more: a LIST page or two
    /// first, so a writer
    /// that calls this often (the daemon, every few snapshots of a target) reads the base only when it pays.
    @discardableResult
    public func compactIfLong(target: String, threshold: Int = StoreCopy.compactionThreshold) async throws -> CompactionResult {
        var count = try await client.listObjects(bucket: bucket, prefix: key(BucketCatalog.logPrefix(target: target)), maxKeys: threshold).objects.count
        if count < threshold {
            count += try await client.listObjects(bucket: bucket, prefix: key(BucketCatalog.tombstonePrefix(target: target)), maxKeys: threshold - count).objects.count
        }
        guard count >= threshold else { return .notNeeded(logObjects: count) }
        return try await compact(target: target, minLogObjects: threshold)
    }
}
