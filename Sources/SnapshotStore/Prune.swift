import Foundation
import GBSnapCore
import Retention

/// A snapshot a retention plan marked for removal that `applyPrune` left in place, and why.
public struct PruneSkip: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The snapshot id.
    public var id: String
    /// Why it stayed, e.g. `pinned after the plan was made`.
    public var reason: String

    /// Creates a skip record.
    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }

    /// `snapshot <id> was not removed: <reason>`.
    public var description: String { "snapshot \(id) was not removed: \(reason)" }
}

/// What applying a retention plan did to the store.
///
/// JSON (snake_case): the plan's own keys (`decisions`, `keep_ids`, `remove_ids`, `bytes_freed`,
/// `warnings`, see ``RetentionPlan``) plus `"applied": {"removed_ids": [...], "bytes_freed": n,
/// "skipped": [{"id", "reason"}], "compacted_targets": [...]}`.
public struct PruneResult: Sendable, Encodable {
    /// The plan that was applied.
    public var plan: RetentionPlan
    /// Ids actually removed, in plan order.
    public var removedIDs: [String]
    /// Bytes of archive files actually unlinked.
    public var bytesFreed: Int64
    /// Snapshots the plan removes that were left alone (pinned or already gone since planning).
    public var skipped: [PruneSkip]
    /// Targets whose catalog shard was rewritten because removed records outnumbered live ones.
    public var compactedTargets: [String]

    /// Creates a result.
    public init(plan: RetentionPlan, removedIDs: [String], bytesFreed: Int64, skipped: [PruneSkip], compactedTargets: [String]) {
        self.plan = plan
        self.removedIDs = removedIDs
        self.bytesFreed = bytesFreed
        self.skipped = skipped
        self.compactedTargets = compactedTargets
    }

    private struct Applied: Encodable {
        var removedIDs: [String]
        var bytesFreed: Int64
        var skipped: [PruneSkip]
        var compactedTargets: [String]

        enum CodingKeys: String, CodingKey {
            case removedIDs = "removed_ids"
            case bytesFreed = "bytes_freed"
            case skipped
            case compactedTargets = "compacted_targets"
        }
    }

    private enum CodingKeys: String, CodingKey { case applied }

    /// Writes the plan's keys and an `applied` object.
    public func encode(to encoder: any Encoder) throws {
        try plan.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Applied(removedIDs: removedIDs, bytesFreed: bytesFreed, skipped: skipped, compactedTargets: compactedTargets),
                     forKey: .applied)
    }
}

extension SnapshotStore {
    /// How many snapshots one crash-safe removal step handles. Each step writes its own intent,
    /// so a killed prune has finished every step before the one it died in, and an intent stays
    /// a few megabytes however large the prune.
    public static let pruneBatchSize = 10_000

    /// The catalog as the retention planner sees it: every live entry, with its pin.
    public func retentionCandidates() throws -> [RetentionCandidate] {
        let pinned = try pins()
        return try catalog.allEntries().map { Self.candidate($0, pinned: pinned[$0.id] != nil) }
    }

    static func candidate(_ e: CatalogEntry, pinned: Bool) -> RetentionCandidate {
        RetentionCandidate(id: e.id, target: e.target, kinds: e.kinds, labels: e.labels, schedule: e.schedule,
                           takenAt: e.takenAt, bytes: e.bytes, pinned: pinned,
                           failedKinds: e.failedKinds, hasData: e.hasData)
    }

    /// Plans retention over the whole catalog at `now`, without changing anything (`prune --dry-run`).
    ///
    /// - Throws: ``RetentionError`` when the policy is invalid or the plan is refused;
    ///   ``StoreError`` when the catalog or pins cannot be read.
    public func planPrune(policy: RetentionPolicy, now: Date) throws -> RetentionPlan {
        let candidates = try retentionCandidates()
        return try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
    }

    /// Plans and applies retention under one hold of the store lock, so no pin or capture can
    /// slip in between (what the daemon calls on its retention schedule, and `gbsnap prune`).
    ///
    /// - Throws: ``RetentionError`` when the policy is invalid or the plan is refused (nothing is
    ///   removed then); ``StoreError`` for I/O problems (a removal interrupted by one is finished
    ///   by the next writer).
    /// - Parameter progress: called as archives are removed (see ``StoreProgress``); nil by default.
    public func prune(policy: RetentionPolicy, now: Date = Date(), batchSize: Int = SnapshotStore.pruneBatchSize,
                      progress: StoreProgress? = nil) throws -> PruneResult {
        try withWriteLock {
            removeStaleTemporaryFiles()
            let plan = try planPrune(policy: policy, now: now)
            return try applyLocked(plan, batchSize: batchSize, progress: progress)
        }
    }

    /// Applies a plan made earlier by ``planPrune(policy:now:)``. Under the lock it re-reads the
    /// catalog and pins: snapshots pinned or removed since planning are skipped (and reported),
    /// and the removal never takes a target's last snapshot.
    /// - Parameter progress: called as archives are removed (see ``StoreProgress``); nil by default.
    public func applyPrune(_ plan: RetentionPlan, batchSize: Int = SnapshotStore.pruneBatchSize,
                           progress: StoreProgress? = nil) throws -> PruneResult {
        try withWriteLock {
            removeStaleTemporaryFiles()
            return try applyLocked(plan, batchSize: batchSize, progress: progress)
        }
    }

