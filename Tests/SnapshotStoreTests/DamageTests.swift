import ArchiveIO
import Foundation
import GBSnapCore
import GBSnapTestSupport
import Testing
@testable import SnapshotStore

/// Bad input gets a clear error and loses nothing.
@Suite struct DamageTests {
    @Test func verifyNamesEachDamagedArchive() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        #expect(store.verify().isHealthy)

        // Truncate one archive, flip a byte in the middle of the other.
        let p1 = store.path(forKey: e1.key), p2 = store.path(forKey: e2.key)
        try SystemIO.truncate(p1, to: e1.bytes / 2)
        var bytes = try SystemIO.readFile(p2)
        bytes[bytes.count / 2] ^= 0xFF
        try SystemIO.writeFileAtomically(p2, bytes: bytes)

        let report = store.verify()
        #expect(report.problems.count == 2)
        #expect(Set(report.problems.compactMap(\.id)) == [e1.id, e2.id])
        #expect(report.problems.allSatisfy { $0.message.contains($0.path) })

        // show/export name the damaged file.
        do {
            let s = try store.resolve(e2.id)
            _ = try store.export(s, to: "\(tmp.path)/out")
            Issue.record("export of a damaged archive succeeded")
        } catch {
            #expect("\(error)".contains(p2))
        }
        // The export left no partial files behind.
        #expect(regularFiles(under: "\(tmp.path)/out").allSatisfy { !$0.contains("partial") })
    }

    @Test func verifyReportsMissingArchivesAndOrphans() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, _) = try storeWithTwoSnapshots(tmp)
        let p1 = store.path(forKey: e1.key)
        try FileManager.default.moveItem(atPath: p1, toPath: "\(tmp.path)/elsewhere.tar.gz")
        let report = store.verify()
        #expect(report.problems.map(\.kind) == [.missingArchive])
        #expect(report.problems[0].message.contains(e1.id))
        do {
            _ = try store.resolve(e1.id)
            Issue.record("resolving a snapshot with a missing archive succeeded")
        } catch {
            #expect("\(error)".contains("missing"))
        }
        // Put it back under another day: an orphan the catalog does not list.
        try FileManager.default.moveItem(atPath: "\(tmp.path)/elsewhere.tar.gz", toPath: p1)
        try store.remove([e1])
        #expect(SystemIO.fileSize(p1) == nil)
    }

    @Test func reindexRebuildsTheCatalogFromManifestsAlone() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        let e3 = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)], target: "db",
                                       takenAt: date("2026-11-26T00:00:00Z"))
        let before = try store.list()
        try FileManager.default.removeItem(atPath: "\(tmp.path)/store/catalog")
        try FileManager.default.createDirectory(atPath: "\(tmp.path)/store/catalog", withIntermediateDirectories: true)
        #expect(try store.list().isEmpty)
        let report = try store.reindex()
        #expect(report.snapshots == 3)
        #expect(report.targets == 2)
        #expect(try store.list() == before)
        #expect(Set(before.map(\.id)) == [e1.id, e2.id, e3.id])
    }

    @Test func damagedCatalogIsDetectedNotSilentlyWrong() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, _, _) = try storeWithTwoSnapshots(tmp)
        let shard = "\(tmp.path)/store/catalog/api.jsonl"
        var bytes = try SystemIO.readFile(shard)
        // Change a digit inside the first record: its checksum no longer matches.
        let i = bytes.firstIndex(of: UInt8(ascii: "5"))!
        bytes[i] = UInt8(ascii: "4")
        try SystemIO.writeFileAtomically(shard, bytes: bytes)
        do {
            _ = try store.list()
            Issue.record("list of a damaged catalog succeeded")
        } catch let e {  // resolve and list throw only StoreError
            #expect(e.code == .corruptCatalog)
            #expect(e.message.contains(shard))
            #expect(e.message.contains("line 1"))
            #expect(e.message.contains("gbsnap reindex"))
        }
        #expect(store.verify().problems.contains { $0.kind == .corruptCatalog })
        _ = try store.reindex()
        #expect(try store.list().count == 2)
    }

    @Test func tornCatalogTailIsIgnoredAndCutByTheNextWriter() async throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, _, _) = try storeWithTwoSnapshots(tmp)
        let shard = "\(tmp.path)/store/catalog/api.jsonl"
        let fd = try SystemIO.openForAppend(shard)
        try SystemIO.writeAll(fd, Array(#"{"crc":"00000000","rec":{"op":"put","ent"#.utf8), path: shard)
        SystemIO.close(fd)
        #expect(try store.list().count == 2)
        _ = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)], target: "api", takenAt: Date())
        #expect(try store.list().count == 3)
        #expect(try SystemIO.readFile(shard).last == UInt8(ascii: "\n"))
    }

    @Test func writersWaitForTheLockAndThenGiveUpClearly() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: tmp.path, lockTimeout: 0.2)
        let holder = try #require(try FileLock.acquire("\(tmp.path)/.lock", mode: .exclusive, timeout: 0))
        do {
            _ = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)], target: "api", takenAt: Date())
            Issue.record("import while the store is locked succeeded")
        } catch let e as StoreError {
            #expect(e.code == .storeLocked)
            #expect(e.message.contains("pid \(getpid())"))
        }
        holder.unlock()
        #expect(try store.list().isEmpty)
        #expect(regularFiles(under: "\(tmp.path)/snapshots").isEmpty)
        #expect(regularFiles(under: "\(tmp.path)/.tmp").isEmpty)
        _ = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)], target: "api", takenAt: Date())
        #expect(try store.list().count == 1)
    }

    @Test func exportRefusesMembersThatEscape() async throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: "\(tmp.path)/store")
        // Hostile archives made by Python's tarfile (not by gbsnap).
        let script = """
        import io, sys, tarfile, json
        kind, path = sys.argv[1], sys.argv[2]
        with tarfile.open(path, "w:gz") as t:
            m = json.dumps({"schema": "gbsnap.manifest/v1", "id": "x", "target": {"name": "x", "labels": {}}, "schedule": "manual",
                "started_at": "2026-11-26T00:00:00.000Z", "finished_at": "2026-11-26T00:00:00.000Z", "gbsnap_version": "0", "host": "h",
                "status": "complete", "artifacts": []}).encode()
            i = tarfile.TarInfo("manifest.json"); i.size = len(m); t.addfile(i, io.BytesIO(m))
            data = b"pwned"
            if kind == "dotdot": i = tarfile.TarInfo("../escaped.txt"); i.size = len(data); t.addfile(i, io.BytesIO(data))
            if kind == "absolute": i = tarfile.TarInfo("/tmp/gbsnap-escaped-abs.txt"); i.size = len(data); t.addfile(i, io.BytesIO(data))
            if kind == "nested": i = tarfile.TarInfo("a/b.txt"); i.size = len(data); t.addfile(i, io.BytesIO(data))
            if kind == "symlink": i = tarfile.TarInfo("link"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/passwd"; t.addfile(i)
            if kind == "device": i = tarfile.TarInfo("dev"); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; t.addfile(i)
        """
        let scriptPath = tmp.file("mk.py", script)
        for kind in ["dotdot", "absolute", "nested", "symlink", "device"] {
            let archive = "\(tmp.path)/\(kind).tar.gz"
            #expect(try await Subprocess.run("/usr/bin/env", ["python3", scriptPath, kind, archive]).status == 0)
            let out = "\(tmp.path)/out-\(kind)"
            do {
                let snapshot = try store.resolve(archive)
                _ = try store.export(snapshot, to: out)
                Issue.record("export of a \(kind) archive succeeded")
            } catch let e {  // resolve and export throw only StoreError
                #expect(e.code == .unsafeArchiveMember, "\(kind): \(e)")
                #expect(e.message.contains(archive))
            }
            #expect(regularFiles(under: out).isEmpty, "\(kind)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(tmp.path)/escaped.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/gbsnap-escaped-abs.txt"))
    }

    @Test func notAnArchiveIsNamedAsSuch() async throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: "\(tmp.path)/store")
        let garbage = tmp.file("garbage.tar.gz", "this is not an archive at all")
        do {
            _ = try store.resolve(garbage)
            Issue.record("resolving garbage succeeded")
        } catch let e {  // resolve and list throw only StoreError
            #expect(e.code == .corruptArchive)
            #expect(e.message.contains(garbage))
            // The input and libarchive's error are kept as data, not only quoted in the message.
            #expect(e.input == .path(garbage))
            #expect(e.underlying is ArchiveError, "\(String(describing: e.underlying))")
        }
        // A tar.gz made by someone else, without a manifest first.
        let plain = "\(tmp.path)/plain.tar.gz"
        #expect(try await Subprocess.run("/bin/tar", ["czf", plain, "-C", tmp.path, "garbage.tar.gz"]).status == 0)
        do {
            _ = try store.resolve(plain)
            Issue.record("resolving a foreign archive succeeded")
        } catch let e {  // resolve and list throw only StoreError
            #expect(e.message.contains("not a gbsnap snapshot"))
        }
    }

    @Test func fullDiskLeavesNoPartialSnapshotAndTheCatalogUnchanged() async throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let mountPoint = "\(tmp.path)/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try await run("/bin/mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint])
        defer { _ = try? Subprocess.runBlocking("/bin/umount", [mountPoint]) }
        let store = try SnapshotStore(root: "\(mountPoint)/store")
        let first = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)], target: "api", takenAt: Date())
        let shardBefore = try SystemIO.readFile("\(mountPoint)/store/catalog/api.jsonl")
        // 2 MiB of random bytes cannot fit.
        var big = [UInt8](repeating: 0, count: 2 << 20)
        for i in big.indices { big[i] = UInt8.random(in: 0...255) }
        let bigFile = tmp.file("big.bin", bytes: big)
        do {
            _ = try store.importFiles([ImportFile(path: bigFile, kind: .trace)], target: "api", takenAt: Date())
            Issue.record("import onto a full disk succeeded")
        } catch {
            #expect("\(error)".lowercased().contains("no space left"))
        }
        #expect(try store.list() == [first])
        #expect(try SystemIO.readFile("\(mountPoint)/store/catalog/api.jsonl") == shardBefore)
        #expect(regularFiles(under: "\(mountPoint)/store/.tmp").isEmpty)
        #expect(regularFiles(under: "\(mountPoint)/store/snapshots").count == 1)

        // Read-only store: a clear error, nothing changes.
        try await run("/bin/mount", ["-o", "remount,ro", mountPoint])
        do {
            _ = try store.importFiles([ImportFile(path: Samples.path("go1.19/vars-a.json"), kind: .vars)], target: "api", takenAt: Date())
            Issue.record("import into a read-only store succeeded")
        } catch {
            #expect("\(error)".contains("not writable"))
        }
        #expect(try store.list() == [first])
    }

    func run(_ tool: String, _ args: [String]) async throws {
        let r = try await Subprocess.run(tool, args)
        guard r.status == 0 else {
            throw StoreError(.io, "\(tool) \(args.joined(separator: " ")) failed with status \(r.status): \(r.stderr) (these tests run as root, as CI does)")
        }
    }
}
