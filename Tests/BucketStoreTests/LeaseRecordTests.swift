import BucketStore
import Foundation
import Testing

@Suite("Lease records: the JSON of leases/<name>.json (no server)")
struct LeaseRecordTests {
    @Test("compact JSON with sorted keys, times in UTC with milliseconds, extra fields at the top level; parsed back equal")
    func roundTrip() throws {
        let record = LeaseRecord(holder: "host-a:42:9f", host: "host-a", pid: 42, purpose: "prune",
                                 acquiredAt: Date(timeIntervalSince1970: 1_796_000_000.25), expiresAt: Date(timeIntervalSince1970: 1_796_000_300.25),
                                 extra: ["intent": "snapshots/api/2026/11/30/x.tar.gz"])
        let text = String(decoding: record.json(), as: UTF8.self)
        #expect(text == #"{"acquired_at":"2026-11-30T00:53:20.250Z","expires_at":"2026-11-30T00:58:20.250Z","holder":"host-a:42:9f","host":"host-a","intent":"snapshots/api/2026/11/30/x.tar.gz","pid":42,"purpose":"prune"}"# + "\n")
        #expect(LeaseRecord(json: record.json()) == record)
    }

    @Test("not a lease: nil (a holder treats it as expired and takes the object over)")
    func notALease() {
        for text in ["", "{}", "[1]", #"{"holder":"h","host":"h","pid":"x","purpose":"p","acquired_at":"2026-12-01T00:00:00Z","expires_at":"2026-12-01T00:00:00Z"}"#,
                     #"{"holder":"h","host":"h","pid":1,"purpose":"p","acquired_at":"yesterday","expires_at":"2026-12-01T00:00:00Z"}"#,
                     #"{"holder":"h","host":"h","pid":1,"purpose":"p","acquired_at":"2026-12-01T00:00:00Z","expires_at":"2026-12-01T00:00:00Z","intent":[1]}"#] {
            #expect(LeaseRecord(json: Array(text.utf8)) == nil, "\(text)")
        }
    }

    @Test("lease names: the characters of target names only")
    func names() {
        #expect(BucketLease.isValidName("daemon-shard-0-of-2"))
        #expect(BucketLease.isValidName("prune-order_api.v2"))
        #expect(!BucketLease.isValidName(""))
        #expect(!BucketLease.isValidName("a/b"))
        #expect(!BucketLease.isValidName("../x"))
        #expect(BucketLease.key(name: "daemon") == "leases/daemon.json")
    }
}
