import ArchiveIO
import Foundation
import GBSnapCore

/// One problem `verify` found.
public struct VerifyProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case missingArchive = "missing_archive"
        case corruptArchive = "corrupt_archive"
        case checksumMismatch = "checksum_mismatch"
        case notInCatalog = "not_in_catalog"
        case corruptCatalog = "corrupt_catalog"
    }

    public var kind: Kind
    /// Snapshot id, when known.
    public var id: String?
    /// The file concerned.
    public var path: String
    public var message: String
    /// What to do about it, when `message` does not already say.
    public var nextStep: String?

    public init(kind: Kind, id: String?, path: String, message: String, nextStep: String? = nil) {
        self.kind = kind
        self.id = id
        self.path = path
        self.message = message
        self.nextStep = nextStep
    }

    enum CodingKeys: String, CodingKey {
        case kind, id, path, message
        case nextStep = "next_step"
    }

    /// The message, then what to do next: `…; restore it from a backup, or …`.
    public var description: String { nextStep.map { "\(message); \($0)" } ?? message }
}

/// What `verify` checked and found.
public struct VerifyReport: Sendable, Codable {
    public var checked: Int
    public var problems: [VerifyProblem]
    public var isHealthy: Bool { problems.isEmpty }
}

/// What `reindex` rebuilt.
public struct ReindexReport: Sendable, Codable {
    public var snapshots: Int
    public var targets: Int
    /// Intact archives left out of the catalog (with why), e.g. one stored under the wrong key.
    public var skipped: [VerifyProblem]
    /// Damaged archives, moved out of `snapshots/` into `quarantine/` (``SnapshotStore/quarantineDirectory``)
    /// and left out of the catalog; `path` is where each one now is.
    public var quarantined: [VerifyProblem]

    /// False when an archive was damaged or left out: the catalog does not cover every archive.
    public var isComplete: Bool { skipped.isEmpty && quarantined.isEmpty }
}

extension SnapshotStore {
    /// Checks archives against the catalog and their manifests: each archive exists, has the
    /// catalog's size and SHA-256, reads to the end (gzip CRCs), and every member matches the
    /// SHA-256 its manifest records. With no selection, also reports archives the catalog does
    /// not list and damaged catalog shards.
    ///
    /// A removal a killed prune left half done is finished first (under the store lock), so its
    /// archives are neither reported as orphans nor left behind. If another process holds the lock
    /// (a prune in progress), the archives its intent names are not reported, and catalog entries
    /// that disappear while verify runs are not reported as missing.
    public func verify(_ selected: [ResolvedSnapshotOrEntry]? = nil) -> VerifyReport {
        let beingRemoved = finishInterruptedRemovalIfPossible()
        var problems: [VerifyProblem] = []
        var entries: [CatalogEntry] = []
        var archivesOutsideCatalog: [String] = []
        if let selected {
            for s in selected {
                switch s {
                case .entry(let e): entries.append(e)
                case .archive(let path): archivesOutsideCatalog.append(path)
                }
            }
        } else {
            for target in (try? catalog.targets()) ?? [] {
                do { entries += try catalog.entries(target: target) } catch {
                    problems.append(VerifyProblem(kind: .corruptCatalog, id: nil, path: catalog.shardPath(target), message: "\(error)"))
                }
            }
            let listed = Set(entries.map(\.key))
            for key in archiveKeys() where !listed.contains(key) && !beingRemoved.contains(key) {
                problems.append(VerifyProblem(kind: .notInCatalog, id: nil, path: path(forKey: key),
                                              message: "archive \(path(forKey: key)) is not in the catalog; run `gbsnap reindex` to add it (or to quarantine it if it is damaged)"))
            }
        }
        for e in entries {
            let p = path(forKey: e.key)
            guard let size = SystemIO.fileSize(p) else {
                problems.append(VerifyProblem(kind: .missingArchive, id: e.id, path: p, message: "snapshot \(e.id): archive \(p) is missing"))
                continue
            }
            if size != e.bytes || (try? FileDigest.sha256(ofFile: p).1) != e.sha256 {
                problems.append(VerifyProblem(kind: .checksumMismatch, id: e.id, path: p,
                                              message: "snapshot \(e.id): archive \(p) does not match the checksum the catalog recorded (changed or damaged)"))
                continue
            }
            if let problem = checkArchive(p, id: e.id) { problems.append(problem) }
        }
        var catalogued = Set(entries.map(\.id))
        for p in archivesOutsideCatalog {
            if let problem = checkArchive(p, id: nil) {
                problems.append(problem)
            } else if let found = compareWithCatalog(p) {
                catalogued.insert(found.entry.id)
                if let problem = found.problem { problems.append(problem) }
            }
        }
        problems = droppingConcurrentRemovals(problems, entries: entries).map { p in
            var p = p
            if p.nextStep == nil { p.nextStep = Self.nextStep(for: p, catalogued: p.id.map(catalogued.contains) ?? false) }
            return p
        }
        return VerifyReport(checked: entries.count + archivesOutsideCatalog.count, problems: problems)
    }

