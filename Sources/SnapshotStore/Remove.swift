import Foundation
import GBSnapCore

/// What `gbsnap rm` removed.
///
/// JSON (snake_case): `{"removed_ids": [...], "bytes_freed": n, "unpinned_ids": [...]}`.
public struct RemoveResult: Sendable, Encodable {
    /// Ids removed from the catalog and the store, in the order given.
    public var removedIDs: [String]
    /// Bytes of archive files unlinked.
    public var bytesFreed: Int64
    /// Pinned snapshots removed with `force` (their pins are gone too).
    public var unpinnedIDs: [String]

    /// Creates a result.
    public init(removedIDs: [String], bytesFreed: Int64, unpinnedIDs: [String]) {
        self.removedIDs = removedIDs
        self.bytesFreed = bytesFreed
        self.unpinnedIDs = unpinnedIDs
    }

    enum CodingKeys: String, CodingKey {
        case removedIDs = "removed_ids"
        case bytesFreed = "bytes_freed"
        case unpinnedIDs = "unpinned_ids"
    }
}

extension SnapshotStore {
    /// The catalog entry a selector names, without opening its archive (so a damaged snapshot
    /// can still be named); a path must be an archive of a snapshot the catalog lists.
    public func catalogEntry(for selector: String) throws(StoreError) -> CatalogEntry {
        if let entry = try resolveEntry(selector) { return entry }
        let manifest = try readManifest(archivePath: selector)
        guard let entry = try catalog.entries(target: manifest.target.name).first(where: { $0.id == manifest.id }) else {
            throw StoreError(.unknownSelector, "archive \(selector) holds snapshot \(manifest.id), which the catalog does not list; delete the file itself if it is not wanted",
                             input: .selector(selector))
        }
        return entry
    }

    /// Removes snapshots by hand (`gbsnap rm`), with the crash-safe removal prune uses: intent
    /// first, then the catalog, then the archives. Everything is checked under the store lock
    /// before anything is removed: a snapshot no longer in the catalog, or pinned while `force`
    /// is false, refuses the whole removal. With `force`, pinned snapshots go and so do their pins.
    /// Unlike retention, this may remove a target's last snapshot: the user asked for it.
    public func removeSnapshots(_ entries: [CatalogEntry], force: Bool = false,
                                batchSize: Int = SnapshotStore.pruneBatchSize) throws -> RemoveResult {
        var seen = Set<String>()
        let unique = entries.filter { seen.insert($0.id).inserted }
        return try withWriteLock {
            var pinned = try pins()
            var live: [String: [String: CatalogEntry]] = [:]
            for target in Set(unique.map(\.target)) {
                live[target] = Dictionary(try catalog.entries(target: target).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            }
            var removal: [CatalogEntry] = []
            for e in unique {
                guard let current = live[e.target]?[e.id] else {
                    throw StoreError(.unknownSelector, "snapshot \(e.id) is no longer in the catalog (removed meanwhile?); nothing was removed", input: .snapshot(e.id))
                }
                if !force, let pin = pinned[e.id] {
                    let note = pin.note.map { " (\"\($0)\")" } ?? ""
                    throw StoreError(.invalidInput, "snapshot \(e.id) is pinned\(note); unpin it first or use --force; nothing was removed", input: .snapshot(e.id))
                }
                removal.append(current)
            }
            let freed = try removeInBatches(removal, batchSize: batchSize)
            let unpinned = removal.map(\.id).filter { pinned.removeValue(forKey: $0) != nil }
            if !unpinned.isEmpty {
                do { try savePins(pinned) } catch { throw StoreError.io(error, doing: "update the pins after removing \(unpinned.joined(separator: ", "))") }
            }
            return RemoveResult(removedIDs: removal.map(\.id), bytesFreed: freed, unpinnedIDs: unpinned)
        }
    }
}
