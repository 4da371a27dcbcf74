import Foundation
import GBSnapCore
import S3
import SnapshotStore

/// A store a command names: a local directory or a bucket (`s3://BUCKET[/PREFIX]`).
public enum AnyStore: Sendable {
    case local(SnapshotStore)
    case bucket(BucketStore)

    /// Whether `text` names a bucket rather than a directory.
    public static func isBucket(_ text: String) -> Bool { text.hasPrefix("s3://") }

    /// Opens the store `text` names; a local one is created only when `create` is true. A bucket's endpoint and
    /// credentials come from `environment`.
    public static func open(_ text: String, create: Bool, environment: [String: String]) throws -> AnyStore {
        if isBucket(text) { return .bucket(try BucketStore.open(text, environment: environment)) }
        return .local(try SnapshotStore(root: text, create: create))
    }

    /// Closes a bucket's connections.
    public func shutdown() async {
        if case .bucket(let b) = self { await b.shutdown() }
    }

    /// The directory or `s3://…`, for messages.
    public var name: String {
        switch self {
        case .local(let s): s.root
        case .bucket(let b): b.description
        }
    }

    /// Entries `filter` keeps, oldest first.
    public func list(_ filter: ListFilter = ListFilter()) async throws -> [CatalogEntry] {
        switch self {
        case .local(let s): try s.list(filter)
        case .bucket(let b): try await b.list(filter)
        }
    }

    /// One target's entries, oldest first (none for an unknown target).
    public func entries(target: String) async throws -> [CatalogEntry] {
        switch self {
        case .local(let s): try s.list(ListFilter(target: target))
        case .bucket(let b): try await b.entries(target: target)
        }
    }

    /// The entry a selector names; an archive path is refused (it is not in a catalog of this store).
    public func resolveEntry(_ selector: String) async throws -> CatalogEntry {
        switch self {
        case .local(let s):
            guard let e = try s.entry(for: selector) else {
                throw StoreError(.invalidInput, "\(selector) is an archive file, not a snapshot of store \(s.root): give an id or TARGET@latest", input: .selector(selector))
            }
            return e
        case .bucket(let b): return try await b.resolveEntry(selector)
        }
    }
}

/// What `gbsnap copy` did.
public struct CopyReport: Sendable, Codable, Hashable {
    /// One snapshot's fate.
    public struct Item: Sendable, Codable, Hashable {
        public var id: String
        public var target: String
        /// `copied` or `skipped` (already on the destination).
        public var action: String
        public var bytes: Int64
    }

    public var from: String
    public var to: String
    /// Snapshots copied.
    public var copied: Int
    /// Bytes of the archives copied.
    public var bytes: Int64
    /// Snapshots the destination already had.
    public var skipped: Int
    public var snapshots: [Item]
    /// Problems after the copy that did not undo it (a compaction that failed), one sentence each.
    public var warnings: [String] = []
}

/// Copies snapshots between stores (`gbsnap copy`): a local store to a bucket and back, and also local to local or
/// bucket to bucket. Each archive is checked against
/// its catalog entry (the whole file's size and SHA-256) and its manifest (every member's SHA-256) before the
/// destination records it; on a bucket the record is written after the archive, on disk the archive is renamed in
/// from `.tmp` before its catalog line, so a copy that fails leaves nothing listed half-done, and a re-run
/// copies what is missing. Snapshots the destination already lists are skipped.
public enum StoreCopy {
    /// The log objects a bucket target's catalog may gather before a copy into it compacts it.
    public static let compactionThreshold = 256

    /// Copies the snapshots `selectors` name (every one of the source when empty). A bucket destination's targets
    /// whose log then holds `compactThreshold` objects or more are compacted.
    public static func copy(from source: AnyStore, to destination: AnyStore, selectors: [String],
                            progress: StoreProgress? = nil, compactThreshold: Int = compactionThreshold) async throws -> CopyReport {
        let selected: [CatalogEntry]
        if selectors.isEmpty {
            selected = try await source.list()
        } else {
            var seen = Set<String>()
            var list: [CatalogEntry] = []
            for s in selectors {
                let e = try await source.resolveEntry(s)
                if seen.insert(e.id).inserted { list.append(e) }
            }
            selected = list
        }
        var report = CopyReport(from: source.name, to: destination.name, copied: 0, bytes: 0, skipped: 0, snapshots: [])
        var present: [String: Set<String>] = [:]
        for (i, entry) in selected.enumerated() {
            progress?(i, selected.count, entry.id)
            if present[entry.target] == nil {
                present[entry.target] = Set(try await destination.entries(target: entry.target).map(\.id))
            }
            let copied = present[entry.target]!.contains(entry.id) ? false : try await copyOne(entry, from: source, to: destination)
            report.snapshots.append(CopyReport.Item(id: entry.id, target: entry.target, action: copied ? "copied" : "skipped", bytes: entry.bytes))
            if copied {
                report.copied += 1
                report.bytes += entry.bytes
            } else {
                report.skipped += 1
            }
        }
        progress?(selected.count, selected.count, "")
        if case .bucket(let b) = destination {
            for target in Set(report.snapshots.filter { $0.action == "copied" }.map(\.target)).sorted() {
                // The copy is complete either way: an uncompacted log only makes reads longer.
                do { try await b.compact(target: target, minLogObjects: compactThreshold) } catch {
                    report.warnings.append("\(error)")
                }
            }
        }
        return report
    }

