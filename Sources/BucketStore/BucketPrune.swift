import Foundation
import GBSnapCore
import Retention
import S3
import SnapshotStore

// Removal on a bucket (prune, rm): per target, the lease `prune-<target>` with the keys to remove in it (the intent),
// then their tombstones, then the archives, then the lease deleted. An entry points to a complete archive until its
// tombstone exists; a removal that died is finished by the next prune or rm that finds its lease expired.

extension BucketStore {
    /// How long a prune lease lasts unless renewed; renewed between steps, every third of it.
    public static let pruneLeaseTTL: Duration = .seconds(300)
    /// Snapshots removed per step: one intent write, their tombstones, one DeleteObjects.
    static let removalStep = 1000

    /// The lease name of a target's removals.
    public static func pruneLeaseName(target: String) -> String { "prune-\(target)" }

    /// The catalog as the retention planner sees it: every live entry, with its pin.
    public func retentionCandidates() async throws -> [RetentionCandidate] {
        let pinned = try await pins()
        return try await allEntries().map { e in
            RetentionCandidate(id: e.id, target: e.target, kinds: e.kinds, labels: e.labels, schedule: e.schedule,
                               takenAt: e.takenAt, bytes: e.bytes, pinned: pinned[e.id] != nil,
                               failedKinds: e.failedKinds, hasData: e.hasData)
        }
    }

    /// Plans retention over the whole catalog at `now` without changing anything (`prune --dry-run`): the same plan
    /// as on a local store with the same snapshots and pins.
    public func planPrune(policy: RetentionPolicy, now: Date) async throws -> RetentionPlan {
        try RetentionPlanner.plan(candidates: try await retentionCandidates(), policy: policy, now: now)
    }

    /// Plans and applies retention (`gbsnap prune` on a bucket). Removals a dead prune or rm left behind are finished
    /// first; then each target with removals is removed under its lease, pins and the catalog read again under it
    /// (snapshots pinned or removed since planning are skipped and reported, as on disk).
    /// - Throws: ``LeaseHeld`` when another prune or rm is removing from one of the targets (nothing is removed then);
    ///   ``RetentionError`` when the plan is refused; ``S3Error`` (a removal cut short is finished by the next one).
    public func prune(policy: RetentionPolicy, now: Date = Date(), leaseTTL: Duration = BucketStore.pruneLeaseTTL,
                      progress: StoreProgress? = nil) async throws -> PruneResult {
        try await finishInterruptedRemovals()
        let plan = try await planPrune(policy: policy, now: now)
        return try await applyPrune(plan, leaseTTL: leaseTTL, progress: progress)
    }

    /// Applies a plan made by ``planPrune(policy:now:)``, under the leases of its targets.
    public func applyPrune(_ plan: RetentionPlan, leaseTTL: Duration = BucketStore.pruneLeaseTTL,
                           progress: StoreProgress? = nil) async throws -> PruneResult {
        let toRemove = plan.decisions.filter { $0.action == .remove }
        guard !toRemove.isEmpty else {
            return PruneResult(plan: plan, removedIDs: [], bytesFreed: 0, skipped: [], compactedTargets: [])
        }
        var skipped: [PruneSkip] = []
        let removal = try await removeUnderLeases(targets: Set(toRemove.map(\.target)), ttl: leaseTTL, progress: progress) { live, pinned in
            let checked = try SnapshotStore.stillRemovable(toRemove, live: live, pinned: pinned)
            skipped = checked.skipped
            return checked.removal
        }
        var compacted: [String] = []
        for target in Set(removal.map(\.target)).sorted() {
            // The prune is complete either way: an uncompacted log only makes reads longer, and the next prune or
            // copy compacts it.
            if case .compacted = try? await compact(target: target, minLogObjects: StoreCopy.compactionThreshold) { compacted.append(target) }
        }
        return PruneResult(plan: plan, removedIDs: removal.map(\.id), bytesFreed: removal.reduce(0) { $0 + $1.bytes },
                           skipped: skipped, compactedTargets: compacted)
    }

