import ArchiveIO
import Foundation
import GBSnapCore
import GBSnapTestSupport
import Testing
@testable import SnapshotStore

@Suite struct StoreTests {
    @Test("a target name of the longest allowed length (100 bytes) stores, lists, verifies and is removed; 101 is refused")
    func longestTargetNameWorksEndToEnd() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: "\(tmp.path)/store")
        let name = String(repeating: "t", count: TargetSpec.maxNameBytes)
        let stacks = Samples.path("go1.27/goroutine-a.debug2.txt")
        let entry = try store.importFiles([ImportFile(path: stacks, kind: .stacks)], target: name, takenAt: date("2026-11-26T02:00:00Z"))
        #expect(entry.id.utf8.count == TargetSpec.maxNameBytes + 22)
        #expect(try store.list() == [entry])  // the catalog line reads back
        #expect(store.verify().isHealthy)
        #expect(try store.remove([entry]) > 0)
        #expect(try store.list().isEmpty)
        #expect(throws: StoreError.self) {
            try store.importFiles([ImportFile(path: stacks, kind: .stacks)], target: name + "t", takenAt: date("2026-11-26T02:00:00Z"))
        }
    }

    @Test func importWritesArchiveManifestAndCatalog() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: "\(tmp.path)/store")
        let heap = Samples.path("go1.27/heap-gc-a.pb.gz")
        let stacks = Samples.path("go1.27/goroutine-a.debug2.txt")
        let entry = try store.importFiles([ImportFile(path: heap, kind: .heap), ImportFile(path: stacks, kind: .stacks)],
                                          target: "order-api", labels: ["env": "prod"], takenAt: date("2026-11-26T02:00:00Z"))
        #expect(entry.id.hasPrefix("20261126T020000Z-order-api-"))
        #expect(entry.key == "snapshots/order-api/2026/11/26/\(entry.id).tar.gz")
        #expect(entry.kinds == ["heap", "stacks"])
        #expect(entry.status == .complete)
        let archive = store.path(forKey: entry.key)
        #expect(SystemIO.fileSize(archive) == entry.bytes)
        #expect(try FileDigest.sha256(ofFile: archive).1 == entry.sha256)

        // manifest.json first, then the artifacts, byte-identical to the inputs.
        let reader = try TarGzReader(path: archive)
        #expect(try reader.nextMember()?.path == "manifest.json")
        try reader.skipData()
        #expect(try reader.nextMember()?.path == "heap.pb.gz")
        #expect(try reader.readAll(limit: 1 << 20) == Array(try Data(contentsOf: URL(fileURLWithPath: heap))))
        #expect(try reader.nextMember()?.path == "stacks.debug2.txt")

        let manifest = try store.readManifest(archivePath: archive)
        #expect(manifest.schedule == "import")
        #expect(manifest.target.labels == ["env": "prod"])
        #expect(manifest.artifacts.map(\.sha256) == [try FileDigest.sha256(ofFile: heap).1, try FileDigest.sha256(ofFile: stacks).1])
        #expect(try store.list() == [entry])
        // No temp files left.
        #expect(regularFiles(under: "\(tmp.path)/store/.tmp").isEmpty)
    }

    @Test func selectorsResolveIdsPrefixesLatestAndTimes() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: tmp.path)
        let f = Samples.path("go1.19/heap-a.pb.gz")
        let times = ["2026-11-24T02:00:00Z", "2026-11-25T02:00:00Z", "2026-11-26T02:00:00Z"]
        let entries = try times.map { try store.importFiles([ImportFile(path: f, kind: .heap)], target: "api", takenAt: date($0)) }
        _ = try store.importFiles([ImportFile(path: f, kind: .heap)], target: "other", takenAt: date("2026-11-26T03:00:00Z"))

        #expect(try store.resolve("api@latest").id == entries[2].id)
        #expect(try store.resolve("api@latest~0").id == entries[2].id)
        #expect(try store.resolve("api@latest~2").id == entries[0].id)
        #expect(try store.resolve("api@2026-11-25T12:00Z").id == entries[1].id)
        #expect(try store.resolve("api@2026-11-25T02:00:00Z").id == entries[1].id)
        #expect(try store.resolve(entries[1].id).id == entries[1].id)
        #expect(try store.resolve(String(entries[1].id.dropLast(2))).id == entries[1].id)
        #expect(try store.resolve(store.path(forKey: entries[0].key)).id == entries[0].id)

        func failure(_ sel: String) -> StoreError? {
            do { _ = try store.resolve(sel); return nil } catch { return error }
        }
        #expect(failure("api@latest~3")?.code == .unknownSelector)
        #expect(failure("api@latest~3")?.input == .selector("api@latest~3"))
        #expect(failure("nosuch@latest")?.input == .target("nosuch"))
        #expect(failure("api@latest~3")?.message.contains("only 3 snapshot") == true)
        #expect(failure("api@2026-11-01T00:00Z")?.code == .unknownSelector)
        #expect(failure("nosuch@latest")?.message.contains("no snapshots of target \"nosuch\"") == true)
        #expect(failure("api@yesterday")?.code == .unknownSelector)
        #expect(failure("2026")?.code == .ambiguousSelector)
        #expect(failure("19991231T000000Z")?.code == .unknownSelector)
        #expect(failure("/nonexistent/x.tar.gz")?.code == .missingArchive)
    }

    @Test func listFilters() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: tmp.path)
        let heap = Samples.path("go1.19/heap-a.pb.gz"), vars = Samples.path("go1.19/vars-a.json")
        _ = try store.importFiles([ImportFile(path: heap, kind: .heap)], target: "a", takenAt: date("2026-11-24T00:00:00Z"))
        _ = try store.importFiles([ImportFile(path: vars, kind: .vars)], target: "a", takenAt: date("2026-11-25T00:00:00Z"))
        _ = try store.importFiles([ImportFile(path: heap, kind: .heap)], target: "b", takenAt: date("2026-11-26T00:00:00Z"))
        #expect(try store.list().map(\.target) == ["a", "a", "b"])
        #expect(try store.list(ListFilter(target: "a")).count == 2)
        #expect(try store.list(ListFilter(kind: "heap")).count == 2)
        #expect(try store.list(ListFilter(since: date("2026-11-25T00:00:00Z"))).count == 2)
        #expect(try store.list(ListFilter(until: date("2026-11-24T12:00:00Z"))).count == 1)
        #expect(try store.list(ListFilter(failedOnly: true)).isEmpty)
    }

    @Test func failedAndPartialSnapshotsAreRecorded() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: tmp.path)
        let ok = tmp.file("heap.pb.gz", "x")
        let records = [
            ArtifactRecord(name: "heap", kind: "heap", member: "heap.pb.gz", bytes: 1, sha256: try FileDigest.sha256(ofFile: ok).1, status: .ok),
            ArtifactRecord(name: "cpu", kind: "cpu", member: nil, bytes: 0, sha256: nil, endpoint: "/debug/pprof/profile", query: "seconds=10",
                           httpStatus: 500, status: .failed, error: "another CPU profile is already running"),
        ]
        let partial = Manifest(id: SnapshotID.make(target: "t", at: Date()), target: .init(name: "t", url: "http://u:secret@h:1/x", labels: [:]),
                               schedule: "nightly", scheduledAt: nil, startedAt: Date(), finishedAt: Date(), artifacts: records)
        #expect(partial.target.url == "http://h:1/x")
        let e1 = try store.write(manifest: partial, files: ["heap.pb.gz": ok])
        #expect(e1.status == .partial)
        #expect(e1.failedKinds == ["cpu"])
        let failed = Manifest(id: SnapshotID.make(target: "t", at: Date()), target: .init(name: "t", url: nil, labels: [:]),
                              schedule: "nightly", scheduledAt: nil, startedAt: Date(), finishedAt: Date(), artifacts: [records[1]])
        let e2 = try store.write(manifest: failed, files: [:])
        #expect(e2.status == .failed)
        #expect(try store.list(ListFilter(failedOnly: true)).map(\.id).sorted() == [e1.id, e2.id].sorted())
        #expect(try store.list(ListFilter(kind: "cpu")).count == 2)
    }

    @Test func badTargetNamesAndMembersAreRefused() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: tmp.path)
        let f = tmp.file("x", "x")
        #expect(throws: StoreError.self) { try store.importFiles([ImportFile(path: f, kind: .vars)], target: "../etc", takenAt: Date()) }
        #expect(throws: StoreError.self) { try store.importFiles([ImportFile(path: f, kind: .vars)], target: "", takenAt: Date()) }
        #expect(throws: StoreError.self) { try store.importFiles([], target: "ok", takenAt: Date()) }
        let missing = "\(tmp.path)/missing.pb.gz"
        do {
            _ = try store.importFiles([ImportFile(path: missing, kind: .heap)], target: "ok", takenAt: Date())
            Issue.record("import of a missing file succeeded")
        } catch {
            #expect("\(error)".contains(missing))
        }
        let record = ArtifactRecord(name: "evil", kind: "custom", member: "../evil", bytes: 1, sha256: nil, status: .ok)
        let m = Manifest(id: "20261126T000000Z-ok-aaaa", target: .init(name: "ok", url: nil, labels: [:]), schedule: "manual",
                         scheduledAt: nil, startedAt: Date(), finishedAt: Date(), artifacts: [record])
        #expect(throws: StoreError.self) { try store.write(manifest: m, files: ["../evil": f]) }
        #expect(try store.list().isEmpty)
        #expect(regularFiles(under: "\(tmp.path)/snapshots").isEmpty)
    }

    @Test func archivesAreByteIdenticalForTheSameInput() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let a = try SnapshotStore(root: "\(tmp.path)/a"), b = try SnapshotStore(root: "\(tmp.path)/b")
        let f = Samples.path("go1.27/heap-gc-b.pb.gz")
        let rec = ArtifactRecord(name: "heap", kind: "heap", member: "heap.pb.gz", bytes: SystemIO.fileSize(f)!,
                                 sha256: try FileDigest.sha256(ofFile: f).1, status: .ok)
        let t = date("2026-11-26T02:00:00Z")
        let m = Manifest(id: "20261126T020000Z-x-abcd", target: .init(name: "x", url: nil, labels: [:]), schedule: "manual",
                         scheduledAt: t, startedAt: t, finishedAt: t, host: "h", artifacts: [rec])
        let ea = try a.write(manifest: m, files: ["heap.pb.gz": f])
        let eb = try b.write(manifest: m, files: ["heap.pb.gz": f])
        #expect(ea.sha256 == eb.sha256)
    }
}