    /// The entries of a plan's removals that may still go, read again under the lock (or lease): one gone from the
    /// catalog or pinned since planning is skipped with why, and a stale plan that would empty a target is refused,
    /// as the planner refuses it. `live` is the catalog by target and id, `pinned` the pins.
    public static func stillRemovable(_ toRemove: [RetentionDecision], live: [String: [String: CatalogEntry]],
                                      pinned: [String: Pin]) throws -> (removal: [CatalogEntry], skipped: [PruneSkip]) {
        var skipped: [PruneSkip] = []
        var removal: [CatalogEntry] = []
        var perTarget: [String: Int] = [:]
        for d in toRemove {
            guard let entry = live[d.target]?[d.id] else {
                skipped.append(PruneSkip(id: d.id, reason: "it is no longer in the catalog"))
                continue
            }
            if pinned[d.id] != nil {
                skipped.append(PruneSkip(id: d.id, reason: "it was pinned after the plan was made"))
                continue
            }
            removal.append(entry)
            perTarget[entry.target, default: 0] += 1
        }
        for (target, count) in perTarget.sorted(by: { $0.key < $1.key }) where count >= live[target]?.count ?? 0 {
            throw RetentionError.wouldRemoveAllSnapshots(target: target)
        }
        return (removal, skipped)
    }

    /// Removes what `plan` removes; the caller holds the lock.
    private func applyLocked(_ plan: RetentionPlan, batchSize: Int, progress: StoreProgress?) throws -> PruneResult {
        removeStaleAtomicWriteTemps()
        let toRemove = plan.decisions.filter { $0.action == .remove }
        guard !toRemove.isEmpty else {
            return PruneResult(plan: plan, removedIDs: [], bytesFreed: 0, skipped: [], compactedTargets: [])
        }
        let pinned = try pins()
        var live: [String: [String: CatalogEntry]] = [:]
        for target in Set(toRemove.map(\.target)) {
            let entries = try catalog.entries(target: target)
            live[target] = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let (removal, skipped) = try Self.stillRemovable(toRemove, live: live, pinned: pinned)
        let removedPerTarget = Dictionary(grouping: removal, by: \.target).mapValues(\.count)
        let freed = try removeInBatches(removal, batchSize: batchSize, progress: progress)
        var compacted: [String] = []
        for (target, count) in removedPerTarget.sorted(by: { $0.key < $1.key }) {
            let liveCount = (live[target]?.count ?? 0) - count
            if try compactIfMostlyDead(target: target, liveCount: liveCount) { compacted.append(target) }
        }
        return PruneResult(plan: plan, removedIDs: removal.map(\.id), bytesFreed: freed, skipped: skipped,
                           compactedTargets: compacted)
    }

    /// Removes `entries` in crash-safe steps of `batchSize` (each with its own intent, see
    /// ``performRemoval(_:progress:)``); the caller holds the lock. Returns the bytes freed.
    func removeInBatches(_ entries: [CatalogEntry], batchSize: Int, progress: StoreProgress? = nil) throws -> Int64 {
        var freed: Int64 = 0
        let step = max(1, batchSize)
        var start = 0
        while start < entries.count {
            let end = min(entries.count, start + step)
            let offset = start
            freed += try performRemoval(Array(entries[start..<end]),
                                        progress: progress.map { p in { done, _, item in p(offset + done, entries.count, item) } })
            start = end
        }
        progress?(entries.count, entries.count, "")
        return freed
    }

    /// Rewrites a target's shard when fewer than half of its records describe live snapshots,
    /// which keeps catalog reads proportional to the live catalog at an amortised O(1) cost per
    /// removal. The caller holds the lock.
    func compactIfMostlyDead(target: String, liveCount: Int) throws -> Bool {
        let path = catalog.shardPath(target)
        guard SystemIO.fileSize(path) != nil else { return false }
        let bytes: [UInt8]
        do { bytes = try SystemIO.readFile(path, limit: Int.max) } catch { throw StoreError.io(error, doing: "read the catalog") }
        var records = 0
        for b in bytes where b == UInt8(ascii: "\n") { records += 1 }
        guard records > 2 * liveCount else { return false }
        try catalog.rewrite(target: target, entries: try catalog.entries(target: target))
        return true
    }

    /// Removes `<file>.tmp-<pid>-<n>` files that a process killed inside an atomic write
    /// (intent, pins, catalog compaction) left in the store root or the catalog directory.
    /// The caller holds the lock.
    func removeStaleAtomicWriteTemps() {
        for dir in [root, catalog.directory] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names {
                guard let range = name.range(of: ".tmp-", options: .backwards) else { continue }
                let parts = name[range.upperBound...].split(separator: "-")
                guard parts.count == 2, let pid = Int32(parts[0]), UInt32(parts[1]) != nil else { continue }
                if pid != SystemIO.currentProcessID && !SystemIO.processExists(pid) {
                    try? SystemIO.unlinkIfPresent("\(dir)/\(name)")
                }
            }
        }
    }
}