    /// Removes snapshots by hand (`gbsnap rm` on a bucket), under the leases of their targets: a snapshot no longer
    /// listed, or pinned while `force` is false, refuses the whole removal with one sentence. With `force`, pinned
    /// snapshots go and so do their pins. This may remove a target's last snapshot: the user asked for it.
    public func removeSnapshots(_ entries: [CatalogEntry], force: Bool = false, leaseTTL: Duration = BucketStore.pruneLeaseTTL,
                                progress: StoreProgress? = nil) async throws -> RemoveResult {
        var seen = Set<String>()
        let unique = entries.filter { seen.insert($0.id).inserted }
        guard !unique.isEmpty else { return RemoveResult(removedIDs: [], bytesFreed: 0, unpinnedIDs: []) }
        try await finishInterruptedRemovals()
        var pinnedRemoved: [String] = []
        let removal = try await removeUnderLeases(targets: Set(unique.map(\.target)), ttl: leaseTTL, progress: progress) { live, pinned in
            try unique.map { e in
                guard let current = live[e.target]?[e.id] else {
                    throw StoreError(.unknownSelector, "snapshot \(e.id) is no longer in the catalog of \(description) (removed meanwhile?); nothing was removed", input: .snapshot(e.id))
                }
                if let pin = pinned[e.id] {
                    guard force else {
                        let note = pin.note.map { " (\"\($0)\")" } ?? ""
                        throw StoreError(.invalidInput, "snapshot \(e.id) is pinned\(note); unpin it first or use --force; nothing was removed", input: .snapshot(e.id))
                    }
                    pinnedRemoved.append(e.id)
                }
                return current
            }
        }
        for id in pinnedRemoved { try await client.deleteObject(bucket: bucket, key: key(BucketCatalog.pinKey(id: id))) }
        for target in Set(removal.map(\.target)).sorted() {
            _ = try? await compact(target: target, minLogObjects: StoreCopy.compactionThreshold)  // as after a prune
        }
        return RemoveResult(removedIDs: removal.map(\.id), bytesFreed: removal.reduce(0) { $0 + $1.bytes }, unpinnedIDs: pinnedRemoved)
    }

    /// Removes `entries` still listed (no pin checks; what a daemon's own removals call), under their targets'
    /// leases. Returns the bytes freed (the entries' sizes).
    @discardableResult
    public func remove(_ entries: [CatalogEntry]) async throws -> Int64 {
        guard !entries.isEmpty else { return 0 }
        try await finishInterruptedRemovals()
        let removal = try await removeUnderLeases(targets: Set(entries.map(\.target)), ttl: Self.pruneLeaseTTL, progress: nil) { live, _ in
            var seen = Set<String>()
            return entries.compactMap { e in seen.insert(e.id).inserted ? live[e.target]?[e.id] : nil }
        }
        return removal.reduce(0) { $0 + $1.bytes }
    }

