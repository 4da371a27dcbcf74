import Foundation
import GBSnapCore

/// An archive found in the store layout but not in the catalog, and what became of it.
public struct AdoptedArchive: Sendable, Hashable {
    /// The archive's object key.
    public var key: String
    /// The catalog entry now listing it; nil when it could not be read (`problem` says why).
    public var entry: CatalogEntry?
    /// Why the archive was left out, as one sentence naming it.
    public var problem: String?

    /// Creates a result (a bucket store's adoption makes these too).
    public init(key: String, entry: CatalogEntry?, problem: String?) {
        self.key = key
        self.entry = entry
        self.problem = problem
    }
}

extension SnapshotStore {
    /// Adds to the catalog the archives of `targets` (every target with a snapshot directory when
    /// nil) that are in the store layout but not in the catalog: what a process killed between the
    /// rename of an archive and its catalog line leaves behind.
    ///
    /// Cost: one listing of each target's `snapshots/<target>/YYYY/MM/DD` directories and one read
    /// of its catalog shard, without the lock; archives are opened only when they are missing from
    /// the catalog, and only those are re-checked under the store lock. An archive whose manifest
    /// does not place it at its key, or that cannot be read, is reported and left for `verify`.
    public func adoptUncataloguedArchives(targets: [String]? = nil) throws -> [AdoptedArchive] {
        let names = targets ?? ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(Self.bucket)")) ?? []).sorted()
        var candidates: [String: [String]] = [:]
        for target in names where SnapshotID.isValidTargetName(target) {
            // Only the layout's own places (`snapshots/<target>/YYYY/MM/DD/<file>`): anything else is verify's to report.
            let keys = archiveKeys(target: target).filter { $0.split(separator: "/").count == 6 }
            guard !keys.isEmpty else { continue }
            let listed = Set(try catalog.entries(target: target).map(\.key))
            let missing = keys.filter { !listed.contains($0) }
            if !missing.isEmpty { candidates[target] = missing }
        }
        guard !candidates.isEmpty else { return [] }
        return try withWriteLock {
            var adopted: [AdoptedArchive] = []
            for (target, keys) in candidates.sorted(by: { $0.key < $1.key }) {
                // A writer may have finished its catalog line, or a prune removed the archive, since the scan.
                let listed = Set(try catalog.entries(target: target).map(\.key))
                var puts: [Catalog.Record] = []
                for key in keys where !listed.contains(key) && SystemIO.fileSize(path(forKey: key)) != nil {
                    let result = adoptionEntry(key: key, target: target)
                    if let entry = result.entry { puts.append(.put(entry)) }
                    adopted.append(result)
                }
                if !puts.isEmpty { try catalog.append(puts, target: target) }
            }
            return adopted
        }
    }

    /// The catalog entry for the archive at `key`, read from its own manifest.
    private func adoptionEntry(key: String, target: String) -> AdoptedArchive {
        let p = path(forKey: key)
        do {
            let manifest = try readManifest(archivePath: p)
            guard manifest.target.name == target,
                  Self.isCanonicalKey(key, target: target, id: manifest.id),
                  Self.key(target: target, id: manifest.id, takenAt: manifest.takenAt) == key else {
                return AdoptedArchive(key: key, entry: nil, problem: "archive \(p) does not belong at its place according to its manifest; left out of the catalog (see `gbsnap verify`)")
            }
            let (size, sha) = try FileDigest.sha256(ofFile: p)
            return AdoptedArchive(key: key, entry: CatalogEntry(manifest: manifest, key: key, bytes: size, sha256: sha), problem: nil)
        } catch {
            return AdoptedArchive(key: key, entry: nil, problem: "archive \(p) is not in the catalog and cannot be read (\(error)); left out (see `gbsnap verify`)")
        }
    }
}
