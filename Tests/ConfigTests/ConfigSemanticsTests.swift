import Units
import Cron
import Foundation
import GBSnapCore
import Scheduling
import Testing
@testable import Config

@Suite("Config semantics")
struct ConfigSemanticsTests {
    let yaml = """
    defaults:
      labels: {env: prod, team: core}
      headers: {X-Env: prod}
      timeout: 20s
      kinds: [heap, goroutine]
      stagger: 30s
      time_zone: Europe/Berlin
      params: {cpu_seconds: 15, heap_gc: false}
    targets:
      - name: a
        url: http://10.0.0.1:6060
        labels: {team: orders}
        headers: {Authorization-Hint: none}
      - name: b
        url: https://b.internal:8443/
        labels: {team: payments}
        vars_path: /internal/vars
      - name: c
        url: http://10.0.0.3:6060
        labels: {team: orders, env: staging}
    schedules:
      - name: hashed
        cron: "H H(0-3) * * *"
        targets: [c]
        selector: {labels: {team: orders, env: prod}}
      - name: cpu
        cron: "*/10 * * * *"
        targets: [b]
        kinds: [cpu, trace]
        params: {trace_seconds: 3}
        time_zone: UTC
        catch_up: once
    """

    @Test("Target defaults merge: maps combine with the target winning, scalars are replaced")
    func targetDefaults() throws {
        let config = try ConfigFile.parse(yaml: yaml, fileName: "t.yaml")
        let a = try #require(config.target(named: "a"))
        #expect(a.labels == ["env": "prod", "team": "orders"])
        #expect(a.headers == ["X-Env": "prod", "Authorization-Hint": "none"])
        #expect(a.timeouts.total == .seconds(20) && a.timeouts.connect == .seconds(5))
        #expect(a.pprofPrefix == "/debug/pprof" && a.varsPath == "/debug/vars")
        #expect(a.maxArtifactBytes == TargetSpec.defaultMaxArtifactBytes)
        #expect(try #require(config.target(named: "b")).varsPath == "/internal/vars")
        #expect(config.maxConcurrent == ConfigFile.defaultMaxConcurrent && config.store == nil && config.retention == nil)
    }

    @Test("Schedules take names and label selectors together, in target order, with defaults underneath")
    func scheduleDefaults() throws {
        let config = try ConfigFile.parse(yaml: yaml, fileName: "t.yaml")
        let hashed = config.schedules[0]
        #expect(hashed.targets == ["a", "c"])
        #expect(hashed.kinds == [.heap, .goroutine])
        #expect(hashed.stagger == .seconds(30) && hashed.spread == .hash && hashed.catchUp == .skip)
        #expect(hashed.timeZone.identifier == "Europe/Berlin")
        #expect(hashed.parameters == CaptureParameters(cpuSeconds: 15, heapGC: false))
        // H is hashed from the schedule name: stable, and inside H(0-3) for the hour.
        #expect(hashed.cron.hashKey == "hashed")
        let fire = try #require(hashed.cron.next(after: Date(timeIntervalSince1970: 1_790_000_000), in: hashed.timeZone))
        let hour = Int(ISO8601Offset.format(fire, in: hashed.timeZone).dropFirst(11).prefix(2)) ?? 99
        #expect((0...3).contains(hour))
        let again = try ConfigFile.parse(yaml: yaml, fileName: "t.yaml")
        #expect(again.schedules[0].cron.next(after: Date(timeIntervalSince1970: 1_790_000_000), in: hashed.timeZone) == fire)

        let cpu = config.schedules[1]
        #expect(cpu.parameters == CaptureParameters(cpuSeconds: 15, traceSeconds: 3, heapGC: false))
        #expect(cpu.catchUp == .once && cpu.timeZone == TimeZone(identifier: "UTC"))
        #expect(cpu.estimatedCaptureDuration == .seconds(2 + 15 + 3))
        #expect(cpu.spec.kinds == [.cpu, .trace] && cpu.spec.estimatedCaptureDuration == .seconds(20))
        #expect(config.planner().maxConcurrent == 8)
    }

    @Test("Retention counts accept -1 and unlimited; a rule without select governs everything")
    func retentionCounts() throws {
        let config = try ConfigFile.parse(yaml: """
        targets: [{name: a, url: "http://a:1"}]
        retention:
          rules:
            - {keep_daily: unlimited, keep_weekly: -1, keep_within: 0s, select: {targets: ["a*"], schedules: [manual], kinds: heap}}
        """, fileName: "r.yaml")
        let rule = try #require(config.retention?.rules.first)
        #expect(rule.keepDaily == -1 && rule.keepWeekly == -1 && rule.keepWithin == .zero)
        #expect(rule.selector.targets == ["a*"] && rule.selector.schedules == ["manual"] && rule.selector.kinds == ["heap"])
        #expect(config.retention?.timeZone == TimeZone(identifier: "UTC") && config.retention?.schedule == "@hourly")
        #expect(rule.keepFailedLast == nil && rule.keepFailedWithin == nil)  // the planner's defaults apply
    }

    @Test("Failed captures have their own keep: keep_failed_last and keep_failed_within")
    func retentionFailedKeep() throws {
        let config = try ConfigFile.parse(yaml: """
        targets: [{name: a, url: "http://a:1"}]
        retention:
          rules:
            - {keep_last: 3, keep_failed_last: 5, keep_failed_within: 2d}
            - {keep_last: 1, keep_failed_last: unlimited, keep_failed_within: 0}
        """, fileName: "r.yaml")
        let rules = try #require(config.retention?.rules)
        #expect(rules[0].keepFailedLast == 5 && rules[0].keepFailedWithin == .seconds(2 * 86_400))
        #expect(rules[1].keepFailedLast == -1 && rules[1].keepFailedWithin == .zero)
        #expect(throws: (any Error).self) {
            try ConfigFile.parse(yaml: """
            targets: [{name: a, url: "http://a:1"}]
            retention:
              rules: [{keep_last: 1, keep_failed_last: -2}]
            """, fileName: "r.yaml")
        }
    }
}
