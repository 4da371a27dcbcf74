import BucketStore
import Capture
import Foundation
import GBSnapCore
import GBSnapTestSupport
import S3
import SnapshotStore
import Snapshotter
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `AWS_*` variables all blanked but the region, so the config's `s3:` block is what gbsnap uses.
private let noAWSEnvironment = ["AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
                                "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_CA_BUNDLE": "",
                                "GBSNAP_STORE": ""]

/// The staging folders gbsnap processes leave in the temp directory (none, once they are done).
private func stagingFolders() -> Set<String> {
    Set(((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("gbsnap-staging-") })
}

/// A config capturing `targets` (all served by `fixture`) into `store` with the endpoint and credentials in its `s3:`
/// block, the secret in `secretFile`.
private func bucketConfig(store: String, moto: MotoServer, secretFile: String, fixture: String, targets: [String],
                          cron: String = "*/2 * * * * *") -> String {
    """
    store: \(store)
    s3:
      endpoint: http://127.0.0.1:\(moto.port)
      region: us-east-1
      access_key_id: \(moto.credentials.accessKeyID)
      secret_access_key_file: \(secretFile)
    targets:
    \(targets.map { "  - {name: \($0), url: \"\(fixture)\"}" }.joined(separator: "\n"))
    schedules:
      - name: fast
        cron: "\(cron)"
        targets: [\(targets.joined(separator: ", "))]
        kinds: [vars]
        stagger: 1s

    """
}

/// `config` with a retention policy keeping each target's last two snapshots, applied every second.
private func withRetention(_ config: String) -> String {
    config + """
        retention:
          schedule: "* * * * * *"
          rules:
            - keep_last: 2

        """
}

/// The bucket store at `url`, read through `client`.
private func bucketStore(_ url: String, _ client: S3Client) throws -> BucketStore {
    BucketStore(location: try S3Location(parsing: url), client: client)
}

@Suite("gbsnap capture and gbsnap run on a bucket, against moto", .serialized)
struct BucketCaptureTests {
    @Test("capture --store s3://…: the snapshot is recorded in the bucket (archive, then record), listed, verified and shown; nothing staged is left")
    func captureToBucket() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("capture") { moto, client, bucket in
            let url = "s3://\(bucket)/fleet"
            let staged = stagingFolders()
            let r = try await gbsnap(["capture", "--url", fixture.baseURL, "--name", "api", "--kinds", "heap,goroutine,vars", "--store", url],
                                     awsEnvironment(moto))
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(SnapshotID.isValidID(id), "\(r.stdoutText)")
            #expect(stagingFolders() == staged)

            let entries = try await bucketStore(url, client).list()
            #expect(entries.map(\.id) == [id])
            let entry = try #require(entries.first)
            #expect(entry.kinds == ["goroutine", "heap", "vars"] && entry.status == .complete, "\(entry)")
            let objects = try await client.listAllObjects(bucket: bucket, prefix: "fleet/").map(\.key).sorted()
            #expect(objects == ["fleet/\(BucketCatalog.recordKey(target: "api", id: id))", "fleet/\(entry.key)"].sorted())
            // The object is the archive its record describes.
            let archive = try await client.getObject(bucket: bucket, key: "fleet/\(entry.key)").bytes
            #expect(Int64(archive.count) == entry.bytes)

            let verify = try await gbsnap(["verify", "--store", url], awsEnvironment(moto))
            #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
            let show = try await gbsnap(["show", "api@latest", "--store", url], awsEnvironment(moto))
            #expect(show.status == 0 && show.stdoutText.contains(id) && show.stdoutText.contains("heap.pb.gz"), "\(show.stdoutText) \(show.stderr)")

            // A target that is down: the failed snapshot is stored in the bucket too, exit 1, as on disk.
            let down = try await gbsnap(["capture", "--url", "http://127.0.0.1:9", "--name", "gone", "--kinds", "vars", "--store", url],
                                        awsEnvironment(moto))
            #expect(down.status == 1)
            #expect(down.stderr.contains("failed: no artifact was captured"), "\(down.stderr)")
            #expect(try await bucketStore(url, client).list(ListFilter(target: "gone")).map(\.status) == [.failed])
        }
    }

    @Test("a snapshotter writing to a bucket compacts a target's catalog once its log is long: the base holds the snapshots, the log stays short")
    func writerCompacts() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("writer-compacts") { moto, client, bucket in
            let store = try bucketStore("s3://\(bucket)", client)
            let snapshotter = try Snapshotter.forBucket(store, compactionThreshold: 4)
            var ids: [String] = []
            do {
                for _ in 0..<9 {
                    let request = CaptureRequest(target: TargetSpec(name: "api", baseURL: fixture.baseURL), kinds: [.vars])
                    ids.append(try await snapshotter.take(request, schedule: "manual").id)
                }
            } catch {
                Issue.record("\(error)")
            }
            await snapshotter.shutdown()
            // Looked at on writes 1, 2, 3, 4... (every 4 / 4 = 1): compacted at 4 and 8 log objects.
            #expect(try await client.headObject(bucket: bucket, key: BucketCatalog.baseKey(target: "api")) != nil)
            let log = try await client.listAllObjects(bucket: bucket, prefix: BucketCatalog.logPrefix(target: "api"))
            #expect(log.count < 4, "\(log.map(\.key))")
            #expect(try await store.list().map(\.id) == ids)
        }
    }

    @Test("a capture whose archive upload is cut half-way on every attempt: one sentence, exit 1, no object and nothing listed or staged")
    func uploadCut() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("capture-cut") { moto, client, bucket in
            let proxy = try FaultProxy(upstreamPort: moto.port) { _, method, target in
                method == "PUT" && target.hasSuffix(".tar.gz") ? .dropMidBody : nil
            }
            defer { proxy.stop() }
            let staged = stagingFolders()
            let r = try await gbsnap(["capture", "--url", fixture.baseURL, "--name", "api", "--kinds", "heap,vars", "--store", "s3://\(bucket)"],
                                     awsEnvironment(moto, port: proxy.port))
            #expect(r.status == 1)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(".tar.gz") && lines[0].contains("5 attempts"), "\(r.stderr)")
            #expect(r.stdoutText.isEmpty)
            #expect(proxy.log.filter { $0.hasSuffix("-> dropped") }.count == 5)
            #expect(try await client.listAllObjects(bucket: bucket).isEmpty)
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
            #expect(stagingFolders() == staged)
        }
    }

    @Test("import into a bucket: the snapshot is built aside, then stored like a capture; listed and shown as on disk")
    func importToBucket() async throws {
        try await withBucket("import") { moto, client, bucket in
            let url = "s3://\(bucket)/team"
            let r = try await gbsnap(["import", Samples.path("go1.27/heap-a.pb.gz"), Samples.path("go1.27/vars-a.json"), "--target", "api",
                                      "--taken-at", "2026-11-26T02:00:00Z", "--label", "env=prod", "--store", url], awsEnvironment(moto))
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            let entry = try #require(try await bucketStore(url, client).list().first)
            #expect(entry.id == id && entry.kinds.sorted() == ["heap", "vars"] && entry.labels == ["env": "prod"])
            #expect(entry.key == "snapshots/api/2026/11/26/\(id).tar.gz")
            let export = try await gbsnap(["export", "api@latest", "--output", NSTemporaryDirectory() + "gbsnap-import-\(id)", "--store", url],
                                          awsEnvironment(moto))
            defer { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "gbsnap-import-\(id)") }
            #expect(export.status == 0, "\(export.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: NSTemporaryDirectory() + "gbsnap-import-\(id)/heap.pb.gz"))
                == Data(contentsOf: URL(fileURLWithPath: Samples.path("go1.27/heap-a.pb.gz"))))
        }
    }

    @Test("config store: s3://… with an s3: block: the secret is read from its file and appears in no archive, output or log")
    func configBlock() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("config") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-config")
            defer { tmp.cleanup() }
            let secret = moto.credentials.secretAccessKey
            let secretFile = tmp.file("s3-secret", secret + "\n")
            let url = "s3://\(bucket)"
            let config = tmp.file("gbsnap.yaml", bucketConfig(store: url, moto: moto, secretFile: secretFile, fixture: fixture.baseURL, targets: ["api"]))
            let r = try await gbsnap(["capture", "api", "--config", config, "--kinds", "heap,vars"], noAWSEnvironment)
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            let entry = try #require(try await bucketStore(url, client).list().first)
            #expect(entry.id == id)

            // Every member of the archive, and everything printed, is free of the secret.
            let exported = try await gbsnap(["export", id, "--output", "\(tmp.path)/out", "--store", url], awsEnvironment(moto))
            #expect(exported.status == 0, "\(exported.stderr)")
            let members = try FileManager.default.contentsOfDirectory(atPath: "\(tmp.path)/out")
            #expect(members.contains("manifest.json") && members.contains("heap.pb.gz"), "\(members)")
            for member in members {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(tmp.path)/out/\(member)"))
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "the secret is in \(member)")
            }
            let record = try await client.getObject(bucket: bucket, key: BucketCatalog.recordKey(target: "api", id: id)).bytes
            #expect(!String(decoding: record, as: UTF8.self).contains(secret))
            #expect(!r.stdoutText.contains(secret) && !r.stderr.contains(secret))

            // A wrong secret in the file: one sentence, exit 1, nothing written, nothing staged left.
            let staged = stagingFolders()
            try "not-the-secret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
            let wrong = try await gbsnap(["capture", "api", "--config", config, "--kinds", "vars"], noAWSEnvironment)
            #expect(wrong.status == 1)
            let lines = wrong.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("signature does not match"), "\(wrong.stderr)")
            #expect(!wrong.stderr.contains("not-the-secret"))
            #expect(try await bucketStore(url, client).list().map(\.id) == [id])
            #expect(stagingFolders() == staged)
        }
    }

    @Test("two daemons on two shards into one bucket: every firing of every target is captured exactly once; a third for a shard is refused; leases released at SIGTERM")
    func twoShardsOneBucket() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("shards") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-shards")
            defer { tmp.cleanup() }
            let targets = (1...8).map { "svc-\($0)" }
            let url = "s3://\(bucket)/fleet"
            let secretFile = tmp.file("s3-secret", moto.credentials.secretAccessKey + "\n")
            let config = tmp.file("gbsnap.yaml", bucketConfig(store: url, moto: moto, secretFile: secretFile, fixture: fixture.baseURL, targets: targets))
            let daemons = try ["0/2", "1/2"].map { shard in
                try SpawnedProcess(gbsnapPath, ["run", "--config", config, "--shard", shard], environment: noAWSEnvironment)
            }
            try await waitUntilAsync("both shards' leases") {
                let keys = try await client.listAllObjects(bucket: bucket, prefix: "fleet/leases/").map(\.key)
                return Set(keys) == ["fleet/leases/daemon-shard-0-of-2.json", "fleet/leases/daemon-shard-1-of-2.json"]
            }
            // gbsnap status names the daemon of each shard from its lease.
            let status = try await gbsnap(["status", "--config", config, "--json"], noAWSEnvironment)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout)) as? [String: Any], "\(status.stderr)")
            let serving = try #require(report["daemons"] as? [[String: Any]])
            #expect(serving.compactMap { $0["shard"] as? String } == ["0/2", "1/2"])
            #expect(serving.compactMap { ($0["pid"] as? NSNumber)?.int32Value } == daemons.map(\.pid))
            #expect(serving.allSatisfy { $0["host"] as? String == ProcessInfo.processInfo.hostName })
            #expect(report["store"] as? String == url)
            let third = try await gbsnap(["run", "--config", config, "--shard", "0/2"], noAWSEnvironment)
            #expect(third.status == 1)
            #expect(third.stderr.contains("shard 0/2 of store \(url) is already served by another gbsnap daemon"), "\(third.stderr)")

            let store = try bucketStore(url, client)
            try await waitUntilAsync("two snapshots of every target") {
                let byTarget = Dictionary(grouping: try await store.list(), by: \.target)
                return targets.allSatisfy { (byTarget[$0]?.count ?? 0) >= 2 }
            }
            for daemon in daemons { daemon.signal(SIGTERM) }
            for daemon in daemons { #expect(await daemon.exitStatus() == 0, "\(daemon.stderr)") }
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "fleet/leases/").isEmpty)

            let entries = try await store.list()
            let captures = entries.map { "\($0.target)@\($0.takenAt.timeIntervalSince1970)" }
            #expect(Set(captures).count == captures.count, "a firing of a target was captured twice: \(captures.sorted())")
            #expect(Set(entries.map(\.target)) == Set(targets))
            #expect(entries.allSatisfy { $0.status == .complete })
            for daemon in daemons {
                #expect(daemon.stderr.contains("store=\(url)"), "\(daemon.stderr)")
                #expect(!daemon.stderr.contains(moto.credentials.secretAccessKey))
            }
            let verify = try await gbsnap(["verify", "--store", url], awsEnvironment(moto))
            #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
        }
    }

    @Test("the daemon's retention on a bucket: tombstones, then deletes; what is listed is exactly what is stored, and it verifies")
    func daemonRetention() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("daemon-retention") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-retention")
            defer { tmp.cleanup() }
            let url = "s3://\(bucket)"
            let secretFile = tmp.file("s3-secret", moto.credentials.secretAccessKey + "\n")
            let config = tmp.file("gbsnap.yaml", withRetention(bucketConfig(store: url, moto: moto, secretFile: secretFile, fixture: fixture.baseURL,
                                                                             targets: ["api"], cron: "* * * * * *")))
            let daemon = try SpawnedProcess(gbsnapPath, ["run", "--config", config], environment: noAWSEnvironment)
            try await waitUntilAsync("three snapshots removed by retention") {
                try await client.listAllObjects(bucket: bucket, prefix: BucketCatalog.tombstonePrefix(target: "api")).count
                    + client.listAllObjects(bucket: bucket, prefix: BucketCatalog.logPrefix(target: "api")).filter { $0.key.hasSuffix(".del.json") }.count >= 3
            }
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0, "\(daemon.stderr)")
            #expect(daemon.stderr.contains("retention run"), "\(daemon.stderr)")
            #expect(!daemon.stderr.contains("retention run failed"), "\(daemon.stderr)")

            let listed = try await bucketStore(url, client).list()
            #expect((2...3).contains(listed.count), "keep_last 2, plus at most one taken after the last run: \(listed.map(\.id))")
            let stored = try await client.listAllObjects(bucket: bucket, prefix: "snapshots/").map(\.key)
            #expect(Set(stored) == Set(listed.map(\.key)), "archives \(stored) vs listed \(listed.map(\.key))")
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "leases/").isEmpty)
            let verify = try await gbsnap(["verify", "--store", url], awsEnvironment(moto))
            #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
        }
    }

    @Test("a capture whose record is refused after its archive was stored: not listed; the next capture of the target adopts it")
    func recordLostThenAdopted() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("capture-adopt") { moto, client, bucket in
            let proxy = try FaultProxy(upstreamPort: moto.port) { _, method, target in
                method == "PUT" && target.hasSuffix(".put.json") ? .slowDown : nil
            }
            defer { proxy.stop() }
            let args = ["capture", "--url", fixture.baseURL, "--name", "api", "--kinds", "vars", "--store", "s3://\(bucket)"]
            let first = try await gbsnap(args, awsEnvironment(moto, port: proxy.port))
            #expect(first.status == 1 && first.stderr.contains("SlowDown"), "\(first.stderr)")
            let store = try bucketStore("s3://\(bucket)", client)
            #expect(try await store.list().isEmpty)
            let orphan = try #require(try await client.listAllObjects(bucket: bucket, prefix: "snapshots/").first?.key)

            let second = try await gbsnap(args, awsEnvironment(moto))
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("adopted snapshot ") && second.stderr.contains(orphan), "\(second.stderr)")
            let listed = try await store.list()
            #expect(listed.count == 2 && listed.contains { $0.key == orphan }, "\(listed)")
        }
    }

    @Test("a daemon whose lease is taken over stops writing and exits 1 with one sentence saying so")
    func leaseTakenOver() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        try await withBucket("lease-lost") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-lease")
            defer { tmp.cleanup() }
            let url = "s3://\(bucket)"
            let secretFile = tmp.file("s3-secret", moto.credentials.secretAccessKey + "\n")
            let config = tmp.file("gbsnap.yaml", bucketConfig(store: url, moto: moto, secretFile: secretFile, fixture: fixture.baseURL, targets: ["api"],
                                                              cron: "* * * * * *"))
            let daemon = try SpawnedProcess(gbsnapPath, ["run", "--config", config, "--lease-ttl", "3s"], environment: noAWSEnvironment)
            let store = try bucketStore(url, client)
            try await waitUntilAsync("a first snapshot") { try await !store.list().isEmpty }
            // Another holder's lease replaces this daemon's, as a takeover after a stall would.
            _ = try await client.putObject(bucket: bucket, key: "leases/daemon.json",
                                           bytes: Array(#"{"holder":"someone-else","host":"elsewhere","pid":1}"#.utf8), contentType: "application/json")
            #expect(await daemon.exitStatus() == 1)
            #expect(daemon.stderr.contains("was taken over"), "\(daemon.stderr)")
            let after = try await store.list().count
            try await Task.sleep(for: .seconds(2))
            #expect(try await store.list().count == after, "the daemon wrote after it lost its lease")
        }
    }
}

