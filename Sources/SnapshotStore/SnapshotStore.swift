import ArchiveIO
import Foundation
import GBSnapCore
import Retention

/// A local store laid out like an object store (docs/storage.md):
///
///     <root>/snapshots/<target>/<YYYY>/<MM>/<DD>/<id>.tar.gz   one archive per snapshot
///     <root>/catalog/<target>.jsonl                            the catalog, one shard per target
///     <root>/quarantine/snapshots/...                          damaged archives reindex moved aside
///     <root>/pins.json                                         pinned snapshots and notes
///     <root>/.tmp/                                             temp files, never read as data
///     <root>/.lock                                             writers' lock
///
/// Every archive is complete before its catalog entry exists, and every catalog entry points to
/// a complete archive, whatever moment a process is killed at.
public final class SnapshotStore: Sendable {
    public let root: String
    let catalog: Catalog
    /// How long writers wait for another gbsnap process to release the store.
    let lockTimeout: Double

    public static let bucket = "snapshots"
    static let manifestMember = "manifest.json"
    static let maxManifestBytes = 16 << 20

    /// Opens the store at `root`, creating its layout when `create` is true.
    public init(root: String, create: Bool = true, lockTimeout: Double = 30) throws(StoreError) {
        // Never a directory named `s3:` in the working directory: the commands that take a bucket open it themselves.
        if root.hasPrefix("s3://") {
            throw StoreError(.invalidInput, "store \(root) is a bucket, and this command works on a local store only so far (see docs/s3.md for what works on a bucket): give a local --store",
                             input: .path(root))
        }
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.catalog = Catalog(directory: "\(self.root)/catalog")
        self.lockTimeout = lockTimeout
        if !SystemIO.isDirectory(self.root) && !create {
            throw StoreError(.invalidInput, "store \(self.root) does not exist", input: .path(self.root))
        }
        if create {
            do {
                for dir in [self.root, "\(self.root)/\(Self.bucket)", catalog.directory, "\(self.root)/.tmp"] {
                    try SystemIO.makeDirectories(dir)
                }
            } catch {
                throw StoreError(.io, "cannot use \(self.root) as a store: \(error)", input: .path(self.root), underlying: error)
            }
        }
    }

    // MARK: Locking

    /// Runs `body` holding the store's writer lock (`<root>/.lock`, flock). Readers need no lock.
    public func withWriteLock<T>(_ body: () throws -> T) throws -> T {
        let path = "\(root)/.lock"
        let lock: FileLock?
        do { lock = try FileLock.acquire(path, mode: .exclusive, timeout: lockTimeout) } catch {
            throw StoreError(.io, "cannot lock the store \(root): \(error)", input: .path(root), underlying: error)
        }
        guard let lock else {
            let holder = FileLock.holderPID(path).map { " (pid \($0))" } ?? ""
            throw StoreError(.storeLocked, "store \(root) is locked by another gbsnap process\(holder); try again when it has finished", input: .path(root))
        }
        defer { lock.unlock() }
        try finishInterruptedRemoval()
        removeStaleTemporaryFiles()
        return try body()
    }

    /// Throws unless a new file can be created (and removed) in each directory a snapshot write
    /// touches: `.tmp`, `catalog` and `snapshots`. Creates no directory, so a store whose root was
    /// removed or whose directories were replaced fails it. For the daemon, to tell a store it can
    /// no longer write from one snapshot that failed.
    public func checkWritable() throws(StoreError) {
        for dir in ["\(root)/.tmp", catalog.directory, "\(root)/\(Self.bucket)"] {
            let probe = "\(dir)/.gbsnap-probe-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
            do {
                SystemIO.close(try SystemIO.createExclusive(probe, mode: 0o600))
                try SystemIO.unlinkIfPresent(probe)
            } catch {
                throw StoreError(.io, "store \(root) cannot be written: \(error)", input: .path(root), underlying: error)
            }
        }
    }

    // MARK: Temp files

    /// A fresh private directory under `<root>/.tmp` for one process's in-flight files (capture
    /// bodies, archives being written). Directories of dead processes are removed by writers.
    public func makeTemporaryDirectory() throws(StoreError) -> String {
        let path = "\(root)/.tmp/\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        do { try SystemIO.makeDirectories(path) } catch { throw StoreError(.io, "cannot create a temp directory in \(root)/.tmp: \(error)", input: .path(path), underlying: error) }
        return path
    }

