import Foundation
import GBSnapCore
import SnapshotStore

extension BucketStore {
    /// `gbsnap verify` on a bucket: each listed snapshot's archive is fetched into `scratch` (one at a time, removed
    /// after) and checked as on disk: its record's size and SHA-256, then every member against its manifest. With no
    /// selection, archives under `snapshots/` that no record lists are reported too (a copy or capture that stopped
    /// between its archive and its record).
    public func verify(_ selected: [CatalogEntry]? = nil, scratch: String, progress: StoreProgress? = nil) async throws -> VerifyReport {
        var problems: [VerifyProblem] = []
        let entries: [CatalogEntry]
        if let selected {
            entries = selected
        } else {
            entries = try await allEntries()
            let listed = Set(entries.map(\.key))
            let prefix = key("")
            for object in try await client.listAllObjects(bucket: bucket, prefix: key("snapshots/")) where object.key.hasSuffix(".tar.gz") {
                let storeKey = String(object.key.dropFirst(prefix.count))
                if listed.contains(storeKey) { continue }
                problems.append(VerifyProblem(
                    kind: .notInCatalog, id: nil, path: url(storeKey),
                    message: "archive \(url(storeKey)) has no catalog record, so no reader lists it (a copy or capture stopped between its archive and its record)",
                    nextStep: "run the gbsnap copy that wrote it again to complete it, or delete the object"))
            }
        }
        do { try SystemIO.makeDirectories(scratch) } catch {
            throw StoreError(.io, "cannot create the temp folder \(scratch) for verify: \(error)", input: .path(scratch), underlying: error)
        }
        for (i, e) in entries.enumerated() {
            progress?(i, entries.count, e.id)
            let path = "\(scratch)/\(e.id).tar.gz"
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                try await downloadArchive(e, to: path)
            } catch let error as BucketStoreError {
                problems.append(VerifyProblem(kind: .missingArchive, id: e.id, path: url(e.key), message: error.message))
                continue
            }
            if var problem = SnapshotStore.checkArchiveFile(path, against: e) {
                problem.path = url(e.key)
                problem.message = problem.message.replacingOccurrences(of: path, with: url(e.key))
                problem.nextStep = "copy the snapshot again from a store that has it intact (gbsnap copy --from … \(e.id)), after deleting \(url(e.key)) and \(url(BucketCatalog.recordKey(target: e.target, id: e.id)))"
                problems.append(problem)
            }
        }
        progress?(entries.count, entries.count, "")
        return VerifyReport(checked: entries.count, problems: problems)
    }
}
