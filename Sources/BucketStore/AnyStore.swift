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
    /// credentials come from `environment`, then from a config's `s3:` block (`settings`).
    public static func open(_ text: String, create: Bool, environment: [String: String],
                            settings: S3Configuration.FileSettings? = nil) throws -> AnyStore {
        if isBucket(text) {
            return .bucket(try BucketStore.open(text, environment: environment, settings: settings ?? S3Configuration.FileSettings()))
        }
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
