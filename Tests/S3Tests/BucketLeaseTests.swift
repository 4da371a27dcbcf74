import BucketStore
import Foundation
import GBSnapCore
import GBSnapTestSupport
import S3
import Testing

/// A store in a fresh bucket of moto, under prefix `l`, shut down after `body`.
private func withLeaseStore(_ label: String, _ body: (S3Client, String, BucketStore) async throws -> Void) async throws {
    let moto = try await MotoServer.shared.value
    let client = try S3Client(configuration: moto.configuration())
    let bucket = uniqueBucket(label)
    do {
        try await client.createBucket(bucket)
        try await body(client, bucket, BucketStore(location: S3Location(bucket: bucket, prefix: "l"), client: client))
    } catch {
        Issue.record("\(error)")
    }
    await client.shutdown()
}

/// Waits, by the S3 server's clock (its `Date` header), until `date` has passed.
private func waitForServer(after date: Date, _ client: S3Client, _ bucket: String) async throws {
    while try await client.serverDate(bucket: bucket) <= date {
        try await Task.sleep(for: .milliseconds(200))
    }
}

@Suite("Bucket leases against moto", .serialized)
struct BucketLeaseTests {
    @Test("acquire writes leases/<name>.json; a second acquire is refused with one sentence naming the holder; release deletes it")
    func acquireAndRefuse() async throws {
        try await withLeaseStore("lease") { client, bucket, store in
            let lease = try await BucketLease.acquire(store, name: "daemon", purpose: "daemon", ttl: .seconds(60))
            let object = try await client.getObject(bucket: bucket, key: "l/leases/daemon.json")
            let stored = try #require(LeaseRecord(json: object.bytes))
            #expect(stored == lease.record)
            #expect(stored.pid == ProcessInfo.processInfo.processIdentifier && stored.purpose == "daemon")
            #expect(stored.host == ProcessInfo.processInfo.hostName)
            #expect(stored.expiresAt.timeIntervalSince(stored.acquiredAt) == 60)
            // The times are the server's: within a few seconds of its Date header.
            #expect(abs(stored.acquiredAt.timeIntervalSince(try #require(object.serverDate))) < 5)
            #expect(lease.previous == nil)

            do {
                _ = try await BucketLease.acquire(store, name: "daemon", purpose: "daemon", ttl: .seconds(60))
                Issue.record("a live lease was acquired twice")
            } catch let held as LeaseHeld {
                #expect(held.record == stored)
                #expect(held.description == "lease daemon (daemon) of s3://\(bucket)/l is held by \(stored.host) pid \(stored.pid) until \(LeaseRecord.format(stored.expiresAt)); wait for that process to finish (or for the lease to expire) and try again")
                #expect(!held.description.contains("\n"))
            }
            // Another name is another lease.
            let other = try await BucketLease.acquire(store, name: "daemon-shard-0-of-2", purpose: "daemon", ttl: .seconds(60))

            try await lease.renew()
            #expect(LeaseRecord(json: try await client.getObject(bucket: bucket, key: "l/leases/daemon.json").bytes) == lease.record)
            #expect(try await lease.release())
            #expect(try await client.headObject(bucket: bucket, key: "l/leases/daemon.json") == nil)
            #expect(try await lease.release() == false)
            // Free again.
            let again = try await BucketLease.acquire(store, name: "daemon", purpose: "daemon", ttl: .seconds(60))
            #expect(again.record.holder != lease.record.holder)
            #expect(try await again.release())
            #expect(try await other.release())
        }
    }

    @Test("an expired lease is taken over (by the server's clock); the old holder's renew throws BucketLeaseLost and its release deletes nothing")
    func takeover() async throws {
        try await withLeaseStore("takeover") { client, bucket, store in
            let first = try await BucketLease.acquire(store, name: "prune-api", purpose: "prune", ttl: .seconds(2), body: ["intent": "a\nb"])
            try await waitForServer(after: first.record.expiresAt, client, bucket)
            let second = try await BucketLease.acquire(store, name: "prune-api", purpose: "prune", ttl: .seconds(60))
            #expect(second.previous == first.record)
            #expect(second.previous?.extra["intent"] == "a\nb")
            #expect(second.record.extra.isEmpty)
            do {
                try await first.renew()
                Issue.record("a renew after a takeover succeeded")
            } catch let lost as BucketLeaseLost {
                #expect(lost.current == second.record)
                #expect(lost.description == "lease prune-api of s3://\(bucket)/l was lost: it expired before it was renewed and is now held by \(second.record.host) pid \(second.record.pid); stop writing and start again")
            }
            #expect(try await first.release() == false)
            #expect(LeaseRecord(json: try await client.getObject(bucket: bucket, key: "l/leases/prune-api.json").bytes) == second.record)
            // The new holder renews with new extra fields.
            try await second.renew(extra: ["intent": "c"])
            #expect(LeaseRecord(json: try await client.getObject(bucket: bucket, key: "l/leases/prune-api.json").bytes)?.extra == ["intent": "c"])
            #expect(try await second.release())
        }
    }

    @Test("two contenders for one expired lease: exactly one wins, the other is told who holds it")
    func race() async throws {
        try await withLeaseStore("race") { client, bucket, store in
            // The If-Match takeover itself: two PUTs conditional on the same ETag, one 412.
            let key = "l/leases/raw.json"
            let etag = try #require(try await client.putObject(bucket: bucket, key: key, bytes: Array("{}".utf8)).etag)
            let results = try await withThrowingTaskGroup(of: S3WriteResult.self) { group in
                for body in ["a", "b"] {
                    group.addTask { try await client.putObject(bucket: bucket, key: key, bytes: Array(body.utf8), condition: .ifMatch(etag)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 == .preconditionFailed }.count == 1, "\(results)")

            // Through acquire, five rounds: every round an expired lease and two contenders at once.
            for round in 0..<5 {
                let dead = try await BucketLease.acquire(store, name: "daemon", purpose: "daemon", ttl: .seconds(1))
                try await waitForServer(after: dead.record.expiresAt, client, bucket)
                let outcomes = await withTaskGroup(of: Result<BucketLease, any Error>.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            do { return .success(try await BucketLease.acquire(store, name: "daemon", purpose: "daemon", ttl: .seconds(60))) } catch {
                                return .failure(error)
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let winners = outcomes.compactMap { try? $0.get() }
                let losers = outcomes.compactMap { if case .failure(let e) = $0 { e } else { nil } }
                #expect(winners.count == 1 && losers.count == 1, "round \(round): \(outcomes)")
                let winner = try #require(winners.first)
                #expect((losers.first as? LeaseHeld)?.record == winner.record, "round \(round): \(losers)")
                #expect(winner.previous == dead.record)
                #expect(LeaseRecord(json: try await client.getObject(bucket: bucket, key: "l/leases/daemon.json").bytes) == winner.record)
                #expect(try await winner.release())
            }
        }
    }

    @Test("a lease object that is not a lease (damaged) counts as expired and is taken over")
    func damagedLease() async throws {
        try await withLeaseStore("damaged") { client, bucket, store in
            _ = try await client.putObject(bucket: bucket, key: "l/leases/daemon.json", bytes: Array("not json".utf8))
            let lease = try await BucketLease.acquire(store, name: "daemon", purpose: "daemon", ttl: .seconds(60))
            #expect(lease.previous == nil)
            #expect(LeaseRecord(json: try await client.getObject(bucket: bucket, key: "l/leases/daemon.json").bytes) == lease.record)
            #expect(try await lease.release())
        }
    }
}