    /// Copies one snapshot; false when the destination turned out to have it already. The archive is made a local
    /// file first (a bucket's is fetched: into the destination's `.tmp` when that is local, so it is renamed into
    /// place), checked, then written to the destination.
    static func copyOne(_ entry: CatalogEntry, from source: AnyStore, to destination: AnyStore) async throws -> Bool {
        var scratch: String?
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        func scratchFolder() throws -> String {
            if case .local(let to) = destination { scratch = try to.makeTemporaryDirectory(); return scratch! }
            let dir = NSTemporaryDirectory() + "gbsnap-copy-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
            do { try SystemIO.makeDirectories(dir) } catch {
                throw StoreError(.io, "cannot create the temp folder \(dir) for the archive of \(entry.id): \(error)", input: .path(dir), underlying: error)
            }
            scratch = dir
            return dir
        }
        var path: String
        let origin: String
        switch source {
        case .local(let from):
            path = from.path(forKey: entry.key)
            origin = path
            guard SystemIO.fileSize(path) != nil else {
                throw StoreError(.missingArchive, "snapshot \(entry.id) is in the catalog of \(from.root) but its archive \(path) is missing; run `gbsnap verify` there", input: .path(path))
            }
        case .bucket(let from):
            path = "\(try scratchFolder())/\(entry.id).tar.gz"
            origin = from.url(entry.key)
            try await from.downloadArchive(entry, to: path)
        }
        if let problem = SnapshotStore.checkArchiveFile(path, against: entry) {
            throw StoreError(.corruptArchive, "snapshot \(entry.id) was not copied: its archive \(origin) is damaged (\(problem.message))", input: .snapshot(entry.id))
        }
        switch destination {
        case .bucket(let to):
            return try await to.put(archiveAt: path, entry: entry) == .stored
        case .local(let to):
            if case .local = source {
                let copy = "\(try scratchFolder())/\(entry.id).tar.gz"
                do { try FileManager.default.copyItem(atPath: path, toPath: copy) } catch {
                    throw StoreError(.io, "cannot copy \(path) into \(to.root): \(error)", input: .path(path), underlying: error)
                }
                // Checked again: the copy is what gets recorded.
                if let problem = SnapshotStore.checkArchiveFile(copy, against: entry) {
                    throw StoreError(.corruptArchive, "snapshot \(entry.id) was not copied: the copy in \(to.root) is damaged (\(problem.message))", input: .snapshot(entry.id))
                }
                path = copy
            }
            return try to.add(archiveAt: path, entry: entry)
        }
    }
}

extension AnyStore {
    /// A target's entries; none is an error naming `input` with the closest target the store has.
    public func entries(ofTarget target: String, input: String) async throws -> [CatalogEntry] {
        switch self {
        case .local(let s): try s.entries(ofTarget: target, input: input)
        case .bucket(let b): try await b.entries(ofTarget: target, input: input)
        }
    }

    /// Pinned snapshot ids with their notes.
    public func pins() async throws -> [String: Pin] {
        switch self {
        case .local(let s): try s.pins()
        case .bucket(let b): try await b.pins()
        }
    }

    /// A snapshot whose archive is a local file, for the commands that read archives (`show`, `export`): a bucket's
    /// archive is fetched into `scratch` (a folder the caller removes) and checked against its catalog entry first.
    public func fetch(_ selector: String, scratch: String) async throws -> FetchedSnapshot {
        switch self {
        case .local(let s):
            let snapshot = try s.resolve(selector)
            return FetchedSnapshot(store: s, snapshot: snapshot, archiveName: snapshot.archivePath)
        case .bucket(let b):
            let entry = try await b.resolveEntry(selector)
            do { try SystemIO.makeDirectories(scratch) } catch {
                throw StoreError(.io, "cannot create the temp folder \(scratch) for the archive of \(entry.id): \(error)", input: .path(scratch), underlying: error)
            }
            let path = "\(scratch)/\(entry.id).tar.gz"
            try await b.downloadArchive(entry, to: path)
            if let problem = SnapshotStore.checkArchiveFile(path, against: entry) {
                throw StoreError(.corruptArchive, "snapshot \(entry.id) as fetched from \(b.url(entry.key)) is damaged: \(problem.message)", input: .snapshot(entry.id))
            }
            let local = try SnapshotStore(root: scratch, create: false)
            let snapshot = ResolvedSnapshot(archivePath: path, manifest: try local.readManifest(archivePath: path), entry: entry)
            return FetchedSnapshot(store: local, snapshot: snapshot, archiveName: b.url(entry.key))
        }
    }
}

/// A snapshot with its archive as a local file, and the store that reads it.
public struct FetchedSnapshot: Sendable {
    /// Reads the archive (`readArtifact`, `export`): the local store, or a scratch store around a fetched copy.
    public var store: SnapshotStore
    public var snapshot: ResolvedSnapshot
    /// Where the archive lives, for people: a path, or `s3://…`.
    public var archiveName: String
}

extension AnyStore {
    /// Pins the snapshot `selector` names (an archive path too, on a local store); returns its id.
    public func pin(_ selector: String, note: String?) async throws -> String {
        switch self {
        case .local(let s):
            let id = try s.resolve(selector).id
            try s.pin(id, note: note)
            return id
        case .bucket(let b):
            let id = try await b.resolveEntry(selector).id
            try await b.pin(id, note: note)
            return id
        }
    }

    /// Unpins the snapshot `selector` names; returns its id and whether it was pinned.
    public func unpin(_ selector: String) async throws -> (id: String, wasPinned: Bool) {
        switch self {
        case .local(let s):
            let id = try s.resolve(selector).id
            return (id, try s.unpin(id))
        case .bucket(let b):
            let id = try await b.resolveEntry(selector).id
            return (id, try await b.unpin(id))
        }
    }
}

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
