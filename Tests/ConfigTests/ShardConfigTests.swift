import Foundation
import Scheduling
import Testing
@testable import Config

@Suite("shard: in the config")
struct ShardConfigTests {
    static let yaml = """
        shard: {index: 1, count: 2}
        targets:
          - {name: a, url: "http://127.0.0.1:1"}
          - {name: b, url: "http://127.0.0.1:2"}
          - {name: c, url: "http://127.0.0.1:3"}
          - {name: d, url: "http://127.0.0.1:4"}
        schedules:
          - {name: s, cron: "*/5 * * * *", targets: [a, b, c, d], kinds: [heap]}
        triggers:
          - {name: t, targets: [a, b, c, d], signal: goroutines, poll: 5s, above: 10, kinds: [stacks]}

        """

    @Test("shard: {index, count} loads, and restricting to it keeps exactly the owned targets in schedules and triggers")
    func restricts() throws {
        let config = try ConfigFile.parse(yaml: Self.yaml, fileName: "gbsnap.yaml")
        let shard = try #require(config.shard)
        #expect(shard == Shard(index: 1, count: 2))
        let owned = ["a", "b", "c", "d"].filter(shard.owns)
        let mine = config.restricted(to: shard)
        #expect(mine.targets.map(\.name) == owned)
        #expect(mine.schedules[0].targets == owned)
        #expect(mine.triggers[0].targets == owned)
        let other = config.restricted(to: Shard(index: 0, count: 2))
        #expect(Set(other.schedules[0].targets).isDisjoint(with: owned))
        #expect(Set(other.schedules[0].targets).union(owned) == ["a", "b", "c", "d"])
        #expect(config.restricted(to: nil).schedules[0].targets == ["a", "b", "c", "d"])
    }

    @Test("a bad shard is an error at its line naming what is wrong")
    func invalid() {
        #expect(errors("shard: {index: 3, count: 3}\n" + minimalTarget) == ["gbsnap.yaml:1:16: shard 3/3 has index 3, outside 0...2 for a count of 3"])
        #expect(errors("shard: {index: 0}\n" + minimalTarget) == ["gbsnap.yaml:1:8: shard needs both index and count, e.g. shard: {index: 0, count: 3}"])
        #expect(errors("shard: {index: 0, count: 0}\n" + minimalTarget).first?.contains("shard count") == true)
        #expect(errors("shard: {index: 0, count: 2, of: 3}\n" + minimalTarget).first?.contains("of") == true)
    }
}
