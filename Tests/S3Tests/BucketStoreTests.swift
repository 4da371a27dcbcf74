import BucketStore
import Foundation
import GBSnapCore
import GBSnapTestSupport
import S3
import SnapshotStore
import Testing

/// The built `gbsnap` binary, beside the test bundle, or `GBSNAP_TEST_BINARY` (the release build, for the figures of
/// `scripts/bench bucket`).
var gbsnapPath: String {
    if let binary = ProcessInfo.processInfo.environment["GBSNAP_TEST_BINARY"], !binary.isEmpty { return binary }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gbsnap").path
}

/// Which gbsnap the figures were measured with, for their printed lines.
var binaryUnderTest: String {
    ProcessInfo.processInfo.environment["GBSNAP_TEST_BINARY"].map { $0.isEmpty ? "debug build" : $0 } ?? "debug build"
}

/// The `AWS_*` variables that point gbsnap at moto (or at `port`, a proxy in front of it) with the IAM user's keys;
/// empty values blank anything of the test runner's own environment.
func awsEnvironment(_ moto: MotoServer, port: Int? = nil, secret: String? = nil) -> [String: String] {
    ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port ?? moto.port)", "AWS_ENDPOINT_URL_S3": "", "AWS_REGION": "us-east-1",
     "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": secret ?? moto.credentials.secretAccessKey,
     "AWS_SESSION_TOKEN": "", "AWS_CA_BUNDLE": "", "GBSNAP_STORE": ""]
}

/// Runs gbsnap with `environment` added.
func gbsnap(_ args: [String], _ environment: [String: String]) async throws -> Subprocess.Result {
    try await Subprocess.run(gbsnapPath, args, environment: environment)
}

