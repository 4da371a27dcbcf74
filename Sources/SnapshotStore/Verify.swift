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

    /// A report of `checked` snapshots with `problems`.
    public init(checked: Int, problems: [VerifyProblem]) {
        self.checked = checked
        self.problems = problems
    }
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
    ///
    /// - Parameter progress: called before each archive is checked and once when all are (see
    ///   ``StoreProgress``); nil by default.
    public func verify(_ selected: [ResolvedSnapshotOrEntry]? = nil, progress: StoreProgress? = nil) -> VerifyReport {
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
        let total = entries.count + archivesOutsideCatalog.count
        var done = 0
        for e in entries {
            progress?(done, total, e.id)
            done += 1
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
            progress?(done, total, p)
            done += 1
            if let problem = checkArchive(p, id: nil) {
                problems.append(problem)
            } else if let found = compareWithCatalog(p) {
                catalogued.insert(found.entry.id)
                if let problem = found.problem { problems.append(problem) }
            }
        }
        progress?(total, total, "")
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

    /// Reads an archive through, checking every member against its manifest (it reads nothing else of the store).
    public func checkArchive(_ path: String, id: String?) -> VerifyProblem? {
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
            return VerifyProblem(kind: .corruptArchive, id: id, path: path, message: "archive \(path) is damaged: \(StoreError.damage(error, in: path))")
        }
    }
}

/// A selection for `verify`: a catalog entry, or an archive file outside the catalog.
public enum ResolvedSnapshotOrEntry: Sendable {
    case entry(CatalogEntry)
    case archive(String)
}

extension SnapshotStore {
    /// Checks an archive file (a copy on its way between stores) against the catalog entry it is to be recorded
    /// with: the entry's size and SHA-256 of the whole file, the manifest's id and target, and every member's size
    /// and SHA-256 in its manifest. Nil when it is intact.
    public static func checkArchiveFile(_ path: String, against entry: CatalogEntry) -> VerifyProblem? {
        guard let digest = try? FileDigest.sha256(ofFile: path) else {
            return VerifyProblem(kind: .missingArchive, id: entry.id, path: path, message: "snapshot \(entry.id): archive \(path) cannot be read")
        }
        guard digest.0 == entry.bytes, digest.1 == entry.sha256 else {
            return VerifyProblem(kind: .checksumMismatch, id: entry.id, path: path,
                                 message: "snapshot \(entry.id): archive \(path) does not match the size and SHA-256 its catalog entry records (changed or damaged)")
        }
        // checkArchive reads nothing of the store it is called on.
        guard let reader = try? SnapshotStore(root: SystemIO.parentDirectory(of: path), create: false) else {
            return VerifyProblem(kind: .missingArchive, id: entry.id, path: path, message: "snapshot \(entry.id): archive \(path) cannot be read")
        }
        if let problem = reader.checkArchive(path, id: entry.id) { return problem }
        if let manifest = try? reader.readManifest(archivePath: path), manifest.id != entry.id || manifest.target.name != entry.target {
            return VerifyProblem(kind: .corruptArchive, id: entry.id, path: path,
                                 message: "archive \(path) holds snapshot \(manifest.id) of \(manifest.target.name), not \(entry.id) of \(entry.target) as its catalog entry says")
        }
        return nil
    }

    /// Records a complete archive file made elsewhere (fetched from another store and checked with
    /// ``checkArchiveFile(_:against:)``) under `entry`: renamed into place from `path`, which must be in this store's
    /// `.tmp` (``makeTemporaryDirectory()``), then appended to the catalog, under the store lock. Returns false, leaving
    /// `path` alone, when the catalog already lists the snapshot.
    @discardableResult
    public func add(archiveAt path: String, entry: CatalogEntry) throws -> Bool {
        guard Self.isCanonicalKey(entry.key, target: entry.target, id: entry.id) else {
            throw StoreError(.invalidInput, "snapshot \(entry.id) has key \"\(entry.key)\", which is not snapshots/\(entry.target)/YYYY/MM/DD/\(entry.id).tar.gz",
                             input: .snapshot(entry.id))
        }
        let finalPath = self.path(forKey: entry.key)
        return try withWriteLock {
            if try catalog.entries(target: entry.target).contains(where: { $0.id == entry.id }) { return false }
            do {
                // An archive without its catalog line (a killed write or copy) is replaced by this checked copy.
                try moveIntoPlace(path, finalPath)
            } catch {
                throw StoreError(.io, "cannot store snapshot \(entry.id) at \(finalPath): \(error)", input: .snapshot(entry.id), underlying: error)
            }
            try catalog.append([.put(entry)], target: entry.target)
            return true
        }
    }
}
