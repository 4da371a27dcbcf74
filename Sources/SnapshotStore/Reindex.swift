import Foundation
import GBSnapCore

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
    /// Where `reindex` moves damaged archives: `<root>/quarantine/<key>`, outside `snapshots/`,
    /// so no listing, selector, verify or later reindex takes them for snapshots again.
    public var quarantineDirectory: String { "\(root)/quarantine" }

    /// Rebuilds the whole catalog from the archives' manifests alone. Every archive is read
    /// through first (as `verify` does): a damaged one is never listed; it is moved into
    /// ``quarantineDirectory`` under its key and reported in ``ReindexReport/quarantined``.
    ///
    /// - Parameter progress: called before each archive is read and once when all are (see
    ///   ``StoreProgress``); nil by default.
    public func reindex(progress: StoreProgress? = nil) throws -> ReindexReport {
        var byTarget: [String: [CatalogEntry]] = [:]
        var skipped: [VerifyProblem] = []
        var damaged: [(key: String, problem: VerifyProblem)] = []
        let keys = archiveKeys()
        for (done, key) in keys.enumerated() {
            progress?(done, keys.count, key)
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
        progress?(keys.count, keys.count, "")
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
            throw StoreError(.io, "cannot rewrite the catalog: \(error)", underlying: error)
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
            throw StoreError.io(error, doing: "move the damaged archive \(from) into \(quarantineDirectory)", input: .path(from))
        }
        return VerifyProblem(
            kind: problem.kind, id: problem.id, path: to,
            message: "\(problem.message); moved to \(to), out of the catalog",
            nextStep: "put a good copy back at \(from) and run `gbsnap reindex`, or delete the quarantined file")
    }
}
