import Testing
@testable import Scheduling

@Suite("shards: N daemons split the targets by a stable hash of their names")
struct ShardTests {
    static let names = (1...5_000).map { "svc-\($0)" }

    @Test("every target belongs to exactly one of N shards, for N from 1 to 7, and the shares are even")
    func partition() {
        for count in 1...7 {
            let shards = (0..<count).map { Shard(index: $0, count: count)! }
            var sizes = Array(repeating: 0, count: count)
            for name in Self.names {
                let owners = shards.filter { $0.owns(name) }
                #expect(owners.count == 1, "\(name) with \(count) shards")
                if let owner = owners.first { sizes[owner.index] += 1 }
            }
            let fair = Double(Self.names.count) / Double(count)
            #expect(sizes.allSatisfy { abs(Double($0) - fair) < fair * 0.1 }, "\(count) shards: \(sizes)")
        }
    }

    @Test("the split depends on the names alone: the same in every process, and unchanged by the order of targets")
    func stable() {
        let shard = Shard(index: 1, count: 3)!
        let owned = Self.names.filter(shard.owns)
        #expect(Self.names.reversed().filter(shard.owns) == owned.reversed())
        // Pinned values: a change of the hash would move targets between running daemons.
        #expect(["order-api", "payment", "etcd", "prometheus"].map { name in (0..<3).first { Shard(index: $0, count: 3)!.owns(name) }! }
                == [Self.pinned["order-api"]!, Self.pinned["payment"]!, Self.pinned["etcd"]!, Self.pinned["prometheus"]!])
    }

    static let pinned: [String: Int] = ["order-api": 0, "payment": 1, "etcd": 2, "prometheus": 1]

    @Test("the daemon lock name of a shard reads back as that shard; other names and a count of 1 are no shard")
    func lockNames() {
        let shard = Shard(index: 2, count: 5)!
        #expect(Shard.daemonLockName(shard) == "daemon-shard-2-of-5.lock")
        #expect(Shard(daemonLockName: Shard.daemonLockName(shard)) == shard)
        #expect(Shard.daemonLockName(nil) == "daemon.lock")
        #expect(Shard.daemonLockName(Shard(index: 0, count: 1)) == "daemon.lock")
        for name in ["daemon.lock", "daemon-shard-5-of-5.lock", "daemon-shard-a-of-2.lock", "daemon-shard-0-of-1.lock", "x.lock"] {
            #expect(Shard(daemonLockName: name) == nil, "\(name)")
        }
    }

    @Test("INDEX/COUNT parses; anything else says what is wrong")
    func parsing() throws {
        #expect(try Shard.parse("0/3").get() == Shard(index: 0, count: 3))
        #expect(try Shard.parse("2/3").get().description == "2/3")
        let cases: [(String, String)] = [
            ("3/3", "has index 3, outside 0...2 for a count of 3"),
            ("-1/3", "has index -1, outside 0...2 for a count of 3"),
            ("0/0", "has a count of 0; the count must be 1 or more"),
            ("1", "is not INDEX/COUNT, e.g. 0/3 for the first of three daemons"),
            ("a/b", "is not INDEX/COUNT, e.g. 0/3 for the first of three daemons"),
            ("1/2/3", "is not INDEX/COUNT, e.g. 0/3 for the first of three daemons"),
        ]
        for (text, reason) in cases {
            #expect(Shard.parse(text) == .failure(Shard.ParseError(reason: reason)), "\(text)")
        }
    }
}