    /// How to resolve a selector for `verify`: a path verifies that file, whatever catalog entry
    /// it belongs to (a copy is checked, not the stored archive); anything else names a catalog entry.
    public func verifySelection(_ selector: String) throws -> ResolvedSnapshotOrEntry {
        if let entry = try resolveEntry(selector) { return .entry(entry) }
        return .archive(selector)
    }

    /// For an intact archive file given by path whose snapshot the catalog lists: the entry, and a
    /// problem when the file is not byte-identical to what the catalog recorded (an altered copy).
    func compareWithCatalog(_ path: String) -> (entry: CatalogEntry, problem: VerifyProblem?)? {
        guard let manifest = try? readManifest(archivePath: path),
              let entry = (try? catalog.entries(target: manifest.target.name))?.first(where: { $0.id == manifest.id })
        else { return nil }
        guard let digest = try? FileDigest.sha256(ofFile: path), digest.0 != entry.bytes || digest.1 != entry.sha256 else {
            return (entry, nil)
        }
        return (entry, VerifyProblem(
            kind: .checksumMismatch, id: entry.id, path: path,
            message: "archive \(path) holds snapshot \(entry.id) but is not the archive the catalog recorded (size or SHA-256 differs: changed or damaged)",
            nextStep: "use the stored copy (`gbsnap verify \(entry.id)` checks it) and discard this file"))
    }

    /// The advice on a BAD line of `verify`.
    static func nextStep(for p: VerifyProblem, catalogued: Bool) -> String? {
        switch p.kind {
        case .notInCatalog, .corruptCatalog:
            return nil  // their messages already point at `gbsnap reindex`
        case .missingArchive:
            guard let id = p.id, catalogued else { return "check the path" }
            return "restore the archive from a backup, or run `gbsnap rm \(id)` to drop the snapshot from the catalog"
        case .corruptArchive, .checksumMismatch:
            guard let id = p.id, catalogued else { return "this file cannot be trusted: use another copy" }
            return "restore it from a backup copy (`gbsnap verify COPY` checks one first), or run `gbsnap rm \(id)` to drop the snapshot"
        }
    }

    /// Finishes an interrupted removal if there is one and the lock can be had; returns the keys
    /// of archives still named by a removal intent (a prune running in another process).
    func finishInterruptedRemovalIfPossible() -> Set<String> {
        guard SystemIO.fileSize(removalIntentPath) != nil else { return [] }
        if (try? withWriteLock({ () throws -> Void in })) != nil { return [] }
        guard let bytes = try? SystemIO.readFile(removalIntentPath, limit: Int.max),
              let intent = try? JSONDecoder().decode(RemovalIntent.self, from: Data(bytes)) else { return [] }
        return Set(intent.entries.map(\.key))
    }