    /// Removes temp directories left by processes that no longer run (after `kill -9`).
    public func removeStaleTemporaryFiles() {
        let tmp = "\(root)/.tmp"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp) else { return }
        for name in names {
            guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }) else { continue }
            if pid != SystemIO.currentProcessID && !SystemIO.processExists(pid) {
                try? FileManager.default.removeItem(atPath: "\(tmp)/\(name)")
            }
        }
    }

    // MARK: Writing

    /// The object key of a snapshot's archive.
    public static func key(target: String, id: String, takenAt: Date) -> String {
        let day = Timestamp.formatUTCFast(takenAt)
        let y = day.prefix(4), m = day.dropFirst(5).prefix(2), d = day.dropFirst(8).prefix(2)
        return "\(bucket)/\(target)/\(y)/\(m)/\(d)/\(id).tar.gz"
    }

    public func path(forKey key: String) -> String { "\(root)/\(key)" }

    /// Keys of the archive files (`*.tar.gz`) under `snapshots/<target>/`, or under all of `snapshots/` when
    /// `target` is nil, sorted; by directory listings only, no file is opened or stat'ed. Archives at any depth
    /// are found (up to ``archiveWalkDepth`` levels), not only at `YYYY/MM/DD`, so verify and reindex also see one
    /// misplaced by hand. The one walk of the layout behind verify, reindex and adoption.
    func archiveKeys(target: String? = nil) -> [String] {
        let fm = FileManager.default
        var keys: [String] = []
        func walk(_ rel: String, depth: Int) {
            guard depth < Self.archiveWalkDepth, let names = try? fm.contentsOfDirectory(atPath: "\(root)/\(rel)") else { return }
            for name in names {
                if name.hasSuffix(".tar.gz") { keys.append("\(rel)/\(name)") } else { walk("\(rel)/\(name)", depth: depth + 1) }
            }
        }
        walk(target.map { "\(Self.bucket)/\($0)" } ?? Self.bucket, depth: target == nil ? 0 : 1)
        return keys.sorted()
    }

    /// How deep below `snapshots/` ``archiveKeys(target:)`` looks (the layout uses 4 levels: target, year,
    /// month, day); a bound, so a symbolic link loop cannot make it recurse forever.
    static let archiveWalkDepth = 12

    /// Whether `key` is where gbsnap puts a snapshot `id` of `target`:
    /// `snapshots/<target>/YYYY/MM/DD/<id>.tar.gz` with safe names. Keys read back from the
    /// catalog or a removal intent are checked before any file is opened or unlinked, so a
    /// hand-edited catalog cannot point gbsnap outside the store.
    public static func isCanonicalKey(_ key: String, target: String, id: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        func digits(_ part: Substring, _ count: Int) -> Bool {
            part.utf8.count == count && part.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        }
        return parts.count == 6 && parts[0] == Substring(bucket) && parts[1] == Substring(target)
            && SnapshotID.isValidTargetName(target) && SnapshotID.isValidID(id)
            && digits(parts[2], 4) && digits(parts[3], 2) && digits(parts[4], 2) && parts[5] == Substring(id + ".tar.gz")
    }

    /// Archives `manifest` and the artifact files (member path → source file), then records the
    /// snapshot in the catalog. The artifacts' `bytes` and `sha256` in the manifest must describe
    /// the files; a file that changed is refused.
    ///
    /// Crash-safe: the archive is written to `.tmp`, fsynced, renamed into place, its directory
    /// fsynced, and only then appended to the catalog.
    @discardableResult
    public func write(manifest: Manifest, files: [String: String]) throws -> CatalogEntry {
        let tempDir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tempDir) }
        let tempPath = "\(tempDir)/\(manifest.id).tar.gz"
        let entry = try writeArchiveFile(manifest: manifest, files: files, to: tempPath)
        let finalPath = path(forKey: entry.key)
        try withWriteLock {
            do {
                guard SystemIO.fileSize(finalPath) == nil else {
                    throw StoreError(.invalidInput, "snapshot \(manifest.id) already exists at \(finalPath)", input: .snapshot(manifest.id))
                }
                try moveIntoPlace(tempPath, finalPath)
            } catch let e as StoreError {
                throw e
            } catch {
                throw StoreError(.io, "cannot store snapshot \(manifest.id): \(error)", input: .snapshot(manifest.id), underlying: error)
            }
            try catalog.append([.put(entry)], target: entry.target)
        }
        return entry
    }

    /// Writes the archive of `manifest` and the artifact files to `path` (a new file, fsynced) and returns the
    /// catalog entry it will have, without recording it anywhere: ``write(manifest:files:)`` then renames it into
    /// place; a bucket store uploads it.
    public func writeArchiveFile(manifest: Manifest, files: [String: String], to path: String) throws -> CatalogEntry {
        guard SnapshotID.isValidTargetName(manifest.target.name) else {
            throw StoreError(.invalidTargetName, "target name \"\(manifest.target.name)\" is not usable: use letters, digits, '.', '_' and '-' (at most 100)",
                             input: .target(manifest.target.name))
        }
        for artifact in manifest.artifacts {
            if let member = artifact.member {
                guard ArchiveMemberName.isSafe(member), member != Self.manifestMember else {
                    throw StoreError(.invalidInput, "artifact \"\(artifact.name)\" has an unusable member name \"\(member)\"")
                }
                guard files[member] != nil else { throw StoreError(.invalidInput, "artifact \"\(artifact.name)\": no file given for member \(member)") }
            }
        }
        let key = Self.key(target: manifest.target.name, id: manifest.id, takenAt: manifest.takenAt)
        let (size, sha) = try writeArchive(to: path, manifest: manifest, files: files)
        return CatalogEntry(manifest: manifest, key: key, bytes: size, sha256: sha)
    }

    /// Writes the archive and returns its size and SHA-256.
    private func writeArchive(to tempPath: String, manifest: Manifest, files: [String: String]) throws -> (Int64, String) {
        let fd: Int32
        do { fd = try SystemIO.createExclusive(tempPath) } catch {
            throw StoreError(.io, "cannot write snapshot \(manifest.id): \(error)", input: .path(tempPath), underlying: error)
        }
        do {
            defer { SystemIO.close(fd) }
            let writer = try TarGzWriter(fileDescriptor: fd, path: tempPath,
                                         modificationTime: Int(manifest.takenAt.timeIntervalSince1970))
            try writer.addMember(named: Self.manifestMember, bytes: try Self.encodeManifest(manifest))
            for artifact in manifest.artifacts {
                guard let member = artifact.member, let source = files[member] else { continue }
                guard SystemIO.fileSize(source) == artifact.bytes else {
                    throw StoreError(.invalidInput, "artifact file \(source) is not \(artifact.bytes) bytes as its manifest says")
                }
                try writer.addMember(named: member, contentsOfFile: source)
            }
            try writer.finish()
            try SystemIO.fsync(fd, path: tempPath)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.io, "cannot write snapshot \(manifest.id): \(error)", input: .snapshot(manifest.id), underlying: error)
        }
        do {
            return try FileDigest.sha256(ofFile: tempPath)
        } catch {
            throw StoreError(.io, "cannot read back snapshot \(manifest.id): \(error)", input: .snapshot(manifest.id), underlying: error)
        }
    }

    static func encodeManifest(_ manifest: Manifest) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(manifest)) + [UInt8(ascii: "\n")] } catch {
            throw StoreError(.invalidInput, "cannot encode the manifest: \(error)", input: .snapshot(manifest.id), underlying: error)
        }
    }

    // MARK: Reading

    /// Catalog entries matching `filter`, oldest first.
    public func list(_ filter: ListFilter = ListFilter()) throws(StoreError) -> [CatalogEntry] {
        let entries = if let target = filter.target { try catalog.entries(target: target) } else { try catalog.allEntries() }
        return entries.filter(filter.matches)
    }

    /// Reads the manifest of the archive at `archivePath`.
    public func readManifest(archivePath: String) throws(StoreError) -> Manifest {
        guard SystemIO.fileSize(archivePath) != nil else {
            throw StoreError(.missingArchive, "archive \(archivePath) is missing", input: .path(archivePath))
        }
        do {
            return try Self.readManifestMember(TarGzReader(path: archivePath), archivePath: archivePath)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(archivePath) is damaged: \(StoreError.damage(error, in: archivePath))", input: .path(archivePath), underlying: error)
        }
    }

    /// Reads the manifest, the first member of every archive, from an opened reader (which is left after it).
    static func readManifestMember(_ reader: TarGzReader, archivePath: String) throws -> Manifest {
        guard let first = try reader.nextMember() else {
            throw StoreError(.corruptArchive, "archive \(archivePath) is empty or damaged: it has no manifest.json", input: .path(archivePath))
        }
        guard first.path == Self.manifestMember, first.type == .regular else {
            throw StoreError(.corruptArchive, "archive \(archivePath) is not a gbsnap snapshot: its first member is \"\(first.path)\", not manifest.json", input: .path(archivePath))
        }
        let bytes = try reader.readAll(limit: Self.maxManifestBytes)
        return try Self.decodeManifest(bytes, archivePath: archivePath)
    }

    static func decodeManifest(_ bytes: [UInt8], archivePath: String) throws(StoreError) -> Manifest {
        do {
            let m = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
            guard m.schema == Manifest.currentSchema else {
                throw StoreError(.corruptArchive, "archive \(archivePath) has manifest schema \"\(m.schema)\", which this gbsnap (\(GBSnapVersion.current)) does not read",
                                 input: .path(archivePath))
            }
            return m
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(archivePath) has an unreadable manifest.json: \(error)", input: .path(archivePath),
                             underlying: error)
        }
    }

    /// Streams one member of a snapshot's archive to `sink`, checking its SHA-256 against the
    /// manifest at the end.
    public func readArtifact(_ snapshot: ResolvedSnapshot, member: String, limit: Int,
                             _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let record = snapshot.manifest.artifacts.first { $0.member == member }
        do {
            let reader = try TarGzReader(path: snapshot.archivePath)
            while let m = try reader.nextMember() {
                guard m.path == member else { try reader.skipData(); continue }
                var hasher = SHA256Hasher()
                var total = 0
                try reader.readData { chunk in
                    total += chunk.count
                    guard total <= limit else {
                        throw StoreError(.invalidInput, "member \(member) of \(snapshot.archivePath) is larger than \(limit) bytes",
                                         input: .path(snapshot.archivePath))
                    }
                    hasher.update(chunk)
                    try sink(chunk)
                }
                if let expected = record?.sha256, hasher.finalizeHex() != expected {
                    throw StoreError(.corruptArchive, "archive \(snapshot.archivePath) is damaged: member \(member) does not match its checksum",
                                     input: .path(snapshot.archivePath))
                }
                return
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(snapshot.archivePath) is damaged: \(StoreError.damage(error, in: snapshot.archivePath))", input: .path(snapshot.archivePath),
                             underlying: error)
        }
        throw StoreError(.corruptArchive, "archive \(snapshot.archivePath) has no member \(member)", input: .path(snapshot.archivePath))
    }

    /// Reads one artifact whole (for parsers), up to `limit` bytes.
    public func readArtifact(_ snapshot: ResolvedSnapshot, member: String, limit: Int = 1 << 30) throws -> [UInt8] {
        var out: [UInt8] = []
        // The manifest knows the size: one allocation instead of a doubling series of copies (a 20 MB dump).
        if let bytes = snapshot.manifest.artifacts.first(where: { $0.member == member })?.bytes, bytes > 0 {
            out.reserveCapacity(Int(min(bytes, Int64(limit))))
        }
        try readArtifact(snapshot, member: member, limit: limit) { out.append(contentsOf: $0) }
        return out
    }
}