    /// Takes the leases of `targets` (sorted; all or none), reads the live entries and pins under them, lets `decide`
    /// pick the entries to remove (it may throw: nothing is removed), removes them step by step, and releases the
    /// leases. A lease taken over from a dead holder has that holder's intent finished first. Returns what `decide`
    /// picked, all removed.
    func removeUnderLeases(targets: Set<String>, ttl: Duration, progress: StoreProgress?,
                           decide: ([String: [String: CatalogEntry]], [String: Pin]) throws -> [CatalogEntry]) async throws -> [CatalogEntry] {
        var leases: [String: BucketLease] = [:]
        func releaseAll() async {
            for lease in leases.values { _ = try? await lease.release() }
        }
        do {
            for target in targets.sorted() {
                let lease = try await BucketLease.acquire(self, name: Self.pruneLeaseName(target: target), purpose: "prune", ttl: ttl)
                leases[target] = lease
                if let intent = lease.previous?.extra["intent"] { try await finishIntent(intent, target: target, lease: lease) }
            }
            let pinned = try await pins()
            var live: [String: [String: CatalogEntry]] = [:]
            for target in targets {
                live[target] = Dictionary(try await entries(target: target).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            }
            let removal = try decide(live, pinned)
            var done = 0
            for (target, group) in Dictionary(grouping: removal, by: \.target).sorted(by: { $0.key < $1.key }) {
                let lease = leases[target]!
                var rest = group[...]
                while !rest.isEmpty {
                    let step = Array(rest.prefix(Self.removalStep))
                    rest = rest.dropFirst(step.count)
                    // The intent first, then what it says; a holder that dies in between leaves it for the next one.
                    try await lease.renew(extra: ["intent": step.map(\.key).joined(separator: "\n")])
                    try await removeStep(step.map { ($0.id, $0.key) }, target: target) { id in
                        progress?(done, removal.count, id)
                        done += 1
                    }
                    for other in leases.values where other !== lease && other.renewalDue { try await other.renew() }
                }
                try await lease.renew(extra: [:])
            }
            progress?(removal.count, removal.count, "")
            await releaseAll()
            return removal
        } catch {
            // A lease whose intent was written keeps it, for the next removal to finish (one taken over is its new
            // holder's, and release leaves it alone); the others go.
            for lease in leases.values where lease.record.extra["intent"]?.isEmpty ?? true { _ = try? await lease.release() }
            throw error
        }
    }

    /// One step: the tombstones of `items` (id, key), then their archives in one DeleteObjects. `each` hears of each
    /// snapshot as its tombstone is written.
    func removeStep(_ items: [(id: String, key: String)], target: String, each: (String) -> Void) async throws {
        try await withThrowingTaskGroup(of: String.self) { group in
            var next = items.makeIterator()
            func add() -> Bool {
                guard let item = next.next() else { return false }
                let tombstone = key(BucketCatalog.tombstoneKey(target: target, id: item.id))
                group.addTask { [self] in
                    // 412: the tombstone is there already (a removal finished twice).
                    _ = try await client.putObject(bucket: bucket, key: tombstone, bytes: Array("{}\n".utf8), contentType: "application/json", condition: .ifNoneMatch)
                    return item.id
                }
                return true
            }
            for _ in 0..<readConcurrency where add() {}
            while let id = try await group.next() {
                each(id)
                _ = add()
            }
        }
        let failed = try await client.deleteObjects(bucket: bucket, keys: items.map { key($0.key) })
        if let first = failed.first {
            throw BucketStoreError("\(failed.count) archive(s) of removed snapshots of target \(target) in \(description) could not be deleted (\(first.key): \(first.problem)); they are no longer listed, and the next prune or rm deletes them")
        }
    }

    /// Finishes the intent a dead holder of `lease` left: tombstones and archive deletes of every key it lists that
    /// is a snapshot's place in `target` (anything else in it is ignored: it is an object anyone may write).
    func finishIntent(_ intent: String, target: String, lease: BucketLease) async throws {
        let items: [(id: String, key: String)] = intent.split(separator: "\n").compactMap { line in
            let key = String(line)
            guard let file = key.split(separator: "/").last, file.hasSuffix(".tar.gz") else { return nil }
            let id = String(file.dropLast(7))
            return SnapshotStore.isCanonicalKey(key, target: target, id: id) ? (id, key) : nil
        }
        if !items.isEmpty { try await removeStep(items, target: target) { _ in } }
        try await lease.renew(extra: [:])
    }

    /// Finishes every removal a dead prune or rm left behind: prune leases that have expired with an intent in them
    /// are taken over, their intent carried out, and released. Live leases are left to their holders. Returns the
    /// targets it finished.
    @discardableResult
    public func finishInterruptedRemovals() async throws -> [String] {
        let prefix = key("leases/prune-")
        var finished: [String] = []
        for object in try await client.listAllObjects(bucket: bucket, prefix: prefix) where object.key.hasSuffix(".json") {
            let target = String(object.key.dropFirst(prefix.count).dropLast(5))
            guard SnapshotID.isValidTargetName(target),
                  let found = try await BucketLease.read(self, name: Self.pruneLeaseName(target: target)),
                  let record = found.record, !(record.extra["intent"] ?? "").isEmpty,
                  let serverNow = found.serverDate, record.expiresAt <= serverNow
            else { continue }
            let lease: BucketLease
            do { lease = try await BucketLease.acquire(self, name: Self.pruneLeaseName(target: target), purpose: "prune", ttl: Self.pruneLeaseTTL) } catch is LeaseHeld {
                continue  // someone else got there first
            }
            if let intent = lease.previous?.extra["intent"] { try await finishIntent(intent, target: target, lease: lease) }
            try await lease.release()
            finished.append(target)
        }
        return finished
    }
}