    /// Drops "missing archive" problems of entries a concurrent prune removed from the catalog
    /// after verify read it.
    func droppingConcurrentRemovals(_ problems: [VerifyProblem], entries: [CatalogEntry]) -> [VerifyProblem] {
        let missing = problems.filter { $0.kind == .missingArchive && $0.id != nil }
        guard !missing.isEmpty else { return problems }
        let missingIDs = Set(missing.compactMap(\.id))
        var stillListed = Set<String>()
        for target in Set(entries.filter { missingIDs.contains($0.id) }.map(\.target)) {
            guard let now = try? catalog.entries(target: target) else { return problems }
            for e in now where missingIDs.contains(e.id) { stillListed.insert(e.id) }
        }
        return problems.filter { p in p.kind != .missingArchive || p.id.map(stillListed.contains) ?? true }
    }

    /// Reads an archive through, checking every member against its manifest.
    func checkArchive(_ path: String, id: String?) -> VerifyProblem? {
        do {
            let manifest = try readManifest(archivePath: path)
            var expected = Dictionary(manifest.artifacts.compactMap { a in a.member.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
            let reader = try TarGzReader(path: path)
            _ = try reader.nextMember()
            try reader.skipData()
            while let member = try reader.nextMember() {
                guard let record = expected.removeValue(forKey: member.path) else {
                    return VerifyProblem(kind: .corruptArchive, id: id ?? manifest.id, path: path,
                                         message: "archive \(path) has a member \"\(member.path)\" its manifest does not list")
                }
                var hasher = SHA256Hasher()
                var total: Int64 = 0
                try reader.readData { hasher.update($0); total += Int64($0.count) }
                if total != record.bytes || (record.sha256.map { $0 != hasher.finalizeHex() } ?? false) {
                    return VerifyProblem(kind: .checksumMismatch, id: id ?? manifest.id, path: path,
                                         message: "archive \(path): member \(member.path) does not match the size or SHA-256 in its manifest")
                }
            }
            if let missing = expected.keys.sorted().first {
                return VerifyProblem(kind: .corruptArchive, id: id ?? manifest.id, path: path,
                                     message: "archive \(path) lacks member \(missing) that its manifest lists")
            }
            return nil
        } catch let e as StoreError {
            return VerifyProblem(kind: e.code == .missingArchive ? .missingArchive : .corruptArchive, id: id, path: path, message: e.description)
        } catch {
            return VerifyProblem(kind: .corruptArchive, id: id, path: path, message: "archive \(path) is damaged: \(error)")
        }
    }

    /// Keys of every archive under the bucket.
    func archiveKeys() -> [String] {
        let base = "\(root)/\(Self.bucket)"
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var keys: [String] = []
        while let rel = walker.nextObject() as? String {
            if rel.hasSuffix(".tar.gz") { keys.append("\(Self.bucket)/\(rel)") }
        }
        return keys.sorted()
    }

    /// Where `reindex` moves damaged archives: `<root>/quarantine/<key>`, outside `snapshots/`,
    /// so no listing, selector, verify or later reindex takes them for snapshots again.
    public var quarantineDirectory: String { "\(root)/quarantine" }

    /// Rebuilds the whole catalog from the archives' manifests alone. Every archive is read
    /// through first (as `verify` does): a damaged one is never listed; it is moved into
    /// ``quarantineDirectory`` under its key and reported in ``ReindexReport/quarantined``.
    public func reindex() throws -> ReindexReport {
        var byTarget: [String: [CatalogEntry]] = [:]
        var skipped: [VerifyProblem] = []
        var damaged: [(key: String, problem: VerifyProblem)] = []
        for key in archiveKeys() {
            let p = path(forKey: key)
            let manifest: Manifest
            do { manifest = try readManifest(archivePath: p) } catch {
                // Without a manifest, the file name is the best guess at which snapshot it was.
                let id = key.split(separator: "/").last.map { String($0.dropLast(".tar.gz".count)) }
                damaged.append((key, VerifyProblem(kind: .corruptArchive, id: id, path: p, message: "\(error)")))
                continue
            }
            let expectedKey = Self.key(target: manifest.target.name, id: manifest.id, takenAt: manifest.takenAt)
            guard expectedKey == key else {
                skipped.append(VerifyProblem(kind: .corruptArchive, id: manifest.id, path: p,
                                             message: "archive \(p) belongs at \(expectedKey) according to its manifest; left out",
                                             nextStep: "move it there and run `gbsnap reindex` again"))
                continue
            }
            if let problem = checkArchive(p, id: manifest.id) {
                damaged.append((key, problem))
                continue
            }
            do {
                let (size, sha) = try FileDigest.sha256(ofFile: p)
                byTarget[manifest.target.name, default: []].append(CatalogEntry(manifest: manifest, key: key, bytes: size, sha256: sha))
            } catch {
                damaged.append((key, VerifyProblem(kind: .corruptArchive, id: manifest.id, path: p, message: "archive \(p) cannot be read: \(error)")))
            }
        }
        var quarantined: [VerifyProblem] = []
        do {
            try withWriteLock { () throws -> Void in
                // Taking the lock finished any interrupted removal, and a prune may have run since
                // the scan: never list an archive that is gone.
                for (target, entries) in byTarget {
                    byTarget[target] = entries.filter { SystemIO.fileSize(path(forKey: $0.key)) != nil }
                }
                byTarget = byTarget.filter { !$0.value.isEmpty }
                for (key, problem) in damaged where SystemIO.fileSize(path(forKey: key)) != nil {
                    quarantined.append(try quarantine(key: key, problem: problem))
                }
                let existing = try catalog.targets()
                for (target, entries) in byTarget {
                    try catalog.rewrite(target: target, entries: entries.sorted { ($0.takenAt, $0.id) < ($1.takenAt, $1.id) })
                }
                for target in existing where byTarget[target] == nil {
                    try catalog.rewrite(target: target, entries: [])
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.io, "cannot rewrite the catalog: \(error)")
        }
        return ReindexReport(snapshots: byTarget.values.reduce(0) { $0 + $1.count }, targets: byTarget.count,
                             skipped: skipped, quarantined: quarantined)
    }

    /// Moves the damaged archive at `key` to `quarantine/<key>` (a free name, never over an earlier
    /// one), durably; the caller holds the lock. Returns the problem restated for its new place.
    private func quarantine(key: String, problem: VerifyProblem) throws -> VerifyProblem {
        let from = path(forKey: key)
        var to = "\(quarantineDirectory)/\(key)"
        var n = 1
        while SystemIO.fileSize(to) != nil {
            to = "\(quarantineDirectory)/\(key.dropLast(7)).\(n).tar.gz"
            n += 1
        }
        do {
            let dir = SystemIO.parentDirectory(of: to)
            try SystemIO.makeDirectories(dir)
            try SystemIO.rename(from, to)
            try SystemIO.fsyncDirectory(dir)
            try SystemIO.fsyncDirectory(SystemIO.parentDirectory(of: from))
        } catch {
            throw StoreError.io(error, doing: "move the damaged archive \(from) into \(quarantineDirectory)")
        }
        return VerifyProblem(
            kind: problem.kind, id: problem.id, path: to,
            message: "\(problem.message); moved to \(to), out of the catalog",
            nextStep: "put a good copy back at \(from) and run `gbsnap reindex`, or delete the quarantined file")
    }

    // MARK: Removal (retention)

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

    /// One removal step; the caller holds the lock. Linear in the number of entries.
    func performRemoval(_ entries: [CatalogEntry]) throws -> Int64 {
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
        let freed = try unlinkArchives(items)
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
    private func unlinkArchives(_ items: [RemovalIntent.Item]) throws -> Int64 {
        var freed: Int64 = 0
        var dirs = Set<String>()
        do {
            for e in items {
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
            throw StoreError.io(error, doing: "read the removal intent \(removalIntentPath)")
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
        _ = try unlinkArchives(items)
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

/// A selection for `verify`: a catalog entry, or an archive file outside the catalog.
public enum ResolvedSnapshotOrEntry: Sendable {
    case entry(CatalogEntry)
    case archive(String)
}
