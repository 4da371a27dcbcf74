import Foundation
import GBSnapCore
import GBSnapTestSupport
import Testing

/// End-to-end tests of the store commands through the real binary.
@Suite struct StoreCommandTests {
    @Test func importListShowExportRoundTripWithGoToolPprofTarAndBsdtar() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let heap = Samples.path("go1.27/heap-gc-b.pb.gz")
        let imported = try await gbsnap(["import", heap, Samples.path("go1.27/goroutine-b.debug2.txt"), Samples.path("go1.27/vars-b.json"),
                                   "--target", "order-api", "--taken-at", "2026-11-26T02:00:00+08:00", "--label", "env=prod"], store: store)
        #expect(imported.status == 0, "\(imported.stderr)")
        let id = imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("20261125T180000Z-order-api-"))

        let list = try await gbsnap(["list", "--json"], store: store)
        #expect(list.status == 0)
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(entries.count == 1)
        #expect(entries[0]["id"] as? String == id)
        #expect(entries[0]["kinds"] as? [String] == ["heap", "stacks", "vars"])
        #expect(entries[0]["taken_at"] as? String == "2026-11-25T18:00:00.000Z")
        #expect(entries[0]["pinned"] as? Bool == false)

        let show = try await gbsnap(["show", "order-api@latest", "--json"], store: store)
        let manifest = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(manifest["schema"] as? String == "gbsnap.manifest/v1")
        #expect((manifest["artifacts"] as? [[String: Any]])?.map { $0["member"] as? String } == ["heap.pb.gz", "stacks.debug2.txt", "vars.json"])

        let out = "\(tmp.path)/export"
        let export = try await gbsnap(["export", String(id.prefix(24)), "--output", out], store: store)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(regularFiles(under: out) == ["heap.pb.gz", "manifest.json", "stacks.debug2.txt", "vars.json"])
        #expect(FileManager.default.contentsEqual(atPath: "\(out)/heap.pb.gz", andPath: heap))

        // go tool pprof opens the exported profile directly.
        let pprof = try await GoPprof.run(["-top", "-nodecount=3", "\(out)/heap.pb.gz"])
        #expect(pprof.status == 0, "\(pprof.stderr)")
        #expect(pprof.stdout.contains("Type: inuse_space"))

        // GNU tar and bsdtar list and extract the archive.
        let archive = "\(store)/snapshots/order-api/2026/11/25/\(id).tar.gz"
        let gnu = try await run("/bin/tar", ["tzf", archive])
        #expect(gnu.status == 0)
        #expect(gnu.stdout.split(separator: "\n") == ["manifest.json", "heap.pb.gz", "stacks.debug2.txt", "vars.json"])
        let bsd = try await run("/usr/bin/bsdtar", ["-tf", archive])
        #expect(bsd.status == 0, "bsdtar is required (apt-get install libarchive-tools): \(bsd.stderr)")
        #expect(bsd.stdout.split(separator: "\n") == ["manifest.json", "heap.pb.gz", "stacks.debug2.txt", "vars.json"])
        let x = "\(tmp.path)/x"
        try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
        #expect(try await run("/bin/tar", ["xzf", archive, "-C", x]).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: "\(x)/stacks.debug2.txt", andPath: Samples.path("go1.27/goroutine-b.debug2.txt")))

        #expect(try await gbsnap(["verify"], store: store).stdout.contains("all good"))
    }

    @Test func importDetectsEveryKind() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let cases: [(String, String)] = [
            ("go1.27/heap-gc-a.pb.gz", "heap"), ("go1.27/allocs-gc-run.pb.gz", "allocs"), ("go1.27/goroutine-a.pb.gz", "goroutine"),
            ("go1.27/goroutineleak-a.pb.gz", "goroutineleak"), ("go1.27/cpu.pb.gz", "cpu"), ("go1.19/cpu-3s.pb.gz", "cpu"),
            ("go1.27/goroutine-a.debug2.txt", "stacks"), ("go1.19/goroutine-a.debug1.txt", "goroutine-text"),
            ("go1.27/vars-a.json", "vars"), ("go1.27/trace-1s.bin", "trace"), ("go1.19/trace-1s.first64.bin", "trace"),
        ]
        for (file, kind) in cases {
            let r = try await gbsnap(["import", Samples.path(file), "--target", "t", "--json"], store: "\(tmp.path)/s")
            #expect(r.status == 0, "\(file): \(r.stderr)")
            let entry = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            #expect(entry?["kinds"] as? [String] == [kind], "\(file)")
        }
    }

    @Test func badInputFailsWithOneClearSentenceAndChangesNothing() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        #expect(try await gbsnap(["import", Samples.path("go1.19/vars-a.json"), "--target", "api"], store: store).status == 0)
        let before = try await gbsnap(["list", "--json"], store: store).stdout

        let junk = "\(tmp.path)/junk.txt"
        try "hello, not a profile\n".write(toFile: junk, atomically: true, encoding: .utf8)
        let garbageGz = "\(tmp.path)/garbage.pb.gz"
        try Data([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7]).write(to: URL(fileURLWithPath: garbageGz))
        let block = Samples.path("go1.19/block.debug1.txt")
        let failures: [([String], String)] = [
            (["import", junk, "--target", "api"], junk),
            (["import", garbageGz, "--target", "api"], garbageGz),
            (["import", "\(tmp.path)/missing.pb.gz", "--target", "api"], "missing.pb.gz"),
            (["import", block, "--target", "api"], block),
            (["show", "nosuch@latest"], "nosuch"),
            (["show", "api@latest~5"], "api@latest~5"),
            (["export", "zzz", "--output", "\(tmp.path)/o"], "zzz"),
            (["list", "--target", "api", "--store", "\(tmp.path)/no-store"], "no-store"),
        ]
        for (args, mention) in failures {
            let r = try await gbsnap(args, store: store)
            #expect(r.status == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(mention), "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("gbsnap: "), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        // Usage errors exit 2.
        #expect(try await gbsnap(["import", junk], store: store).status == 2)
        #expect(try await gbsnap(["list", "--since", "yesterday"], store: store).status == 2)
        #expect(try await gbsnap(["import", junk, "--target", "api", "--kind", "nonsense"], store: store).status == 2)
        #expect(try await gbsnap(["list", "--json"], store: store).stdout == before)
        #expect(regularFiles(under: "\(store)/.tmp").isEmpty)
    }

    @Test func verifyNamesDamagedArchivesAndExitsOne() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let id = try await gbsnap(["import", Samples.path("go1.27/goroutine-b.debug2.txt"), "--target", "api"], store: store)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await gbsnap(["import", Samples.path("go1.27/goroutine-a.debug2.txt"), "--target", "api"], store: store)
        let archive = try #require(regularFiles(under: "\(store)/snapshots").first { $0.contains(id) })
        let path = "\(store)/snapshots/\(archive)"
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: 200)
        try handle.close()
        let r = try await gbsnap(["verify"], store: store)
        #expect(r.status == 1)
        #expect(r.stdout.contains(path))
        #expect(r.stdout.contains("1 problem"))
        let show = try await gbsnap(["export", id, "-o", "\(tmp.path)/o"], store: store)
        #expect(show.status == 1)
        #expect(show.stderr.contains(path))
    }

    @Test func killDuringImportLeavesNoVisiblePartialSnapshot() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        // 64 MiB of random bytes: hashing and archiving take long enough to be killed in the middle.
        let big = "\(tmp.path)/big.trace"
        #expect(try await run("/bin/dd", ["if=/dev/urandom", "of=\(big)", "bs=1M", "count=64", "status=none"]).status == 0)
        let first = try await gbsnap(["import", Samples.path("go1.19/vars-a.json"), "--target", "api"], store: store)
        #expect(first.status == 0, "\(first.stderr)")
        for delayMillis in [100, 300, 700, 1500] {
            let (p, _, _) = try start(GBSnapBinary.path, ["import", big, "--kind", "trace", "--target", "api"], environment: ["GBSNAP_STORE": store])
            try await Task.sleep(for: .milliseconds(delayMillis))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let list = try await gbsnap(["list", "--json"], store: store)
            #expect(list.status == 0)
            let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
            // The snapshot taken before, and at most a complete one from the killed import.
            #expect(!entries.isEmpty)
            #expect(entries.allSatisfy { ($0["status"] as? String) == "complete" })
        }
        // The next writer works and cleans up what the killed processes left in .tmp.
        let next = try await gbsnap(["import", Samples.path("go1.19/vars-a.json"), "--target", "api"], store: store)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(regularFiles(under: "\(store)/.tmp").isEmpty)
        let verify = try await gbsnap(["verify"], store: store)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// issue 12, item 9: one precedence for every command, the daemon's included (StoreLocation).
    @Test("every command finds the store the same way: --store, then GBSNAP_STORE, then the config's store:")
    func storePrecedenceIsTheSameForEveryCommand() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        var ids: [String: String] = [:]
        for name in ["flag", "env", "config"] {
            let store = "\(tmp.path)/\(name)"
            let r = try await gbsnap(["import", Samples.path("go1.19/vars-a.json"), "--target", "in-\(name)", "--taken-at", "2026-11-26T00:00:00Z"],
                               store: store)
            #expect(r.status == 0, "\(r.stderr)")
            ids[name] = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let config = tmp.file("gbsnap.yaml", """
            store: \(tmp.path)/config
            targets:
              - name: in-config
                url: http://127.0.0.1:6060
            retention:
              rules:
                - keep_last: 3

            """)
        func targets(_ args: [String], env: String) async throws -> String {
            let r = try await run(GBSnapBinary.path, args, environment: ["GBSNAP_STORE": env])
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return r.stdout
        }
        let flag = ["--store", "\(tmp.path)/flag"]
        // A command without a config: --store, else GBSNAP_STORE.
        await #expect(try targets(["list"] + flag, env: "\(tmp.path)/env").contains(ids["flag"]!))
        await #expect(try targets(["list"], env: "\(tmp.path)/env").contains(ids["env"]!))
        // A command with a config: --store, else GBSNAP_STORE, else the config's store: (an empty GBSNAP_STORE is unset).
        let prune = ["prune", "--config", config, "--dry-run"]
        await #expect(try targets(prune + flag, env: "\(tmp.path)/env").contains(ids["flag"]!))
        await #expect(try targets(prune, env: "\(tmp.path)/env").contains(ids["env"]!))
        await #expect(try targets(prune, env: "").contains(ids["config"]!))
    }

    /// issue 12, item 7: one byte formatter for every output (docs/units.md), pprof's spelling.
    @Test("list, show and rm print sizes with ValueFormatter")
    func listingSizesUseTheOneFormatter() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let imported = try await gbsnap(["import", Samples.path("go1.27/heap-gc-b.pb.gz"), "--target", "api"], store: store)
        #expect(imported.status == 0, "\(imported.stderr)")
        let id = imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let json = try await gbsnap(["list", "--json"], store: store)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let bytes = try #require(entries.first?["bytes"] as? Int)
        let size = ValueFormatter.format(Int64(bytes), unit: "bytes")
        #expect(!size.contains("iB"))
        let row = try await gbsnap(["list"], store: store).stdout.split(separator: "\n").first { $0.hasPrefix(id) }
        #expect(row?.contains("  \(size)  ") == true, "\(String(describing: row)) lacks \(size)")
        let removed = try await gbsnap(["rm", id], store: store)
        #expect(removed.stdout.hasSuffix("freed \(size)\n"), "\(removed.stdout)")
    }
}