extension BucketCaptureTests {
    @Test("figures: gbsnap capture into a bucket vs into a local store, and boto3 uploading the same archives (printed; docs/benchmarks.md)")
    func captureFigures() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        _ = try await Subprocess.run("/usr/bin/curl", ["-sf", "\(fixture.baseURL)/spawn?n=20000"])
        try await withBucket("capture-figures") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-capture-figures")
            defer { tmp.cleanup() }
            let rounds = 20
            let args = ["capture", "--url", fixture.baseURL, "--name", "api", "--kinds", "heap,goroutine,stacks,vars"]
            func timed(_ store: String) async throws -> [Double] {
                var seconds: [Double] = []
                for _ in 0..<rounds {
                    let t0 = Date()
                    let r = try await gbsnap(args + ["--store", store], awsEnvironment(moto))
                    seconds.append(Date().timeIntervalSince(t0))
                    try #require(r.status == 0, "\(r.stderr)")
                }
                return seconds.sorted()
            }
            let local = try await timed("\(tmp.path)/local")
            let remote = try await timed("s3://\(bucket)")
            let entries = try await bucketStore("s3://\(bucket)", client).list()
            #expect(entries.count == rounds)
            let bytes = entries.map(\.bytes).reduce(0, +)

            // The reference: boto3 (AWS's SDK for Python) uploading the same archives, one process, one after the other.
            let archives = try SnapshotStore(root: "\(tmp.path)/local", create: false).list().map { "\(tmp.path)/local/\($0.key)" }
            let script = tmp.file("upload.py", """
                import boto3, sys, time
                s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
                t0 = time.time()
                for i, path in enumerate(sys.argv[3:]):
                    s3.upload_file(path, sys.argv[2], f"boto3/{i}.tar.gz")
                print(f"{time.time() - t0:.3f}")

                """)
            let boto = try await Subprocess.run("/usr/bin/env", ["python3", script, "http://127.0.0.1:\(moto.port)", bucket] + archives,
                                                environment: awsEnvironment(moto))
            try #require(boto.status == 0, "\(boto.stderr)")
            let botoSeconds = Double(boto.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
            func median(_ s: [Double]) -> String { String(format: "%.3f", s[s.count / 2]) }
            let mib = Double(bytes) / Double(rounds) / 1_048_576
            print("""
                bucket capture figures (\(binaryUnderTest); \(rounds) sequential gbsnap capture processes, heap+goroutine+stacks+vars of 20,000 goroutines, \
                \(String(format: "%.2f", mib)) MiB per archive): local store median \(median(local)) s, bucket median \(median(remote)) s \
                (upload and record \(String(format: "%.3f", remote[rounds / 2] - local[rounds / 2])) s more); \
                boto3 upload_file of the same \(rounds) archives \(String(format: "%.3f", botoSeconds / Double(rounds))) s each
                """)
        }
    }
}

/// ``waitUntil(_:timeout:_:)`` for an async condition (a bucket listing).
private func waitUntilAsync(_ what: String, timeout: Double = 120, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try await !condition() {
        guard Date() < deadline else { throw WaitTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(250))
    }
}
