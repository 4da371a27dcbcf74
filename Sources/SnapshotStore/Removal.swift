import Foundation
import GBSnapCore

// The crash-safe removal behind prune and `gbsnap rm`: intent, catalog, archives, in that order.

extension SnapshotStore {
    /// What a removal in progress will delete: written durably before anything is deleted.
    /// Only id, key and target are kept (an intent decodes from full catalog entries too).
    struct RemovalIntent: Codable {
        struct Item: Codable {
            var id: String
            var key: String
            var target: String
        }

        var entries: [Item]
    }

    var removalIntentPath: String { "\(root)/.removal-intent.json" }

    /// Removes snapshots, crash-safely: the intent (the entries) is written durably first, then
    /// the catalog records the removal, then the archives are unlinked, then the intent goes.
    /// A process killed at any step leaves every catalog entry pointing to a complete archive;
    /// the next writer (any locked operation) or `verify` finishes the job.
    /// Returns the bytes freed.
    @discardableResult
    public func remove(_ entries: [CatalogEntry]) throws -> Int64 {
        guard !entries.isEmpty else { return 0 }
        return try withWriteLock {
            try performRemoval(entries)
        }
    }

    /// One removal step; the caller holds the lock. Linear in the number of entries. `progress`
    /// hears of each archive before it is unlinked (the slow part on a large store).
    func performRemoval(_ entries: [CatalogEntry], progress: StoreProgress? = nil) throws -> Int64 {
        let items = entries.map { RemovalIntent.Item(id: $0.id, key: $0.key, target: $0.target) }
        let intent: Data
        do { intent = try JSONEncoder().encode(RemovalIntent(entries: items)) } catch {
            throw StoreError.io(error, doing: "encode the removal intent")
        }
        do { try SystemIO.writeFileAtomically(removalIntentPath, bytes: Array(intent)) } catch {
            throw StoreError.io(error, doing: "write the removal intent")
        }
        for (target, group) in Dictionary(grouping: items, by: \.target) {
            try catalog.append(group.map { .del($0.id) }, target: target)
        }
        let freed = try unlinkArchives(items, progress: progress)
        do {
            try SystemIO.unlinkIfPresent(removalIntentPath)
            try SystemIO.fsyncDirectory(root)
        } catch {
            throw StoreError.io(error, doing: "finish the removal")
        }
        return freed
    }

    /// Unlinks the archives, removes day/month/year directories left empty, and makes the
    /// directory changes durable before the intent may go. Returns the bytes unlinked.
    private func unlinkArchives(_ items: [RemovalIntent.Item], progress: StoreProgress?) throws -> Int64 {
        var freed: Int64 = 0
        var dirs = Set<String>()
        do {
            for (done, e) in items.enumerated() {
                progress?(done, items.count, e.id)
                let p = path(forKey: e.key)
                if let size = SystemIO.fileSize(p) { freed += size }
                try SystemIO.unlinkIfPresent(p)
                dirs.insert(SystemIO.parentDirectory(of: p))
            }
            // snapshots/<target>/YYYY/MM/DD: try DD, then MM, then YYYY; rmdir fails on a
            // non-empty directory, and writers create these directories under the lock.
            var synced = Set<String>()
            for day in dirs.sorted() {
                var dir = day
                var levels = day.hasPrefix("\(root)/\(Self.bucket)/") ? 3 : 0
                while levels > 0, rmdir(dir) == 0 {
                    dir = SystemIO.parentDirectory(of: dir)
                    levels -= 1
                }
                if synced.insert(dir).inserted, SystemIO.isDirectory(dir) { try SystemIO.fsyncDirectory(dir) }
            }
        } catch {
            throw StoreError.io(error, doing: "remove snapshot archives")
        }
        return freed
    }

    /// Finishes a removal a killed process left half done. Called with the lock held.
    func finishInterruptedRemoval() throws {
        guard SystemIO.fileSize(removalIntentPath) != nil else { return }
        let bytes: [UInt8]
        do { bytes = try SystemIO.readFile(removalIntentPath, limit: Int.max) } catch {
            throw StoreError.io(error, doing: "read the removal intent \(removalIntentPath)", input: .path(removalIntentPath))
        }
        guard let intent = try? JSONDecoder().decode(RemovalIntent.self, from: Data(bytes)) else {
            // A torn intent cannot have been acted on: writing it is the first step.
            try? SystemIO.unlinkIfPresent(removalIntentPath)
            return
        }
        // Only items that name a real snapshot location are acted on (the intent is a plain file).
        let items = intent.entries.filter { Self.isCanonicalKey($0.key, target: $0.target, id: $0.id) }
        var pending: [RemovalIntent.Item] = []
        for (target, group) in Dictionary(grouping: items, by: \.target) {
            let live = Set(try catalog.entries(target: target).map(\.id))
            pending += group.filter { live.contains($0.id) }
        }
        for (target, group) in Dictionary(grouping: pending, by: \.target) {
            try catalog.append(group.map { .del($0.id) }, target: target)
        }
        _ = try unlinkArchives(items, progress: nil)
        do {
            try SystemIO.unlinkIfPresent(removalIntentPath)
            try SystemIO.fsyncDirectory(root)
        } catch {
            throw StoreError.io(error, doing: "finish an interrupted removal")
        }
    }

    /// Rewrites a target's catalog shard without removed records (after a large prune).
    public func compactCatalog(target: String) throws {
        try withWriteLock {
            try catalog.rewrite(target: target, entries: try catalog.entries(target: target))
        }
    }
}