/// What `list` keeps.
public struct ListFilter: Sendable {
    public var target: String?
    public var kind: String?
    public var since: Date?
    public var until: Date?
    /// Only snapshots with failures (partial or failed).
    public var failedOnly: Bool
    /// Only snapshots of the schedules this glob matches (`nightly`, `trigger/*`).
    public var schedule: GlobPattern?

    public init(target: String? = nil, kind: String? = nil, since: Date? = nil, until: Date? = nil, failedOnly: Bool = false,
                schedule: GlobPattern? = nil) {
        self.schedule = schedule
        self.target = target
        self.kind = kind
        self.since = since
        self.until = until
        self.failedOnly = failedOnly
    }

    /// Whether `e` passes every part of the filter.
    public func matches(_ e: CatalogEntry) -> Bool {
        if let kind, !e.kinds.contains(kind) && !e.failedKinds.contains(kind) { return false }
        if let since, e.takenAt < since { return false }
        if let until, e.takenAt > until { return false }
        if failedOnly && e.status == .complete { return false }
        if let schedule, !schedule.matches(e.schedule) { return false }
        return true
    }
}

/// Member names gbsnap writes and accepts on export: one plain path segment.
enum ArchiveMemberName {
    static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, name != ".", name != ".." else { return false }
        return !name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 || $0 == UInt8(ascii: "\\") })
    }
}

/// SHA-256 of a file, streamed.
public enum FileDigest {
    /// Size and SHA-256 (hex) of the file at `path`.
    public static func sha256(ofFile path: String) throws(SystemError) -> (Int64, String) {
        let fd = try SystemIO.openReadOnly(path)
        defer { SystemIO.close(fd) }
        var hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SystemError(call: "read", path: path, errno: errno) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            total += Int64(n)
        }
        return (total, hasher.finalizeHex())
    }
}

extension SnapshotStore {
    /// Renames a finished archive to `finalPath` and makes the rename durable, with the entries of the
    /// day/month/year/target directories it may have created (the write lock is held by the caller).
    func moveIntoPlace(_ source: String, _ finalPath: String) throws {
        let dir = SystemIO.parentDirectory(of: finalPath)
        try SystemIO.makeDirectories(dir)
        try SystemIO.rename(source, finalPath)
        try SystemIO.fsyncDirectory(dir)
        var parent = SystemIO.parentDirectory(of: dir)
        for _ in 0..<4 where parent.count >= root.count {
            try SystemIO.fsyncDirectory(parent)
            parent = SystemIO.parentDirectory(of: parent)
        }
    }
}
