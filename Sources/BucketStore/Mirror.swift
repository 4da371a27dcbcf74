import Foundation
import GBSnapCore
import S3
import SnapshotStore

extension BucketStore {
    /// A scratch local store at `root` whose catalog holds this bucket's entries of the targets `selectors` may name
    /// (`TARGET@…`, a target name, a full id's target; every target for an id prefix), and no archive yet: the
    /// commands that pick snapshots by the local rules (`diff`) run on it, then ``fetchArchive(_:into:)`` what they read.
    public func mirror(selectors: [String], into root: String) async throws -> SnapshotStore {
        let all = try await targets()
        var wanted = Set<String>()
        for s in selectors {
            if let at = s.firstIndex(of: "@") {
                let target = String(s[..<at])
                guard all.contains(target) else {
                    let hint = NameSuggestion.hint(target, in: all, known: "the store has snapshots of")
                    throw StoreError(.unknownSelector, "selector \"\(s)\": the store \(description) has no snapshots of target \"\(target)\"\(hint)", input: .target(target))
                }
                wanted.insert(target)
            } else if all.contains(s) {
                wanted.insert(s)
            } else if let t = SnapshotStore.targetFromID(s), all.contains(t) {
                wanted.insert(t)
            } else if !(s.contains("/") || s.hasSuffix(".tar.gz")) {
                wanted.formUnion(all)
            }
        }
        return try await mirror(targets: wanted.sorted(), known: all, into: root)
    }

    /// A scratch local store at `root` whose catalog holds this bucket's entries of `targets`; a target the bucket
    /// has no snapshots of is an error naming `input` (`gbsnap trend api`) with the closest target it has.
    public func mirror(targets: [String], input: String, into root: String) async throws -> SnapshotStore {
        let all = try await self.targets()
        for target in targets where !all.contains(target) {
            let hint = NameSuggestion.hint(target, in: all, known: "the store has snapshots of")
            throw StoreError(.unknownSelector, "\(input): the store \(description) has no snapshots of target \"\(target)\"\(hint)", input: .target(target))
        }
        return try await mirror(targets: targets, known: all, into: root)
    }

    func mirror(targets: [String], known all: [String], into root: String) async throws -> SnapshotStore {
        let store = try SnapshotStore(root: root, create: true)
        for target in targets where all.contains(target) {
            try store.seedCatalog(target: target, entries: try await entries(target: target))
        }
        return store
    }

    /// Fetches a snapshot's archive into a mirror (``mirror(selectors:into:)``) at its key, checked against its entry.
    public func fetchArchive(_ entry: CatalogEntry, into store: SnapshotStore) async throws {
        let final = store.path(forKey: entry.key)
        if SystemIO.fileSize(final) != nil { return }
        let dir = try store.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/\(entry.id).tar.gz"
        try await downloadArchive(entry, to: path)
        if let problem = SnapshotStore.checkArchiveFile(path, against: entry) {
            throw StoreError(.corruptArchive, "snapshot \(entry.id) as fetched from \(url(entry.key)) is damaged: \(problem.message)", input: .snapshot(entry.id))
        }
        do {
            try SystemIO.makeDirectories(SystemIO.parentDirectory(of: final))
            try SystemIO.rename(path, final)
        } catch {
            throw StoreError(.io, "cannot place the archive of \(entry.id) in \(store.root): \(error)", input: .path(final), underlying: error)
        }
    }
}
