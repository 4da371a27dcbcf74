import Foundation
import GBSnapCore
import Testing
import Triggers
@testable import Config

@Suite("Config: triggers")
struct TriggerConfigTests {
    static let base = """
        targets:
          - name: order-api
            url: http://127.0.0.1:6060
            labels: {team: payments}
          - name: billing
            url: http://127.0.0.1:6061
            labels: {team: payments}
        """

    @Test("a rule loads with its targets, signal, condition, cooldown, kinds and cap; defaults fill the rest")
    func loads() throws {
        let yaml = Self.base + """

            defaults:
              kinds: [heap, vars]
            triggers:
              - name: goroutine-pileup
                selector: {labels: {team: payments}}
                signal: goroutines
                poll: 5s
                above: 5000
                rise_percent: 50
                window: 12
                min: 500
                cooldown: 15m
                max_per_hour: 4
                kinds: [goroutine, stacks, heap]
              - name: heap-doubles
                targets: [order-api]
                signal: heap_inuse_bytes
                source: metrics
                metrics_path: /internal/metrics
                poll: 30s
                doubles_since_last_capture: true
                min: 256MiB
            """
        let config = try ConfigFile.parse(yaml: yaml, fileName: "gbsnap.yaml")
        #expect(config.triggers.count == 2)
        let pileup = config.triggers[0]
        #expect(pileup.targets.sorted() == ["billing", "order-api"])
        #expect(pileup.rule.signal == .goroutines && pileup.rule.scheduleName == "trigger/goroutine-pileup")
        #expect(pileup.rule.condition == TriggerCondition(above: 5000, risePercent: 50, window: 12, min: 500))
        #expect(pileup.rule.cooldown == .seconds(900) && pileup.rule.maxPerHour == 4)
        #expect(pileup.kinds == [.goroutine, .stacks, .heap] && pileup.source == .auto && pileup.poll == .seconds(5))
        let heap = config.triggers[1]
        #expect(heap.rule.condition.doublesSinceLastCapture && heap.rule.condition.min == 268_435_456)
        #expect(heap.kinds == [.heap, .vars])  // from defaults
        #expect(heap.source == .metrics && heap.metricsPath == "/internal/metrics")
        #expect(heap.rule.cooldown == ConfiguredTrigger.defaultCooldown && heap.rule.condition.window == 10)
    }

    @Test("every mistake is reported with file:line:column")
    func mistakes() {
        let yaml = Self.base + """

            triggers:
              - name: a
                targets: [order-apy]
                signal: gorutines
                poll: 5s
                above: 10
                kinds: [heap]
              - name: b
                targets: [order-api]
                signal: heap_objects
                poll: 1s
                kinds: [heap]
              - name: c
                targets: [order-api]
                signal: heap_inuse_bytes
                source: pprof_index
                poll: 10s
                rise_percent: -5
                kinds: [heap]
              - name: a
                targets: [billing]
                signal: goroutines
                poll: 5s
                above: 1
                kinds: [heap]
            """
        let e = errors(yaml)
        #expect(e.contains { $0.hasPrefix("gbsnap.yaml:10:15:") && $0.contains("unknown target \"order-apy\"; did you mean \"order-api\"?") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("gbsnap.yaml:11:13:") && $0.contains("unknown signal \"gorutines\"; did you mean \"goroutines\"?") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("gbsnap.yaml:18:11:") && $0.contains("poll 1s is faster than 5s") }, "\(e)")
        #expect(e.contains { $0.contains("trigger \"b\" has no condition") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("gbsnap.yaml:23:13:") && $0.contains("source pprof_index has only the goroutine count") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("gbsnap.yaml:25:19:") && $0.contains("rise_percent must be more than 0") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("gbsnap.yaml:27:11:") && $0.contains("duplicate trigger name \"a\"") }, "\(e)")
    }
}
