import BucketStore
import Foundation
import GBSnapCore
import GBSnapTestSupport
import Retention
import S3
import SnapshotStore
import Testing

/// `value` parsed as JSON with `applied.compacted_targets` dropped (a local store compacts its shard by another rule).
private func withoutCompaction(_ bytes: [UInt8]) throws -> NSDictionary {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    var copy = object
    if var applied = copy["applied"] as? [String: Any] {
        applied["compacted_targets"] = nil
        copy["applied"] = applied
    }
    return copy as NSDictionary
}

/// The sample store copied to a bucket at `url` and to a second local store `twin`; returns the ids.
private func samplesInBoth(local: String, twin: String, url: String, _ env: [String: String]) async throws -> [String] {
    let ids = try await sampleStore(local)
    let up = try await gbsnap(["copy", "--from", local, "--to", url], env)
    try #require(up.status == 0, "\(up.stderr)")
    let side = try await gbsnap(["copy", "--from", local, "--to", twin], [:])
    try #require(side.status == 0, "\(side.stderr)")
    return ids
}

@Suite("prune, rm, reindex and adoption on a bucket against moto", .serialized)
struct BucketPruneMotoTests {
    @Test("prune --dry-run and prune on a bucket: the same plan, text, JSON and removals as on a local store of the same snapshots; a pin protects")
    func pruneLikeLocal() async throws {
        try await withBucket("prune") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-prune")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", twin = "\(tmp.path)/twin", url = "s3://\(bucket)/p"
            let env = awsEnvironment(moto)
            let ids = try await samplesInBoth(local: local, twin: twin, url: url, env)
            for store in [local, url] {
                let pinned = try await gbsnap(["pin", ids[0], "--note", "keep me", "--store", store], env)
                #expect(pinned.status == 0, "\(pinned.stderr)")
            }
            let rule = ["--keep-last", "1", "--now", "2026-12-01T00:00:00Z"]
            for args in [["--dry-run"], ["--dry-run", "--json"]] {
                let onDisk = try await gbsnap(["prune"] + rule + args + ["--store", local], [:])
                let inBucket = try await gbsnap(["prune"] + rule + args + ["--store", url], env)
                #expect(onDisk.status == 0 && inBucket.status == 0, "\(args): \(inBucket.stderr)")
                #expect(inBucket.stdoutText == onDisk.stdoutText, "\(args)")
                #expect(inBucket.stderr == onDisk.stderr, "\(args)")
            }
            // Nothing changed by the dry runs.
            #expect(try await BucketStore(location: S3Location(bucket: bucket, prefix: "p"), client: client).allEntries().count == 5)

            let onDisk = try await gbsnap(["prune"] + rule + ["--store", local], [:])
            let inBucket = try await gbsnap(["prune"] + rule + ["--store", url], env)
            #expect(onDisk.status == 0 && inBucket.status == 0, "\(inBucket.stderr)")
            #expect(inBucket.stdoutText == onDisk.stdoutText)
            #expect(inBucket.stdoutText.contains("removed 2 snapshots, freed "), "\(inBucket.stdoutText)")
            #expect(inBucket.stderr.isEmpty, "\(inBucket.stderr)")  // no progress line: stderr is not a terminal
            let listedLocal = try await gbsnap(["list", "--json", "--store", local], [:]).stdoutText
            let listedBucket = try await gbsnap(["list", "--json", "--store", url], env).stdoutText
            #expect(listedBucket == listedLocal)
            let kept = try JSONDecoder().decode([CatalogEntry].self, from: Data(listedBucket.utf8)).map(\.id)
            #expect(kept == [ids[0], ids[4], ids[2]])  // oldest first; ids[0] pinned
            // The removed archives are gone from the bucket, their tombstones under del/, no lease left.
            let keys = Set(try await client.listAllObjects(bucket: bucket, prefix: "p/").map(\.key))
            for id in [ids[1], ids[3]] {
                #expect(!keys.contains { $0.hasSuffix("\(id).tar.gz") }, "\(id)")
                #expect(keys.contains { $0.hasSuffix("/del/\(id).json") }, "\(id)")
            }
            #expect(!keys.contains { $0.contains("/leases/") })

            // Once more with --json, the pin gone: the same result as on disk (compaction aside).
            let rule2 = ["--keep-last", "1", "--now", "2026-12-01T00:00:00Z", "--json"]
            _ = try await gbsnap(["unpin", ids[0], "--store", local], [:])
            _ = try await gbsnap(["unpin", ids[0], "--store", url], env)
            let localJSON = try await gbsnap(["prune"] + rule2 + ["--store", local], [:])
            let bucketJSON = try await gbsnap(["prune"] + rule2 + ["--store", url], env)
            #expect(bucketJSON.status == 0, "\(bucketJSON.stderr)")
            #expect(try withoutCompaction(bucketJSON.stdout) == withoutCompaction(localJSON.stdout), "\(bucketJSON.stdoutText) vs \(localJSON.stdoutText)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(bucketJSON.stdout)) as? [String: Any])
            #expect((result["applied"] as? [String: Any])?["removed_ids"] as? [String] == [ids[0]])
            #expect(try await gbsnap(["list", "--json", "--store", url], env).stdoutText == (try await gbsnap(["list", "--json", "--store", local], [:])).stdoutText)
        }
    }

    @Test("prune and rm on a bucket on a terminal: a progress line on stderr, erased before the summary")
    func progressOnTerminal() async throws {
        try await withBucket("prune-tty") { moto, _, bucket in
            let tmp = TemporaryDirectory("bucket-prune-tty")
            defer { tmp.cleanup() }
            let ids = try await sampleStore("\(tmp.path)/local")
            #expect(try await gbsnap(["copy", "--from", "\(tmp.path)/local", "--to", "s3://\(bucket)"], awsEnvironment(moto)).status == 0)
            var env = awsEnvironment(moto)
            env["TERM"] = "xterm"
            let erase = "\r\u{1B}[2K"
            for (args, label, count, summary) in [("prune --keep-last 1", "gbsnap prune: removing", 3, "removed 3 snapshots"),
                                                  ("rm \(ids[2]) \(ids[4])", "gbsnap rm: removing", 2, "removed 2 snapshot(s)")] {
                let command = "stty cols 200 rows 50; '\(gbsnapPath)' \(args) --store s3://\(bucket); echo \"[exit $?]\""
                let shown = try await Subprocess.run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: env).stdoutText
                #expect(shown.contains("\(label) 0/\(count) (0%) "), "\(shown)")
                #expect(shown.contains("\(label) \(count)/\(count) (100%)"), "\(shown)")
                #expect(shown.contains(erase), "\(shown)")
                #expect(shown.contains(summary), "\(shown)")
                #expect(shown.contains("[exit 0]"), "\(shown)")
            }
        }
    }

    @Test("a pin made after the plan wins: the snapshot is skipped and reported; a stale plan never empties a target")
    func pinAfterPlan() async throws {
        try await withBucket("prune-pin") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-prune-pin")
            defer { tmp.cleanup() }
            let ids = try await sampleStore("\(tmp.path)/local")
            #expect(try await gbsnap(["copy", "--from", "\(tmp.path)/local", "--to", "s3://\(bucket)"], awsEnvironment(moto)).status == 0)
            let store = BucketStore(location: S3Location(bucket: bucket), client: client)
            let policy = RetentionPolicy(rules: [RetentionRule(keepLast: 1)])
            let plan = try await store.planPrune(policy: policy, now: Date(timeIntervalSince1970: 1_796_083_200))
            #expect(Set(plan.removeIDs) == [ids[0], ids[1], ids[3]])
            try await store.pin(ids[1], note: "incident")
            let result = try await store.applyPrune(plan)
            #expect(result.removedIDs == plan.removeIDs.filter { $0 != ids[1] })
            #expect(result.skipped == [PruneSkip(id: ids[1], reason: "it was pinned after the plan was made")])
            #expect(try await store.allEntries().map(\.id).sorted() == [ids[1], ids[2], ids[4]].sorted())
            // The same plan again: everything it removes is gone (skipped), nothing else is touched.
            let again = try await store.applyPrune(plan)
            #expect(again.removedIDs.isEmpty && again.skipped.count == 3)
            #expect(Set(again.skipped.filter { $0.id != ids[1] }.map(\.reason)) == ["it is no longer in the catalog"])
            // A plan that would now remove a target's last snapshot is refused whole.
            try await store.unpin(ids[1])
            let stale = try await store.planPrune(policy: policy, now: Date(timeIntervalSince1970: 1_796_083_200))
            #expect(stale.removeIDs == [ids[1]])
            _ = try await client.putObject(bucket: bucket, key: BucketCatalog.tombstoneKey(target: "order-api", id: ids[2]), bytes: [])
            await #expect(throws: RetentionError.wouldRemoveAllSnapshots(target: "order-api")) { try await store.applyPrune(stale) }
            #expect(try await store.entries(target: "order-api").map(\.id) == [ids[1]])
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "leases/").isEmpty)
        }
    }

    @Test("a prune that died between its tombstones and its deletes (an expired lease with an intent) is finished by the next prune; a live one refuses with one sentence")
    func interruptedPrune() async throws {
        try await withBucket("prune-dead") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-prune-dead")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", url = "s3://\(bucket)"
            let env = awsEnvironment(moto)
            let ids = try await sampleStore(local)
            #expect(try await gbsnap(["copy", "--from", local, "--to", url], env).status == 0)
            let store = BucketStore(location: S3Location(bucket: bucket), client: client)
            let entries = try await store.entries(target: "order-api")
            let now = try await client.serverDate(bucket: bucket)
            // A holder that lives on: prune and rm of order-api are refused, nothing is changed.
            let live = LeaseRecord(holder: "other:7:1", host: "other-host", pid: 7, purpose: "prune", acquiredAt: now, expiresAt: now.addingTimeInterval(600),
                                   extra: ["intent": entries[0].key])
            _ = try await client.putObject(bucket: bucket, key: "leases/prune-order-api.json", bytes: live.json())
            let before = try await client.listAllObjects(bucket: bucket).map(\.key)
            for args in [["prune", "--keep-last", "1"], ["rm", ids[1]]] {
                let refused = try await gbsnap(args + ["--store", url], env)
                #expect(refused.status == 1, "\(args)")
                #expect(refused.stderr == "gbsnap: lease prune-order-api (prune) of \(url) is held by other-host pid 7 until \(LeaseRecord.format(live.expiresAt)); wait for that process to finish (or for the lease to expire) and try again\n", "\(args)")
                #expect(try await client.listAllObjects(bucket: bucket).map(\.key) == before)
            }
            // Adoption and reindex leave the archive a prune is removing alone.
            _ = try await client.putObject(bucket: bucket, key: BucketCatalog.tombstoneKey(target: "order-api", id: ids[0]), bytes: [])
            #expect(try await store.adoptUnrecorded().isEmpty)

            // The holder died after the tombstone of the first of its two snapshots: its lease expired.
            let dead = LeaseRecord(holder: "other:7:1", host: "other-host", pid: 7, purpose: "prune", acquiredAt: now.addingTimeInterval(-600),
                                   expiresAt: now.addingTimeInterval(-300), extra: ["intent": [entries[0].key, entries[1].key, "../../etc/passwd"].joined(separator: "\n")])
            _ = try await client.putObject(bucket: bucket, key: "leases/prune-order-api.json", bytes: dead.json())
            #expect(try await store.entries(target: "order-api").map(\.id) == [ids[1], ids[2]])
            // The next prune (which removes nothing itself) finishes it: both tombstoned, both archives gone, the lease gone.
            let next = try await gbsnap(["prune", "--keep-last", "5", "--store", url], env)
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stdoutText.hasSuffix("removed 0 snapshots, freed 0\n"), "\(next.stdoutText)")
            #expect(try await store.entries(target: "order-api").map(\.id) == [ids[2]])
            for e in entries.prefix(2) { #expect(try await client.headObject(bucket: bucket, key: e.key) == nil, "\(e.id)") }
            #expect(try await client.headObject(bucket: bucket, key: entries[2].key) != nil)
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "leases/").isEmpty)
            #expect(try await gbsnap(["verify", "--store", url], env).stdoutText == "verified 3 snapshot(s): all good\n")
        }
    }

    @Test("rm on a bucket: the same output as on disk; a pinned snapshot refused without --force, removed with its pin with it; bad selectors one sentence")
    func removeOnBucket() async throws {
        try await withBucket("rm") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-rm")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", twin = "\(tmp.path)/twin", url = "s3://\(bucket)/r"
            let env = awsEnvironment(moto)
            let ids = try await samplesInBoth(local: local, twin: twin, url: url, env)
            for args in [["rm", ids[1]], ["rm", "payment@latest", "--json"]] {
                let onDisk = try await gbsnap(args + ["--store", twin], [:])
                let inBucket = try await gbsnap(args + ["--store", url], env)
                #expect(onDisk.status == 0 && inBucket.status == 0, "\(args): \(inBucket.stderr)")
                #expect(inBucket.stdoutText == onDisk.stdoutText, "\(args)")
            }
            #expect(try await gbsnap(["list", "--json", "--store", url], env).stdoutText == (try await gbsnap(["list", "--json", "--store", twin], [:])).stdoutText)
            let keys = try await client.listAllObjects(bucket: bucket, prefix: "r/").map(\.key)
            #expect(!keys.contains { $0.hasSuffix("\(ids[1]).tar.gz") || $0.hasSuffix("\(ids[4]).tar.gz") })

            for store in [twin, url] { _ = try await gbsnap(["pin", ids[0], "--note", "incident 4711", "--store", store], env) }
            let before = try await client.listAllObjects(bucket: bucket, prefix: "r/").map(\.key)
            // Refusals: the sentences of a local store, exit 1.
            for args in [["rm", ids[0]], ["rm", ids[2], "order-apy@latest"], ["rm", ids[1]]] {
                let onDisk = try await gbsnap(args + ["--store", twin], [:])
                let r = try await gbsnap(args + ["--store", url], env)
                #expect(r.status == 1 && onDisk.status == 1, "\(args): \(r.stderr)")
                #expect(r.stderr == onDisk.stderr, "\(args)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            }
            let pinnedRefusal = try await gbsnap(["rm", ids[0], "--store", url], env)
            #expect(pinnedRefusal.stderr == "gbsnap: snapshot \(ids[0]) is pinned (\"incident 4711\"); unpin it first or use --force; nothing was removed\n")
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "r/").map(\.key) == before)
            let onDisk = try await gbsnap(["rm", ids[0], "--force", "--store", twin], [:])
            let forced = try await gbsnap(["rm", ids[0], "--force", "--store", url], env)
            #expect(forced.status == 0 && forced.stdoutText == onDisk.stdoutText, "\(forced.stderr)")
            #expect(forced.stdoutText.hasPrefix("removed \(ids[0]) (was pinned)\n"))
            #expect(try await client.headObject(bucket: bucket, key: "r/pins/\(ids[0]).json") == nil)
        }
    }

    @Test("reindex on a bucket after its catalog objects were deleted: the same list --json; a damaged archive is a BAD line saying how to remove it, exit 1")
    func reindexOnBucket() async throws {
        try await withBucket("reindex") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-reindex")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local", url = "s3://\(bucket)/x"
            let env = awsEnvironment(moto)
            let ids = try await sampleStore(local)
            #expect(try await gbsnap(["copy", "--from", local, "--to", url], env).status == 0)
            let store = BucketStore(location: S3Location(bucket: bucket, prefix: "x"), client: client)
            #expect(try await store.compact(target: "order-api") == .compacted(entries: 3, folded: 3))
            let listed = try await gbsnap(["list", "--json", "--store", url], env).stdoutText

            // Healthy: the same catalog, now all in bases, the logs cleared.
            let first = try await gbsnap(["reindex", "--store", url], env)
            #expect(first.status == 0 && first.stdoutText == "reindexed 5 snapshot(s) of 2 target(s)\n", "\(first.stderr)")
            #expect(try await gbsnap(["list", "--json", "--store", url], env).stdoutText == listed)
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "x/catalog/payment/log/").isEmpty)

            // Every catalog object gone: rebuilt from the archives alone.
            for object in try await client.listAllObjects(bucket: bucket, prefix: "x/catalog/") {
                try await client.deleteObject(bucket: bucket, key: object.key)
            }
            #expect(try await gbsnap(["list", "--json", "--store", url], env).stdoutText == "[\n\n]\n")
            let rebuilt = try await gbsnap(["reindex", "--json", "--store", url], env)
            #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
            let report = try JSONDecoder().decode(BucketReindexReport.self, from: Data(rebuilt.stdout))
            #expect(report.snapshots == 5 && report.targets == 2 && report.isComplete)
            #expect(try await gbsnap(["list", "--json", "--store", url], env).stdoutText == listed)

            // A damaged archive at a snapshot's place, and a removed snapshot (its tombstone) whose archive is still there.
            let damagedKey = "snapshots/order-api/2026/11/30/20261130T020000Z-order-api-zzzz.tar.gz"
            _ = try await client.putObject(bucket: bucket, key: "x/\(damagedKey)", bytes: Array("not an archive".utf8))
            let removed = try #require(try await store.entries(target: "payment").first)
            _ = try await client.putObject(bucket: bucket, key: "x/" + BucketCatalog.tombstoneKey(target: "payment", id: removed.id), bytes: [])
            let bad = try await gbsnap(["reindex", "--store", url], env)
            #expect(bad.status == 1)
            let lines = bad.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines.last == "reindexed 4 snapshot(s) of 2 target(s); left out 1 damaged archive(s)", "\(bad.stdoutText)")
            #expect(lines.count == 2)
            #expect(lines.contains { $0.hasPrefix("BAD  archive s3://\(bucket)/x/\(damagedKey) is damaged") && $0.contains("aws s3 rm s3://\(bucket)/x/\(damagedKey)") }, "\(bad.stdoutText)")
            // The removal is finished: the archive deleted, so no later reindex brings the snapshot back.
            #expect(try await client.headObject(bucket: bucket, key: "x/\(removed.key)") == nil)
            #expect(try await store.entries(target: "payment").map(\.id) == [ids[4]])
            #expect(try await store.entries(target: "order-api").map(\.id) == Array(ids.prefix(3)))
            #expect(try await client.headObject(bucket: bucket, key: "x/\(damagedKey)") != nil)  // left in place
        }
    }

    @Test("adoption: an archive without a record (a writer died in between) gets its record from its manifest; debris is reported, not adopted")
    func adoption() async throws {
        try await withBucket("adopt") { moto, client, bucket in
            let tmp = TemporaryDirectory("bucket-adopt")
            defer { tmp.cleanup() }
            let local = "\(tmp.path)/local"
            let ids = try await sampleStore(local)
            let localStore = try SnapshotStore(root: local, create: false)
            let all = try localStore.list()
            let store = BucketStore(location: S3Location(bucket: bucket, prefix: "a"), client: client)
            let orphan = try #require(all.first { $0.id == ids[4] })
            for e in all where e.id != orphan.id { try await store.put(archiveAt: localStore.path(forKey: e.key), entry: e) }
            #expect(try await store.adoptUnrecorded().isEmpty)
            // The newest payment snapshot's archive uploaded, its record never written.
            _ = try await client.uploadFile(bucket: bucket, key: "a/\(orphan.key)", path: localStore.path(forKey: orphan.key))
            let debris = "snapshots/payment/2026/11/30/20261130T020000Z-payment-zzzz.tar.gz"
            _ = try await client.putObject(bucket: bucket, key: "a/\(debris)", bytes: Array("partial".utf8))
            let empty = "snapshots/payment/2026/11/30/20261130T030000Z-payment-zzzz.tar.gz"
            _ = try await client.putObject(bucket: bucket, key: "a/\(empty)", bytes: [])
            #expect(try await store.entries(target: "payment").map(\.id) == [ids[3]])
            let adopted = try await store.adoptUnrecorded(targets: ["payment"])
            #expect(adopted.count == 3)
            #expect(adopted.first { $0.key == empty }?.problem == "archive s3://\(bucket)/a/\(empty) has no catalog record and cannot be read (archive s3://\(bucket)/a/\(empty) is empty: it has no manifest.json); left out (see `gbsnap verify`)")
            #expect(adopted.first { $0.key == orphan.key }?.entry == orphan)
            let bad = try #require(adopted.first { $0.key == debris })
            #expect(bad.entry == nil)
            #expect(bad.problem?.hasPrefix("archive s3://\(bucket)/a/\(debris) has no catalog record and cannot be read") == true, "\(bad.problem ?? "")")
            #expect(try await store.entries(target: "payment") == all.filter { $0.target == "payment" })
            // The listing through gbsnap agrees with the local store's (the debris aside, which verify reports).
            #expect(try await gbsnap(["list", "--json", "--store", "s3://\(bucket)/a"], awsEnvironment(moto)).stdoutText
                == (try await gbsnap(["list", "--json", "--store", local], [:])).stdoutText)
            // Adopted once: the next call finds only the debris again.
            #expect(try await store.adoptUnrecorded().map(\.key) == [debris, empty])
        }
    }

    @Test("bad input on a bucket: prune on a missing bucket, reindex with wrong credentials: one sentence, exit 1, nothing written")
    func badInputs() async throws {
        try await withBucket("prune-bad") { moto, client, bucket in
            let env = awsEnvironment(moto)
            let missing = try await gbsnap(["prune", "--keep-last", "1", "--store", "s3://gbsnap-no-such-bucket"], env)
            #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1)
            #expect(missing.stderr.contains(#"bucket "gbsnap-no-such-bucket" does not exist at this endpoint"#), "\(missing.stderr)")
            let wrong = try await gbsnap(["reindex", "--store", "s3://\(bucket)"], awsEnvironment(moto, secret: "wrong"))
            #expect(wrong.status == 1 && wrong.stderr.split(separator: "\n").count == 1)
            #expect(wrong.stderr.contains("the signature does not match"), "\(wrong.stderr)")
            let rm = try await gbsnap(["rm", "order-api@latest", "--store", "s3://\(bucket)"], env)
            #expect(rm.status == 1 && rm.stderr.split(separator: "\n").count == 1, "\(rm.stderr)")
            #expect(try await client.listAllObjects(bucket: bucket).isEmpty)
        }
    }
}
