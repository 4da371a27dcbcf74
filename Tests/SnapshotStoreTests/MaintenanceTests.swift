import Foundation
import GBSnapCore
import GBSnapTestSupport
import Retention
import Testing
@testable import SnapshotStore

/// verify of a file, reindex never blessing damage, removal by hand, all-or-nothing export,
/// and retention that never trades good snapshots for failed captures.
@Suite struct MaintenanceTests {
    /// A snapshot whose every artifact failed, as a capture of a target that is down stores it.
    static func failedCapture(_ store: SnapshotStore, target: String, at iso: String) throws -> CatalogEntry {
        let t = date(iso)
        let manifest = Manifest(
            id: SnapshotID.make(target: target, at: t), target: .init(name: target, url: "http://127.0.0.1:1", labels: [:]),
            schedule: "hourly", scheduledAt: t, startedAt: t, finishedAt: t,
            artifacts: [ArtifactRecord(name: "heap", kind: "heap", member: nil, bytes: 0, sha256: nil, status: .failed,
                                       error: "connection refused")])
        return try store.write(manifest: manifest, files: [:])
    }

    static func flipByte(_ path: String, at fraction: Double = 0.5) throws {
        var bytes = try SystemIO.readFile(path)
        bytes[Int(Double(bytes.count) * fraction)] ^= 0xFF
        try SystemIO.writeFileAtomically(path, bytes: bytes)
    }

