import Foundation
import GBSnapCore
import GBSnapTestSupport
import SnapshotStore
import Testing

/// prune after an outage, verify of a copy, reindex of damage, rm and export through the real binary.
@Suite struct MaintenanceCommandTests {
    static func importSample(_ store: String, target: String = "etcd", at iso: String) async throws -> String {
        let r = try await gbsnap(["import", Samples.path("go1.19/vars-a.json"), "--target", target, "--taken-at", iso], store: store)
        guard r.status == 0 else { throw CLITestError("import failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What a capture of a target that is down stores: a snapshot whose every artifact failed.
    static func failedCapture(_ store: String, target: String = "etcd", at iso: String) throws -> String {
        let t = try #require(Timestamp.parse(iso))
        let manifest = Manifest(
            id: SnapshotID.make(target: target, at: t), target: .init(name: target, url: "http://127.0.0.1:2379", labels: [:]),
            schedule: "every-30s", scheduledAt: t, startedAt: t, finishedAt: t,
            artifacts: [ArtifactRecord(name: "heap", kind: "heap", member: nil, bytes: 0, sha256: nil, status: .failed,
                                       error: "connection refused")])
        return try SnapshotStore(root: store).write(manifest: manifest, files: [:]).id
    }

    static func decisions(_ r: CLIResult) throws -> [String: String] {
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let list = try #require(plan["decisions"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as! String, $0["action"] as! String) })
    }

    /// issue 11, item 1: 3 good snapshots, then 3 failed captures, `--keep-last 3`.
    @Test func pruneAfterAnOutageKeepsTheGoodSnapshots() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        var good: [String] = [], failed: [String] = []
        for hour in 0..<3 { good.append(try await Self.importSample(store, at: "2026-11-26T0\(hour):00:00Z")) }
        for hour in 3..<6 { failed.append(try Self.failedCapture(store, at: "2026-11-26T0\(hour):00:00Z")) }
        let args = ["prune", "--dry-run", "--keep-last", "3", "--target", "etcd", "--now", "2026-11-26T06:00:00Z"]

        let json = try await gbsnap(args + ["--json"], store: store)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try Self.decisions(json) == Dictionary(uniqueKeysWithValues: (good + failed).map { ($0, "keep") }))

        let text = try await gbsnap(args, store: store)
        #expect(text.status == 0)
        let line = { (id: String) in text.stdout.split(separator: "\n").first { $0.hasPrefix(id) }.map(String.init) ?? "" }
        #expect(line(good[2]).hasSuffix("kept: newest of group; keep-last 3"))
        #expect(line(failed[2]).contains("kept: keep-failed-last 3"))
        #expect(text.stdout.contains("would remove 0 snapshots"))

        // The failures' own keep, tightened: the older failures go, the good history stays.
        let tight = try await gbsnap(args + ["--keep-failed-last", "1", "--keep-failed-within", "0"], store: store)
        #expect(tight.status == 0, "\(tight.stderr)")
        for id in failed.prefix(2) {
            #expect(tight.stdout.split(separator: "\n").first { $0.hasPrefix(id) }?
                .hasSuffix("removed: no data (failed capture) and outside keep-failed-last 1") == true)
        }
        let applied = try await gbsnap(args.filter { $0 != "--dry-run" } + ["--keep-failed-last", "1", "--keep-failed-within", "0"], store: store)
        #expect(applied.status == 0, "\(applied.stderr)")
        let left = try await gbsnap(["list", "--json"], store: store)
        let ids = (try JSONSerialization.jsonObject(with: Data(left.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(Set(ids ?? []) == Set(good + [failed[2]]))
    }

    /// issue 11, item 2: a path verifies that file.
    @Test func verifyOfACorruptCopyIsBad() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let id = try await Self.importSample(store, at: "2026-11-26T00:00:00Z")
        let archive = try #require(regularFiles(under: "\(store)/snapshots").first { $0.contains(id) })
        let copy = "\(tmp.path)/copy.tar.gz", cut = "\(tmp.path)/cut.tar.gz"
        try FileManager.default.copyItem(atPath: "\(store)/snapshots/\(archive)", toPath: copy)
        try FileManager.default.copyItem(atPath: copy, toPath: cut)
        #expect(try await gbsnap(["verify", copy], store: store).status == 0)

        var bytes = try SystemIO.readFile(copy)
        bytes[bytes.count / 2] ^= 0x01
        try SystemIO.writeFileAtomically(copy, bytes: bytes)
        try SystemIO.truncate(cut, to: Int64(bytes.count / 2))
        for file in [copy, cut] {
            let r = try await gbsnap(["verify", file], store: store)
            #expect(r.status == 1, "\(file): \(r.stdout)")
            let bad = r.stdout.split(separator: "\n").filter { $0.hasPrefix("BAD  ") }
            #expect(bad.count == 1)
            #expect(bad.first?.contains(file) == true)
        }
        // The stored archive is still good.
        #expect(try await gbsnap(["verify", id], store: store).status == 0)
    }

    /// issue 11, item 3: reindex never blesses a damaged archive.
    @Test func reindexQuarantinesDamageAndExitsOne() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let damaged = try await Self.importSample(store, at: "2026-11-25T00:00:00Z")
        let kept = try await Self.importSample(store, at: "2026-11-26T00:00:00Z")
        let archive = try #require(regularFiles(under: "\(store)/snapshots").first { $0.contains(damaged) })
        let path = "\(store)/snapshots/\(archive)"
        try SystemIO.truncate(path, to: (SystemIO.fileSize(path) ?? 0) / 2)

        let r = try await gbsnap(["reindex"], store: store)
        #expect(r.status == 1)
        let bad = r.stdout.split(separator: "\n").filter { $0.hasPrefix("BAD  ") }
        #expect(bad.count == 1)
        #expect(bad.first?.contains(path) == true)
        #expect(bad.first?.contains("\(store)/quarantine/snapshots/\(archive)") == true)
        #expect(r.stdout.contains("reindexed 1 snapshot(s) of 1 target(s); quarantined 1 damaged archive(s)"))
        #expect(SystemIO.fileSize("\(store)/quarantine/snapshots/\(archive)") != nil)
        let list = try await gbsnap(["list", "--json"], store: store)
        #expect(list.stdout.contains(kept) && !list.stdout.contains(damaged))
        #expect(try await gbsnap(["verify"], store: store).status == 0)
        #expect(try await gbsnap(["reindex"], store: store).status == 0)
    }

    @Test func rmRefusesPinnedSnapshotsWithoutForce() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let a = try await Self.importSample(store, at: "2026-11-25T00:00:00Z")
        let b = try await Self.importSample(store, at: "2026-11-26T00:00:00Z")
        #expect(try await gbsnap(["pin", b, "--note", "incident"], store: store).status == 0)

        let refused = try await gbsnap(["rm", a, b], store: store)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("gbsnap: snapshot \(b) is pinned"))
        #expect(refused.stderr.contains("--force"))
        #expect(try await gbsnap(["list", "--json"], store: store).stdout.contains(a))  // nothing removed

        let removed = try await gbsnap(["rm", "etcd@latest~1"], store: store)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("removed \(a)"))
        let forced = try await gbsnap(["rm", "--force", b, "--json"], store: store)
        #expect(forced.status == 0)
        #expect(forced.stdout.contains("\"unpinned_ids\""))
        #expect(try await gbsnap(["list", "--json"], store: store).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
        #expect(try await gbsnap(["verify"], store: store).status == 0)
        #expect(try await gbsnap(["rm", "nonexistent"], store: store).status == 1)
        #expect(try await gbsnap(["rm"], store: store).status == 2)
    }

    @Test func exportRefusesToOverwriteWithoutForce() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let id = try await Self.importSample(store, at: "2026-11-26T00:00:00Z")
        let out = "\(tmp.path)/out"
        #expect(try await gbsnap(["export", id, "-o", out], store: store).status == 0)
        let again = try await gbsnap(["export", id, "-o", out], store: store)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already has"))
        #expect(again.stderr.contains("--force"))
        #expect(try await gbsnap(["export", id, "-o", out, "--force"], store: store).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["manifest.json", "vars.json"])
    }
}