/// A local store holding real sample snapshots of two targets (heap, allocs, goroutine dumps, expvar, a trace).
func sampleStore(_ root: String) async throws -> [String] {
    let imports: [([String], String, String)] = [
        (["go1.27/heap-a.pb.gz", "go1.27/goroutine-a.debug2.txt", "go1.27/vars-a.json"], "order-api", "2026-11-26T02:00:00Z"),
        (["go1.27/heap-b.pb.gz", "go1.27/goroutine-b.debug2.txt", "go1.27/vars-b.json"], "order-api", "2026-11-27T02:00:00Z"),
        (["go1.27/allocs-gc-run.pb.gz", "go1.27/trace-1s.bin"], "order-api", "2026-11-28T02:00:00Z"),
        (["go1.19/heap-a.pb.gz", "go1.19/goroutine-a.pb.gz"], "payment", "2026-11-26T03:00:00Z"),
        (["go1.19/vars-a.json"], "payment", "2026-11-27T03:00:00Z"),
    ]
    var ids: [String] = []
    for (files, target, time) in imports {
        let r = try await gbsnap(["import"] + files.map(Samples.path) + ["--target", target, "--taken-at", time, "--store", root], [:])
        try #require(r.status == 0, "import failed: \(r.stderr)")
        ids.append(r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return ids
}

/// The archive files under a store root, by key, with their bytes.
func archives(_ root: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for path in regularFiles(under: "\(root)/snapshots") where path.hasSuffix(".tar.gz") {
        out["snapshots/\(path)"] = try Data(contentsOf: URL(fileURLWithPath: "\(root)/snapshots/\(path)"))
    }
    return out
}

/// A client straight to moto, a fresh bucket, shut down after `body`.
func withBucket(_ label: String, _ body: (MotoServer, S3Client, String) async throws -> Void) async throws {
    let moto = try await MotoServer.shared.value
    let client = try S3Client(configuration: moto.configuration())
    let bucket = uniqueBucket(label)
    do {
        try await client.createBucket(bucket)
        try await body(moto, client, bucket)
    } catch {
        Issue.record("\(error)")
    }
    await client.shutdown()
}

@Suite("Bucket store and gbsnap copy against moto", .serialized)
struct BucketStoreMotoTests {
    @Test("copy real samples local → bucket → local: byte-identical archives, the same list and show, a re-run skips all")
    func roundTrip() async throws {
        try await withBucket("copy") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-copy")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", back = "\(tmp.path)/back", url = "s3://\(bucket)/team/archive"
            let ids = try await sampleStore(local)
            let env = awsEnvironment(moto)

            let up = try await gbsnap(["copy", "--from", local, "--to", url], env)
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stdoutText.hasPrefix("copied 5 snapshots ("))
            #expect(up.stdoutText.hasSuffix("), skipped 0 already there\n"))
            #expect(up.stderr.isEmpty)  // no progress line: stderr is not a terminal

            // The bucket holds the same keys under the prefix, byte for byte, and one record per snapshot.
            let objects = try await client.listAllObjects(bucket: bucket, prefix: "team/archive/")
            let localArchives = try archives(local)
            for (key, bytes) in localArchives {
                #expect(try await client.getObject(bucket: bucket, key: "team/archive/\(key)").bytes == [UInt8](bytes))
            }
            #expect(objects.filter { $0.key.hasSuffix(".tar.gz") }.count == 5)
            #expect(Set(objects.filter { $0.key.hasSuffix(".put.json") }.map(\.key))
                == Set(ids.map { "team/archive/catalog/\($0.split(separator: "-").dropFirst().dropLast().joined(separator: "-"))/log/\($0).put.json" }))

            // Listing and showing on the bucket say what they say on disk.
            for args in [["list", "--json"], ["list", "--target", "payment"], ["list", "--kind", "heap", "--json"], ["show", "order-api@latest", "--json"],
                         ["show", "payment@latest~1", "--json"], ["show", String(ids[1].prefix(20)), "--json"]] {
                let onDisk = try await gbsnap(args + ["--store", local], [:])
                let inBucket = try await gbsnap(args + ["--store", url], env)
                #expect(onDisk.status == 0 && inBucket.status == 0, "\(args): \(onDisk.stderr) \(inBucket.stderr)")
                #expect(inBucket.stdoutText == onDisk.stdoutText, "\(args)")
            }
            let shown = try await gbsnap(["show", "order-api@latest", "--store", url], env)
            #expect(shown.stdoutText.contains("archive    s3://\(bucket)/team/archive/snapshots/order-api/2026/11/28/\(ids[2]).tar.gz\n"))
            #expect(shown.stdoutText.contains("trace-1s.bin"))
            let exported = try await gbsnap(["export", "payment@latest~1", "--output", "\(tmp.path)/out", "--store", url], env)
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(tmp.path)/out/heap.pb.gz")) == Data(contentsOf: URL(fileURLWithPath: Samples.path("go1.19/heap-a.pb.gz"))))

            // Again: everything is there already.
            let again = try await gbsnap(["copy", "--from", local, "--to", url, "--json"], env)
            let report = try JSONDecoder().decode(CopyReport.self, from: Data(again.stdout))
            #expect(report.copied == 0 && report.skipped == 5 && report.bytes == 0)

            // And back, into a new local store: the same archives, a healthy store, the same listing.
            let down = try await gbsnap(["copy", "--from", url, "--to", back], env)
            #expect(down.status == 0, "\(down.stderr)")
            #expect(down.stdoutText.hasPrefix("copied 5 snapshots ("))
            #expect(try archives(back) == localArchives)
            #expect(try await gbsnap(["verify", "--store", back], [:]).stdoutText == "verified 5 snapshot(s): all good\n")
            #expect(try await gbsnap(["list", "--json", "--store", back], [:]).stdoutText == (try await gbsnap(["list", "--json", "--store", local], [:])).stdoutText)
            // Selected snapshots only; the ones present are skipped and counted.
            let some = try await gbsnap(["copy", "--from", url, "--to", "\(tmp.path)/some", "payment@latest", ids[0]], env)
            #expect(some.stdoutText.hasPrefix("copied 2 snapshots ("), "\(some.stderr)")
            let more = try await gbsnap(["copy", "--from", url, "--to", "\(tmp.path)/some", "payment@latest", "order-api@latest"], env)
            #expect(more.stdoutText.hasPrefix("copied 1 snapshot ("))
            #expect(more.stdoutText.hasSuffix("skipped 1 already there\n"))
        }
    }

    @Test("a wrong secret: one sentence naming the endpoint and the key, exit 1, nothing written")
    func wrongSecret() async throws {
        try await withBucket("secret") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-secret")
            defer { tmp.cleanup() }
            _ = try await sampleStore("\(tmp.path)/local")
            let r = try await gbsnap(["copy", "--from", "\(tmp.path)/local", "--to", "s3://\(bucket)"], awsEnvironment(moto, secret: "wrong-secret"))
            #expect(r.status == 1)
            #expect(r.stdout.isEmpty)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(r.stderr.hasPrefix("gbsnap: S3 at http://127.0.0.1:\(moto.port): "))
            #expect(r.stderr.contains("the signature does not match for access key \(moto.credentials.accessKeyID)"))
            #expect(!r.stderr.contains("wrong-secret"))
            #expect(try await client.listAllObjects(bucket: bucket).isEmpty)

            let list = try await gbsnap(["list", "--store", "s3://\(bucket)"], awsEnvironment(moto, secret: "wrong-secret"))
            #expect(list.status == 1 && list.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("bad stores and selectors: one sentence naming the input, exit 1, nothing created")
    func badInputs() async throws {
        try await withBucket("inputs") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-inputs")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            _ = try await sampleStore(local)
            let env = awsEnvironment(moto)
            let cases: [([String], String)] = [
                (["copy", "--from", local, "--to", "s3://Bad_Bucket"], #"gbsnap: store "s3://Bad_Bucket" has bucket name "Bad_Bucket", which may hold only lowercase letters"#),
                (["copy", "--from", local, "--to", "s3://gbsnap-no-such-bucket"], #"bucket "gbsnap-no-such-bucket" does not exist at this endpoint"#),
                (["copy", "--from", "\(tmp.path)/missing", "--to", "s3://\(bucket)"], "gbsnap: store \(tmp.path)/missing does not exist"),
                (["copy", "--from", local, "--to", "s3://\(bucket)", "billing@latest"], #"gbsnap: selector "billing@latest": the store has no snapshots of target "billing""#),
                (["list", "--store", "s3://\(bucket)", "--target", "order-apu"], #"the store s3://\#(bucket) has no snapshots of target "order-apu"; did you mean "order-api"?"#),
                (["import", Samples.path("go1.19/vars-a.json"), "--target", "api", "--store", "s3://gbsnap-no-such-bucket"],
                 #"bucket "gbsnap-no-such-bucket" does not exist at this endpoint"#),
            ]
            _ = try await gbsnap(["copy", "--from", local, "--to", "s3://\(bucket)", "order-api@latest"], env)
            let before = try await client.listAllObjects(bucket: bucket).map(\.key)
            for (args, message) in cases {
                let r = try await gbsnap(args, env)
                #expect(r.status == 1, "\(args)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
                #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            }
            #expect(try await client.listAllObjects(bucket: bucket).map(\.key) == before)
            #expect(!FileManager.default.fileExists(atPath: "s3:"))  // no local directory named after the URL
            let noKeys = try await gbsnap(["list", "--store", "s3://\(bucket)"], env.merging(["AWS_ACCESS_KEY_ID": ""]) { $1 })
            #expect(noKeys.stderr == "gbsnap: store s3://\(bucket): no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or access_key_id and secret_access_key_file in the config\n")
        }
    }

    @Test("an archive upload cut mid-body by the fault proxy: no record, not listed, a re-run copies it")
    func uploadKilledMidArchive() async throws {
        try await withBucket("killed") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-killed")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            let ids = try await sampleStore(local)
            // Every PUT of one snapshot's archive is dropped half-way, whatever the retries.
            let victim = ids[1]
            let proxy = try FaultProxy(upstreamPort: moto.port) { _, method, target in
                method == "PUT" && target.contains("\(victim).tar.gz") ? .dropMidBody : nil
            }
            defer { proxy.stop() }
            let cut = try await gbsnap(["copy", "--from", local, "--to", "s3://\(bucket)"], awsEnvironment(moto, port: proxy.port))
            #expect(cut.status == 1)
            #expect(cut.stderr.split(separator: "\n").count == 1, "\(cut.stderr)")
            #expect(cut.stderr.contains("\(victim).tar.gz"), "\(cut.stderr)")
            #expect(proxy.log.filter { $0.hasSuffix("-> dropped") }.count == 5)

            // The snapshots copied before it (oldest first) are listed; the victim has neither archive nor record.
            let keys = try await client.listAllObjects(bucket: bucket).map(\.key)
            #expect(!keys.contains { $0.contains(victim) })
            let listed = try await gbsnap(["list", "--json", "--store", "s3://\(bucket)"], awsEnvironment(moto))
            let listedIDs = try JSONDecoder().decode([CatalogEntry].self, from: Data(listed.stdout)).map(\.id)
            #expect(listedIDs == [ids[0], ids[3]])

            let rerun = try await gbsnap(["copy", "--from", local, "--to", "s3://\(bucket)"], awsEnvironment(moto))
            #expect(rerun.stdoutText.hasPrefix("copied 3 snapshots ("), "\(rerun.stderr)")
            #expect(rerun.stdoutText.hasSuffix("skipped 2 already there\n"))
            let archive = try #require(try archives(local).first { $0.key.contains(victim) })
            #expect(try await client.getObject(bucket: bucket, key: archive.key).bytes == [UInt8](archive.value))
        }
    }

    @Test("an archive stored but its record lost: not listed; a re-run checks the stored bytes and writes the record")
    func recordLost() async throws {
        try await withBucket("record") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-record")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            let ids = try await sampleStore(local)
            let proxy = try FaultProxy(upstreamPort: moto.port) { _, method, target in
                method == "PUT" && target.hasSuffix("\(ids[0]).put.json") ? .slowDown : nil
            }
            defer { proxy.stop() }
            let first = try await gbsnap(["copy", "--from", local, "--to", "s3://\(bucket)", ids[0]], awsEnvironment(moto, port: proxy.port))
            #expect(first.status == 1 && first.stderr.contains("SlowDown"), "\(first.stderr)")
            let store = BucketStore(location: S3Location(bucket: bucket), client: client)
            #expect(try await client.headObject(bucket: bucket, key: try archives(local).keys.first { $0.contains(ids[0]) }!) != nil)
            #expect(try await store.allEntries().isEmpty)

            let rerun = try await gbsnap(["copy", "--from", local, "--to", "s3://\(bucket)", ids[0]], awsEnvironment(moto))
            #expect(rerun.stdoutText.hasPrefix("copied 1 snapshot ("), "\(rerun.stderr)")
            #expect(try await store.allEntries().map(\.id) == [ids[0]])
        }
    }

    @Test("the catalog read: base plus log records, tombstones, another target's records apart; pins as objects")
    func catalogRead() async throws {
        try await withBucket("catalog") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-catalog")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            let ids = try await sampleStore(local)
            let localStore = try SnapshotStore(root: local, create: false)
            let entries = try localStore.list(ListFilter(target: "order-api"))
            let store = BucketStore(location: S3Location(bucket: bucket, prefix: "p"), client: client)
            for e in try localStore.list() { try await store.put(archiveAt: localStore.path(forKey: e.key), entry: e) }
            #expect(try await store.targets() == ["order-api", "payment"])
            #expect(try await store.entries(target: "order-api") == entries)
            // A compacted base holding the first two, their records gone: the same entries.
            _ = try await client.putObject(bucket: bucket, key: "p/catalog/order-api/base.jsonl", bytes: CatalogCodec.shard(Array(entries.prefix(2))))
            for e in entries.prefix(2) { try await client.deleteObject(bucket: bucket, key: "p/" + BucketCatalog.recordKey(target: "order-api", id: e.id)) }
            #expect(try await store.entries(target: "order-api") == entries)
            // A tombstone hides its snapshot whether its entry is in the base or the log, and whether the tombstone is
            // under del/ or (the first layout) in the log.
            for key in [BucketCatalog.legacyTombstoneKey(target: "order-api", id: ids[0]), BucketCatalog.tombstoneKey(target: "order-api", id: ids[2])] {
                _ = try await client.putObject(bucket: bucket, key: "p/" + key, bytes: Array("{}".utf8))
            }
            #expect(try await store.entries(target: "order-api").map(\.id) == [ids[1]])
            #expect(try await store.resolveEntry("order-api@latest").id == ids[1])
            #expect(try await store.list(ListFilter(kind: "vars")).map(\.id) == [ids[1], ids[4]])

            // pin and unpin on the bucket through gbsnap: one object each.
            let pinned = try await gbsnap(["pin", "order-api@latest", "--note", "incident 4711", "--store", "s3://\(bucket)/p"], awsEnvironment(moto))
            #expect(pinned.stdoutText == "pinned \(ids[1])\n", "\(pinned.stderr)")
            #expect(try await store.pins()[ids[1]]?.note == "incident 4711")
            #expect(try await client.headObject(bucket: bucket, key: "p/pins/\(ids[1]).json") != nil)
            let unpinned = try await gbsnap(["unpin", ids[1], "--store", "s3://\(bucket)/p"], awsEnvironment(moto))
            #expect(unpinned.stdoutText == "unpinned \(ids[1])\n", "\(unpinned.stderr)")
            #expect(try await gbsnap(["unpin", ids[1], "--store", "s3://\(bucket)/p"], awsEnvironment(moto)).stdoutText == "\(ids[1]) was not pinned\n")

            try await store.pin(ids[3], note: "before the release")
            #expect(try await store.pins()[ids[3]]?.note == "before the release")
            let listed = try await gbsnap(["list", "--target", "payment", "--store", "s3://\(bucket)/p"], awsEnvironment(moto))
            #expect(listed.stdoutText.contains("pinned: before the release"))
            #expect(try await store.unpin(ids[3]))
            #expect(try await store.unpin(ids[3]) == false)
            #expect(try await store.pins().isEmpty)
        }
    }

    @Test("compaction: the log folded into a base under If-Match; the loser of a race writes and deletes nothing; reads agree throughout")
    func compaction() async throws {
        try await withBucket("compact") { _, client, bucket in
            let tmp = TemporaryDirectory("bucket-compact")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            let ids = try await sampleStore(local)
            let localStore = try SnapshotStore(root: local, create: false)
            let all = try localStore.list(ListFilter(target: "order-api"))
            let store = BucketStore(location: S3Location(bucket: bucket, prefix: "c"), client: client)
            for e in all.prefix(2) { try await store.put(archiveAt: localStore.path(forKey: e.key), entry: e) }
            func logKeys() async throws -> [String] {
                try await client.listAllObjects(bucket: bucket, prefix: "c/catalog/order-api/log/").map(\.key)
            }

            // Two compactions read the same state; the first to write wins, the other gets 412 and changes nothing.
            let first = try await store.planCompaction(target: "order-api")
            let second = try await store.planCompaction(target: "order-api")
            #expect(first.baseETag == nil && first.foldedKeys.count == 2)
            #expect(try await store.apply(second))
            #expect(try await logKeys().isEmpty)
            #expect(try await store.entries(target: "order-api") == Array(all.prefix(2)))
            try await store.put(archiveAt: localStore.path(forKey: all[2].key), entry: all[2])
            #expect(try await store.apply(first) == false)
            #expect(try await logKeys() == ["c/" + BucketCatalog.recordKey(target: "order-api", id: all[2].id)])
            #expect(try await store.entries(target: "order-api") == all)

            // The next one folds the new record and a tombstone into the base it read (If-Match of its ETag).
            _ = try await client.putObject(bucket: bucket, key: "c/" + BucketCatalog.tombstoneKey(target: "order-api", id: ids[0]), bytes: [])
            let base = try #require(try await client.headObject(bucket: bucket, key: "c/catalog/order-api/base.jsonl"))
            let third = try await store.planCompaction(target: "order-api")
            #expect(third.baseETag == base.etag)
            #expect(try await store.compact(target: "order-api") == .compacted(entries: 2, folded: 2))
            #expect(try await logKeys().isEmpty)
            #expect(try await store.entries(target: "order-api").map(\.id) == [ids[1], ids[2]])
            #expect(try await store.compact(target: "order-api") == .notNeeded(logObjects: 0))
            let shard = try await client.getObject(bucket: bucket, key: "c/catalog/order-api/base.jsonl").bytes
            #expect(shard == CatalogCodec.shard(Array(all.dropFirst())))

            // A copy compacts the targets it wrote to once their log reaches the threshold.
            let copied = try await StoreCopy.copy(from: .local(localStore), to: .bucket(store), selectors: [], compactThreshold: 2)
            #expect(copied.copied == 3 && copied.skipped == 2 && copied.warnings.isEmpty)  // ids[0] is tombstoned on the bucket: copied again
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "c/catalog/payment/log/").isEmpty)
            #expect(try await store.entries(target: "payment").map(\.id) == [ids[3], ids[4]])
        }
    }

    @Test("diff and trend against a bucket: the same reports and exit statuses as on disk; diff fetches only the two archives it compares")
    func diffOnBucket() async throws {
        try await withBucket("diff") { moto, _, bucket in
            let tmp = TemporaryDirectory("bucket-diff")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", url = "s3://\(bucket)/d"
            let ids = try await sampleStore(local)
            #expect(try await gbsnap(["copy", "--from", local, "--to", url], awsEnvironment(moto)).status == 0)
            let proxy = try FaultProxy(upstreamPort: moto.port) { _, _, _ in nil }
            defer { proxy.stop() }
            for args in [[ids[0], ids[1]], ["order-api@latest~2", "order-api@latest~1", "--format", "json"], ["order-api"], ["payment"],
                         ["order-api@latest~2", "order-api@latest~1", "--fail-on", "heap.inuse_space.delta>20%"]] {
                let onDisk = try await gbsnap(["diff"] + args + ["--store", local], [:])
                let inBucket = try await gbsnap(["diff"] + args + ["--store", url], awsEnvironment(moto, port: proxy.port))
                #expect(inBucket.status == onDisk.status, "\(args): \(inBucket.stderr)")
                #expect(inBucket.stdoutText == onDisk.stdoutText, "\(args)")
                #expect(inBucket.stderr == onDisk.stderr, "\(args)")
            }
            // The first diff fetched its two archives and nothing else of snapshots/.
            let fetched = proxy.log.filter { $0.hasPrefix("GET ") && $0.contains(".tar.gz") }
            #expect(fetched.count >= 2)
            #expect(fetched.prefix(2).allSatisfy { $0.contains(ids[0]) || $0.contains(ids[1]) }, "\(fetched)")
            // trend too: the target's catalog mirrored, the archives of the window fetched.
            for args in [["order-api", "--since", "2026-11-25T00:00:00Z"], ["order-api", "--since", "2026-11-25T00:00:00Z", "--format", "json"],
                         ["payment", "--last", "2"], ["order-api"]] {
                let onDisk = try await gbsnap(["trend"] + args + ["--store", local], [:])
                let inBucket = try await gbsnap(["trend"] + args + ["--store", url], awsEnvironment(moto))
                #expect(inBucket.status == onDisk.status, "\(args): \(inBucket.stderr)")
                #expect(inBucket.stdoutText == onDisk.stdoutText, "\(args)")
                #expect(inBucket.stderr == onDisk.stderr, "\(args)")
            }
            let trendTypo = try await gbsnap(["trend", "order-apy", "--store", url], awsEnvironment(moto))
            #expect(trendTypo.stderr == "gbsnap: gbsnap trend order-apy: the store \(url) has no snapshots of target \"order-apy\"; did you mean \"order-api\"?\n")
            let typo = try await gbsnap(["diff", "order-apy@latest", "--store", url], awsEnvironment(moto))
            #expect(typo.status == 1)
            #expect(typo.stderr == "gbsnap: selector \"order-apy@latest\": the store \(url) has no snapshots of target \"order-apy\"; did you mean \"order-api\"?\n")
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).contains { $0.hasPrefix("gbsnap-mirror-") }))
        }
    }

    @Test("verify on a bucket: every archive fetched and checked; a changed archive and one without a record are BAD lines, exit 1")
    func verifyOnBucket() async throws {
        try await withBucket("verify") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-verify")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", url = "s3://\(bucket)/v"
            let ids = try await sampleStore(local)
            let env = awsEnvironment(moto)
            #expect(try await gbsnap(["copy", "--from", local, "--to", url], env).status == 0)
            let healthy = try await gbsnap(["verify", "--store", url], env)
            #expect(healthy.status == 0 && healthy.stdoutText == "verified 5 snapshot(s): all good\n", "\(healthy.stderr)")

            // One archive replaced by other bytes, one archive uploaded without a record.
            let keys = try archives(local)
            let changed = try #require(keys.keys.first { $0.contains(ids[1]) })
            _ = try await client.putObject(bucket: bucket, key: "v/\(changed)", bytes: [UInt8](keys[try #require(keys.keys.first { $0.contains(ids[0]) })]!))
            let orphan = "snapshots/order-api/2026/11/30/20261130T020000Z-order-api-zzzz.tar.gz"
            _ = try await client.putObject(bucket: bucket, key: "v/\(orphan)", bytes: Array("not yet recorded".utf8))
            let bad = try await gbsnap(["verify", "--store", url], env)
            #expect(bad.status == 1)
            let lines = bad.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines.last == "verified 5 snapshot(s): 2 problem(s)", "\(bad.stdoutText)")
            #expect(lines.contains { $0.hasPrefix("BAD  archive s3://\(bucket)/v/\(orphan) has no catalog record") })
            #expect(lines.contains { $0.hasPrefix("BAD  snapshot \(ids[1]): archive s3://\(bucket)/v/\(changed) does not match") })
            let json = try await gbsnap(["verify", "--json", "--store", url], env)
            let report = try JSONDecoder().decode(VerifyReport.self, from: Data(json.stdout))
            #expect(Set(report.problems.map(\.kind)) == [.notInCatalog, .checksumMismatch])
            // A selector checks only that snapshot.
            let one = try await gbsnap(["verify", ids[0], "--store", url], env)
            #expect(one.status == 0 && one.stdoutText == "verified 1 snapshot(s): all good\n", "\(one.stderr)")
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).contains { $0.hasPrefix("gbsnap-verify-") }))
        }
    }

    @Test("copy on a terminal counts the snapshots on stderr, erases the count, then prints the summary")
    func progressOnTerminal() async throws {
        try await withBucket("tty") { moto, _, bucket in
            let tmp = TemporaryDirectory("bucket-tty")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            let ids = try await sampleStore(local)
            let command = "stty cols 120 rows 50; '\(gbsnapPath)' copy --from '\(local)' --to s3://\(bucket); echo \"[exit $?]\""
            var env = awsEnvironment(moto)
            env["TERM"] = "xterm"
            let shown = try await Subprocess.run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: env).stdoutText
            let erase = "\r\u{1B}[2K"
            #expect(shown.contains("gbsnap copy: copying 0/5 (0%) \(ids[0])"), "\(shown)")
            #expect(shown.contains("gbsnap copy: copying 5/5 (100%)"), "\(shown)")
            #expect(shown.contains(erase + "copied 5 snapshots ("), "\(shown)")
            #expect(shown.contains("[exit 0]"))
        }
    }

    @Test("reading a target of 600 records: figures before and after compaction")
    func catalogReadFigures() async throws {
        try await withBucket("figures") { moto, client, bucket in
            let store = BucketStore(location: S3Location(bucket: bucket), client: client)
            let count = 600
            let start = Date(timeIntervalSince1970: 1_795_000_000)
            let entries = (0..<count).map { i in
                let taken = start.addingTimeInterval(Double(i) * 600)
                let id = SnapshotID.make(target: "bulk", at: taken)
                return CatalogEntry(id: id, key: SnapshotStore.key(target: "bulk", id: id, takenAt: taken), target: "bulk", labels: [:],
                                    kinds: ["heap", "goroutine"], failedKinds: [], schedule: "nightly", takenAt: taken, finishedAt: taken,
                                    bytes: 4096, sha256: String(repeating: "0", count: 64), status: .complete)
            }
            // Records only (a listing reads no archive), 16 PUTs at a time.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, e) in entries.enumerated() {
                    if i >= 16 { try await group.next() }
                    group.addTask {
                        _ = try await client.putObject(bucket: bucket, key: BucketCatalog.recordKey(target: "bulk", id: e.id),
                                                       bytes: CatalogCodec.entryJSON(e), condition: .ifNoneMatch)
                    }
                }
                try await group.waitForAll()
            }
            func timed(_ label: String) async throws -> Double {
                let t0 = Date()
                let listed = try await gbsnap(["list", "--target", "bulk", "--json", "--store", "s3://\(bucket)"], awsEnvironment(moto))
                let seconds = Date().timeIntervalSince(t0)
                #expect(try JSONDecoder().decode([CatalogEntry].self, from: Data(listed.stdout)) == entries, "\(label): \(listed.stderr)")
                let t1 = Date()
                #expect(try await store.resolveEntry("bulk@latest").id == entries.last?.id)
                print("bucket catalog, \(count) snapshots of one target, \(label): gbsnap list --target \(String(format: "%.2f", seconds)) s, TARGET@latest \(String(format: "%.2f", Date().timeIntervalSince(t1))) s")
                return seconds
            }
            _ = try await timed("600 log records")
            #expect(try await store.compact(target: "bulk") == .compacted(entries: count, folded: count))
            _ = try await timed("compacted into base.jsonl")
        }
    }

    @Test("a compacted target of 100,000 snapshots plus new records: list --target and TARGET@latest (figures printed)")
    func largeCatalogFigures() async throws {
        try await withBucket("100k") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-100k")
            defer { tmp.cleanup() }
            // The newest snapshot is a real one (show fetches its archive); the base is written to a file 1,000 entries
            // at a time and uploaded from it, so this process never holds the 100,000 entries (the S3 client's memory
            // test may be measuring it).
            let local = "\(tmp.path)/local"
            let imported = try await gbsnap(["import", Samples.path("go1.27/vars-b.json"), "--target", "big", "--taken-at", "2026-11-28T00:00:00Z",
                                             "--store", local], [:])
            try #require(imported.status == 0, "\(imported.stderr)")
            let newest = imported.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            let start = Date(timeIntervalSince1970: 1_795_824_000 - 100_020 * 300)  // 100,020 snapshots 5 min apart, up to the newest
            let cutoff = Date(timeIntervalSince1970: 1_795_824_000 - 86_400)
            var lastDay: [CatalogEntry] = []
            func entry(_ i: Int) -> CatalogEntry {
                let taken = start.addingTimeInterval(Double(i) * 300)
                let id = SnapshotID.make(target: "big", at: taken)
                return CatalogEntry(id: id, key: SnapshotStore.key(target: "big", id: id, takenAt: taken), target: "big", labels: ["region": "eu"],
                                    kinds: ["heap", "goroutine", "vars"], failedKinds: [], schedule: "nightly", takenAt: taken, finishedAt: taken,
                                    bytes: 40_960, sha256: String(repeating: "0", count: 64), status: .complete)
            }
            let basePath = tmp.file("base.jsonl", bytes: [])
            let out = try #require(FileHandle(forWritingAtPath: basePath))
            for chunk in stride(from: 0, to: 100_000, by: 1000) {
                let entries = (chunk..<(chunk + 1000)).map(entry)
                lastDay += entries.filter { $0.takenAt >= cutoff }
                try out.write(contentsOf: Data(CatalogCodec.shard(entries)))
            }
            try out.close()
            _ = try await client.uploadFile(bucket: bucket, key: BucketCatalog.baseKey(target: "big"), path: basePath)
            for e in (100_000..<100_019).map(entry) {
                _ = try await client.putObject(bucket: bucket, key: BucketCatalog.recordKey(target: "big", id: e.id), bytes: CatalogCodec.entryJSON(e))
                if e.takenAt >= cutoff { lastDay.append(e) }
            }
            #expect(try await gbsnap(["copy", "--from", local, "--to", "s3://\(bucket)"], awsEnvironment(moto)).status == 0)
            lastDay += try SnapshotStore(root: local, create: false).list()

            // Reading all of it, printing only the last day (the output is not what is measured).
            let t0 = Date()
            let listed = try await gbsnap(["list", "--target", "big", "--since", Timestamp.formatUTC(cutoff), "--json", "--store", "s3://\(bucket)"],
                                          awsEnvironment(moto))
            let listSeconds = Date().timeIntervalSince(t0)
            try #require(listed.status == 0, "\(listed.stderr)")
            #expect(try JSONDecoder().decode([CatalogEntry].self, from: Data(listed.stdout)) == lastDay)
            let t1 = Date()
            let shown = try await gbsnap(["show", "big@latest", "--json", "--store", "s3://\(bucket)"], awsEnvironment(moto))
            let latestSeconds = Date().timeIntervalSince(t1)
            #expect(shown.status == 0 && shown.stdoutText.contains(newest), "\(shown.stderr)")
            let t2 = Date()
            try await client.downloadObject(bucket: bucket, key: BucketCatalog.baseKey(target: "big"), to: "\(tmp.path)/got.jsonl")
            let getSeconds = Date().timeIntervalSince(t2)
            let size = SystemIO.fileSize(basePath) ?? 0
            print("bucket catalog, 100,000 snapshots in base.jsonl (\(size / 1_000_000) MB) + 20 records: gbsnap list --target \(String(format: "%.2f", listSeconds)) s, gbsnap show TARGET@latest \(String(format: "%.2f", latestSeconds)) s (\(binaryUnderTest); the base's GET alone \(String(format: "%.2f", getSeconds)) s)")
        }
    }

    @Test("archives of 32 and 96 MiB go up in parts and come back byte-identical; gbsnap's peak memory does not grow with the archive (throughput printed)")
    func largeArchive() async throws {
        try await withBucket("large") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-large")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            // Incompressible bytes, so an archive is as big as its artifact; written 1 MiB at a time.
            let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
            for (target, mib) in [("small", 32), ("big", 96)] {
                let file = tmp.file("\(target).trace", bytes: [])
                let out = try #require(FileHandle(forWritingAtPath: file))
                for _ in 0..<mib { try out.write(contentsOf: random.readData(ofLength: 1 << 20)) }
                try out.close()
                let imported = try await gbsnap(["import", file, "--kind", "trace", "--target", target, "--store", local], [:])
                try #require(imported.status == 0, "\(imported.stderr)")
            }
            try random.close()
            let env = awsEnvironment(moto)
            // Measured in the child: its own peak resident set (wait4), not this process's, which the tests beside
            // this one share. Flat memory means the 96 MiB copy peaks no higher than the 32 MiB one by much; holding
            // the archive whole would add its 64 MiB difference.
            var peaks: [String: (up: Int64, down: Int64)] = [:]
            var rates: [String] = []
            for target in ["small", "big"] {
                let start = Date()
                let up = try await Subprocess.runMeasured(gbsnapPath, ["copy", "--from", local, "--to", "s3://\(bucket)", "\(target)@latest", "--json"], environment: env)
                let upSeconds = Date().timeIntervalSince(start)
                let report = try JSONDecoder().decode(CopyReport.self, from: Data(up.stdout.utf8))
                #expect(report.copied == 1, "\(up.stderr)")
                let downStart = Date()
                let down = try await Subprocess.runMeasured(gbsnapPath, ["copy", "--from", "s3://\(bucket)", "--to", "\(tmp.path)/back", "\(target)@latest"], environment: env)
                let downSeconds = Date().timeIntervalSince(downStart)
                #expect(down.status == 0, "\(down.stderr)")
                peaks[target] = (up.peakResidentBytes, down.peakResidentBytes)
                let mib = Double(report.bytes) / 1_048_576
                rates.append("\(String(format: "%.1f", mib)) MiB: to moto \(String(format: "%.1f", mib / upSeconds)) MiB/s, peak RSS \(up.peakResidentBytes >> 20) MiB; "
                    + "back \(String(format: "%.1f", mib / downSeconds)) MiB/s, peak RSS \(down.peakResidentBytes >> 20) MiB")
            }
            for file in regularFiles(under: "\(local)/snapshots") where file.hasSuffix(".tar.gz") {
                let key = "snapshots/\(file)"
                #expect(try await client.headObject(bucket: bucket, key: key)?.etag.contains("-") == true, "\(key) went up in parts")
                #expect(try sha256(ofFile: "\(tmp.path)/back/\(key)") == sha256(ofFile: "\(local)/\(key)"))
            }
            let (small, big) = (try #require(peaks["small"]), try #require(peaks["big"]))
            #expect(big.up - small.up < 32 << 20, "copy up: \(small.up >> 20) MiB for 32 MiB, \(big.up >> 20) MiB for 96 MiB")
            #expect(big.down - small.down < 32 << 20, "copy down: \(small.down >> 20) MiB for 32 MiB, \(big.down >> 20) MiB for 96 MiB")
            print("gbsnap copy (each archive checked before it is recorded): " + rates.joined(separator: " | "))
        }
    }
}
