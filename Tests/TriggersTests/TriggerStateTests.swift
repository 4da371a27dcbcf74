import Foundation
import Testing
@testable import Triggers

/// Feeds a rule values one poll (5 s) apart; returns the decisions.
func run(_ rule: TriggerRule, _ values: [Double], start: Date = Date(timeIntervalSince1970: 1_800_000_000), every: Double = 5) -> [TriggerDecision] {
    var state = TriggerState(rule: rule)
    return values.enumerated().map { i, v in state.observe(v, at: start.addingTimeInterval(Double(i) * every)) }
}

func fired(_ decisions: [TriggerDecision]) -> [Int] {
    decisions.enumerated().compactMap { i, d in if case .fire = d { return i } else { return nil } }
}

@Suite("Trigger rules: conditions, edges, cooldown, hourly cap")
struct TriggerStateTests {
    static func rule(_ c: TriggerCondition, cooldown: Duration = .zero, maxPerHour: Int? = nil) -> TriggerRule {
        TriggerRule(name: "r", signal: .goroutines, condition: c, cooldown: cooldown, maxPerHour: maxPerHour)
    }

    @Test("above N fires on the first poll past N, once while it stays over, and again after it fell back (re-armed)")
    func aboveIsEdgeTriggered() throws {
        let d = run(Self.rule(TriggerCondition(above: 500)), [100, 200, 600, 700, 800, 400, 900, 950])
        #expect(fired(d) == [2, 6])
        guard case .held(let why) = d[3] else { Issue.record("\(d[3])"); return }
        #expect(why.contains("re-arms when it falls back"))
        guard case .fire(let f) = d[2] else { return }
        #expect(f.observed == 600 && f.baseline == 500 && f.reason == "above 500")
        #expect(f.samples == [100, 200, 600])
    }

    @Test("a flapping signal fires once per arm, and the cooldown holds further rises inside it")
    func flappingAndCooldown() {
        let flapping: [Double] = [0, 600, 0, 600, 0, 600, 0, 600]
        #expect(fired(run(Self.rule(TriggerCondition(above: 500)), flapping)) == [1, 3, 5, 7])
        // 30 s cooldown, polls 5 s apart: after the firing at poll 1 (t=5 s), the next allowed is at t >= 35 s.
        #expect(fired(run(Self.rule(TriggerCondition(above: 500), cooldown: .seconds(30)), flapping)) == [1, 7])
    }

    @Test("max_per_hour caps firings in any 60 minutes")
    func hourlyCap() {
        let values = (0..<40).map { Double($0 % 2 == 0 ? 0 : 600) }  // fires every other poll when uncapped
        let d = run(Self.rule(TriggerCondition(above: 500), maxPerHour: 3), values, every: 60)
        #expect(fired(d).count == 3)
        #expect(d.contains { if case .held(let w) = $0 { w.contains("max_per_hour 3") } else { false } })
    }

    @Test("rise_percent fires on a rise over the rolling mean after the warm-up; a slow drift below it does not")
    func risePercent() throws {
        let rule = Self.rule(TriggerCondition(risePercent: 50, window: 5))
        // Warm-up: a jump in the first five polls never fires.
        #expect(fired(run(rule, [100, 400, 100, 100, 100])) == [])
        // Steady 100, then 160: 60 % over the mean of the last 5.
        let d = run(rule, [100, 100, 100, 100, 100, 160])
        #expect(fired(d) == [5])
        guard case .fire(let f) = d[5] else { return }
        #expect(f.baseline == 100)
        #expect(f.reason.hasPrefix("60% over the mean of the last 5 samples"))
        // A drift of +5 % a poll stays under 50 % over the rolling mean: it never fires.
        let drift = (0..<60).map { 100 * pow(1.05, Double($0)) }
        #expect(fired(run(rule, drift)) == [])
    }

    @Test("min is a floor under every condition")
    func minimum() {
        let rule = Self.rule(TriggerCondition(risePercent: 100, window: 3, min: 1000))
        #expect(fired(run(rule, [10, 10, 10, 40, 10])) == [])          // quadrupled, but below the floor
        #expect(fired(run(rule, [600, 600, 600, 1300])) == [3])
    }

    @Test("doubles_since_last_capture fires at the floor first, then only at double the value of the last capture")
    func doubles() {
        let rule = Self.rule(TriggerCondition(doublesSinceLastCapture: true, min: 1000))
        let d = run(rule, [500, 1200, 100, 1500, 2300, 100, 2500])
        // 1200 (first, over the floor); 1500 < 2 x 1200; 2300 < 2400; re-armed at 100, 2500 >= 2400 fires.
        #expect(fired(d) == [1, 6])
    }

    @Test("rate signals: a counter difference per second, nothing on the first read or after a restart")
    func rates() {
        var s = TriggerState(rule: TriggerRule(name: "a", signal: .allocBytesPerSecond, condition: TriggerCondition(above: 1), cooldown: .zero))
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        let r0 = s.rate(counter: 1000, at: t), r1 = s.rate(counter: 11000, at: t.addingTimeInterval(10))
        let r2 = s.rate(counter: 50, at: t.addingTimeInterval(20))  // the counter went back
        #expect(r0 == nil && r1 == 1000 && r2 == nil)
        var p = TriggerState(rule: TriggerRule(name: "p", signal: .gcPauseSeconds, condition: TriggerCondition(above: 1), cooldown: .zero))
        let scale = SignalReaders.counterScale(.gcPauseSeconds, fromVars: true)
        let p0 = p.rate(counter: 1_000_000, at: t, scale: scale)
        let p1 = p.rate(counter: 3_000_000, at: t.addingTimeInterval(5), scale: scale)  // 2 ms of pauses between polls
        #expect(p0 == nil)
        #expect(abs((p1 ?? 0) - 0.002) < 1e-12)
    }
}
