import Config
import Foundation
import GBSnapTestSupport
import Scheduling
import SnapshotStore
import Testing

@Suite("gbsnap run --shard: two daemons split the targets of one config and share one store")
struct ShardRunTests {
    static let targets = (1...8).map { "svc-\($0)" }

    static func config(store: String, fixture: String) -> String {
        """
        store: \(store)
        targets:
        \(targets.map { "  - {name: \($0), url: \"\(fixture)\"}" }.joined(separator: "\n"))
        schedules:
          - name: fast
            cron: "*/2 * * * * *"
            targets: [\(targets.joined(separator: ", "))]
            kinds: [vars]
            stagger: 1s

        """
    }

    @Test("every target is captured exactly once per firing by the daemon of its shard; a second daemon for a shard is refused")
    func twoShardsOneStore() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-shards")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL))
        let shards = [Shard(index: 0, count: 2)!, Shard(index: 1, count: 2)!]
        let owned = shards.map { shard in Self.targets.filter(shard.owns) }
        #expect(owned.allSatisfy { !$0.isEmpty }, "both shards own targets: \(owned)")

        // The schedule of each shard lists its own targets only.
        for (shard, mine) in zip(shards, owned) {
            let plan = try await gbsnap(["schedule", "--config", configPath, "--shard", "\(shard)", "--json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [[String: Any]])
            #expect(Set(rows.compactMap { $0["target"] as? String }) == Set(mine))
            let text = try await gbsnap(["schedule", "--config", configPath, "--shard", "\(shard)"])
            #expect(text.stdout.hasPrefix("shard \(shard): \(mine.count) of 8 targets\n"))
        }

        var listeners: [NotifySocketListener] = []
        var daemons: [SpawnedProcess] = []
        for shard in shards {
            let listener = try NotifySocketListener()
            listeners.append(listener)
            daemons.append(try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener, extraArgs: ["--shard", "\(shard)"]))
        }
        defer { listeners.forEach { $0.stop() } }

        let again = try await gbsnap(["run", "--config", configPath, "--shard", "0/2"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("shard 0/2 of store \(store) is already served by gbsnap daemon pid \(daemons[0].pid)"), "\(again.stderr)")

        try await waitUntil("two snapshots of every target") {
            let byTarget = Dictionary(grouping: DaemonRunTests.entries(store), by: \.target)
            return Self.targets.allSatisfy { (byTarget[$0]?.count ?? 0) >= 2 }
        }
        let status = try await gbsnap(["status", "--config", configPath, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let serving = try #require(report["daemons"] as? [[String: Any]])
        #expect(serving.compactMap { $0["shard"] as? String } == ["0/2", "1/2"])
        #expect(serving.compactMap { ($0["pid"] as? NSNumber)?.int32Value } == daemons.map(\.pid))
        #expect(report["daemon_running"] as? Bool == true)
        let statusText = try await gbsnap(["status", "--config", configPath])
        #expect(statusText.stdout.hasPrefix("daemons: shard 0/2 pid \(daemons[0].pid), shard 1/2 pid \(daemons[1].pid) serve \(store)\n"), "\(statusText.stdout)")

        for daemon in daemons { daemon.signal(SIGTERM) }
        for daemon in daemons { #expect(await daemon.exitStatus() == 0, "\(daemon.stderr)") }

        let entries = DaemonRunTests.entries(store)
        let captures = entries.map { "\($0.target)@\($0.takenAt.timeIntervalSince1970)" }
        #expect(Set(captures).count == captures.count, "a firing of a target was captured twice: \(captures.sorted())")
        #expect(Set(entries.map(\.target)) == Set(Self.targets))
        for (daemon, (shard, mine)) in zip(daemons, zip(shards, owned)) {
            #expect(daemon.stderr.contains("shard=\(shard)"), "\(daemon.stderr)")
            #expect(daemon.stderr.contains("targets=\(mine.count)"))
        }
    }
}