    @Test func verifyOfAPathChecksThatFileNotTheStoredArchive() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, _) = try storeWithTwoSnapshots(tmp)
        let stored = store.path(forKey: e1.key)
        let truncated = "\(tmp.path)/truncated.tar.gz", flipped = "\(tmp.path)/flipped.tar.gz", good = "\(tmp.path)/good.tar.gz"
        for copy in [truncated, flipped, good] { try FileManager.default.copyItem(atPath: stored, toPath: copy) }
        try SystemIO.truncate(truncated, to: e1.bytes * 2 / 3)
        try Self.flipByte(flipped)

        #expect(store.verify([try store.verifySelection(good)]).isHealthy)
        for copy in [truncated, flipped] {
            let report = store.verify([try store.verifySelection(copy)])
            #expect(report.problems.count == 1, "\(copy)")
            #expect(report.problems.first?.path == copy)
            #expect(report.problems.first?.nextStep != nil)
        }
        // The stored archive itself is fine, by id and by its own path.
        #expect(store.verify([try store.verifySelection(e1.id)]).isHealthy)
        #expect(store.verify([try store.verifySelection(stored)]).isHealthy)
    }

    @Test func verifyAdviceNamesWhatToDoNext() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        try Self.flipByte(store.path(forKey: e1.key))
        try SystemIO.unlinkIfPresent(store.path(forKey: e2.key))
        let problems = store.verify().problems.sorted { ($0.id ?? "") < ($1.id ?? "") }
        #expect(problems.map(\.kind) == [.checksumMismatch, .missingArchive])
        #expect(problems[0].description.contains("gbsnap rm \(e1.id)"))
        #expect(problems[0].description.contains("restore it from a backup"))
        #expect(problems[1].description.contains("gbsnap rm \(e2.id)"))
    }

    @Test func reindexQuarantinesDamagedArchivesInsteadOfListingThem() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        let p1 = store.path(forKey: e1.key), p2 = store.path(forKey: e2.key)
        let backup = "\(tmp.path)/backup.tar.gz"
        try FileManager.default.copyItem(atPath: p1, toPath: backup)
        try SystemIO.truncate(p1, to: e1.bytes * 2 / 3)
        try Self.flipByte(p2, at: 0.7)
        let healthy = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)],
                                            target: "db", takenAt: date("2026-11-26T00:00:00Z"))

        let report = try store.reindex()
        #expect(report.snapshots == 1)
        #expect(!report.isComplete)
        #expect(Set(report.quarantined.compactMap(\.id)) == [e1.id, e2.id])
        for (problem, original) in zip(report.quarantined.sorted { $0.id! < $1.id! }, [(e1, p1), (e2, p2)]) {
            #expect(problem.path == "\(store.quarantineDirectory)/\(original.0.key)")
            #expect(problem.message.contains(original.1))
            #expect(SystemIO.fileSize(problem.path) != nil)
            #expect(SystemIO.fileSize(original.1) == nil)
        }
        #expect(try store.list() == [healthy])
        // Nothing damaged is left where verify or the next reindex would take it for a snapshot.
        #expect(store.verify().isHealthy)
        let again = try store.reindex()
        #expect(again.isComplete && again.snapshots == 1)

        // Put a good copy back and reindex, as the advice says: it is listed again.
        #expect(report.quarantined.allSatisfy { $0.nextStep?.contains("gbsnap reindex") == true })
        try FileManager.default.copyItem(atPath: backup, toPath: p1)
        #expect(try store.reindex().isComplete)
        #expect(try store.list().map(\.id).sorted() == [e1.id, healthy.id].sorted())
    }

    @Test func removeSnapshotsRefusesPinnedKeepsTheCatalogConsistentAndWorksOnDamage() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        try store.pin(e2.id, note: "incident 4711")
        #expect(throws: StoreError.self) { try store.removeSnapshots([e1, e2]) }
        #expect(try store.list() == [e1, e2])  // all or nothing

        // A damaged snapshot can be named and removed without reading its archive.
        try SystemIO.truncate(store.path(forKey: e1.key), to: 100)
        let named = try store.catalogEntry(for: "api@latest~1")
        #expect(named == e1)
        let result = try store.removeSnapshots([named, named])
        #expect(result.removedIDs == [e1.id])
        #expect(SystemIO.fileSize(store.path(forKey: e1.key)) == nil)
        #expect(try store.list() == [e2])

        let forced = try store.removeSnapshots([e2], force: true)
        #expect(forced.unpinnedIDs == [e2.id])
        #expect(try store.list().isEmpty)
        #expect(try store.pins().isEmpty)
        #expect(store.verify().isHealthy)
        #expect(regularFiles(under: "\(store.root)/snapshots").isEmpty)
    }

    @Test func exportIsAllOrNothingAndNeverOverwritesWithoutBeingAsked() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        let out = "\(tmp.path)/out"
        let written = try store.export(try store.resolve(e1.id), to: out)
        #expect(written.map { ($0 as NSString).lastPathComponent }.sorted() == ["manifest.json", "stacks.debug2.txt"])
        let before = try SystemIO.readFile("\(out)/stacks.debug2.txt")

        // Same names in an existing folder: refused, nothing changes.
        #expect(throws: StoreError.self) { try store.export(try store.resolve(e2.id), to: out) }
        #expect(try SystemIO.readFile("\(out)/stacks.debug2.txt") == before)
        let overwritten = try store.export(try store.resolve(e2.id), to: out, overwrite: true)
        #expect(overwritten.count == 2)
        #expect(try SystemIO.readFile("\(out)/stacks.debug2.txt") != before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["manifest.json", "stacks.debug2.txt"])

        // A damaged member: no output folder at all, no staging left beside it.
        let resolved = try store.resolve(e1.id)
        try Self.flipByte(store.path(forKey: e1.key), at: 0.8)
        #expect(throws: StoreError.self) { try store.export(resolved, to: "\(tmp.path)/fresh") }
        #expect(!FileManager.default.fileExists(atPath: "\(tmp.path)/fresh"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).allSatisfy { !$0.contains("gbsnap-export") })
    }

    /// The reproduction on a real store: three good snapshots, then three failed captures.
    @Test func pruneKeepsGoodHistoryAfterAnOutage() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: "\(tmp.path)/store")
        var good: [CatalogEntry] = []
        for h in 0..<3 {
            good.append(try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)],
                                              target: "etcd", takenAt: date("2026-11-26T0\(h):00:00Z")))
        }
        let failed = try (3..<6).map { h in try Self.failedCapture(store, target: "etcd", at: "2026-11-26T0\(h):00:00Z") }
        #expect(failed.allSatisfy { $0.status == .failed })
        let policy = RetentionPolicy(rules: [RetentionRule(selector: .init(targets: ["etcd"]), keepLast: 3)])
        let plan = try store.planPrune(policy: policy, now: date("2026-11-26T06:00:00Z"))
        #expect(Set(plan.keepIDs) == Set((good + failed).map(\.id)))
        // Older failures go by their own keep, never by the data rules.
        let later = try (6..<9).map { h in try Self.failedCapture(store, target: "etcd", at: "2026-11-27T0\(h):00:00Z") }
        let result = try store.prune(policy: policy, now: date("2026-11-27T09:00:00Z"))
        #expect(Set(result.removedIDs) == Set(failed.map(\.id)))
        #expect(Set(try store.list().map(\.id)) == Set((good + later).map(\.id)))
    }
}
