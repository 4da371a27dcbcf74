import Units
import Cron
import Foundation
import Vocabulary
import Testing
@testable import Scheduling

let utc = TimeZone(identifier: "UTC")!
let newYork = TimeZone(identifier: "America/New_York")!

func at(_ text: String, _ zone: TimeZone = utc) -> Date { ISO8601Offset.parse(text, in: zone) ?? .distantPast }

func schedule(_ name: String, _ cron: String, targets: [String], kinds: [CaptureKind] = [.heap, .goroutine],
              stagger: Duration = .zero, spread: StaggerSpread = .hash, estimate: Duration = .seconds(1),
              zone: TimeZone = utc) throws -> ScheduleSpec {
    ScheduleSpec(name: name, cron: try CronExpression(cron), timeZone: zone, targets: targets, kinds: kinds,
                 stagger: stagger, spread: spread, estimatedCaptureDuration: estimate)
}

/// True when no two captures of the same target overlap in time.
func noTargetOverlap(_ plan: [PlannedCapture]) -> Bool {
    Dictionary(grouping: plan, by: \.target).values.allSatisfy { captures in
        let sorted = captures.sorted { $0.plannedStart < $1.plannedStart }
        return zip(sorted, sorted.dropFirst()).allSatisfy { $0.plannedEnd <= $1.plannedStart }
    }
}

/// Largest number of captures running at the same instant.
func peakConcurrency(_ plan: [PlannedCapture]) -> Int {
    var events: [(Date, Int)] = []
    for c in plan {
        events.append((c.plannedStart, 1))
        events.append((c.plannedEnd, -1))
    }
    // An end frees its slot before a start at the same instant.
    events.sort { (a: (Date, Int), b: (Date, Int)) -> Bool in a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }
    var current = 0, peak = 0
    for (_, delta) in events { current += delta; peak = max(peak, current) }
    return peak
}

@Suite("Planner")
struct PlannerTests {
    @Test("A plan lists every firing in [from, until) for every target, with all kinds in one capture")
    func coversFirings() throws {
        let s = try schedule("five", "*/5 * * * *", targets: ["a", "b"], kinds: [.heap, .cpu, .trace])
        let plan = Planner(schedules: [s]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T01:00:00Z"))
        #expect(plan.count == 24)
        #expect(Set(plan.map(\.fireTime)).count == 12)
        #expect(plan.first?.fireTime == at("2026-01-01T00:00:00Z"))
        #expect(plan.map(\.fireTime).max() == at("2026-01-01T00:55:00Z"))
        #expect(plan.allSatisfy { $0.kinds == [.heap, .cpu, .trace] && $0.schedule == "five" })
        #expect(plan.allSatisfy { $0.plannedStart == $0.fireTime && $0.pushed == nil })  // no stagger window
    }

    @Test("Hash offsets are stable, inside the window, and equal hash × window / 2^64")
    func hashOffsets() throws {
        let targets = (0..<200).map { "svc-\($0)" }
        let s = try schedule("nightly", "0 2 * * *", targets: targets, stagger: .seconds(600))
        let plan1 = Planner(schedules: [s]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-03T00:00:00Z"))
        let plan2 = Planner(schedules: [s]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-03T00:00:00Z"))
        #expect(plan1 == plan2)
        #expect(plan1.count == 400)
        for c in plan1 {
            let expected = Planner.staggerHash(schedule: "nightly", target: c.target).multipliedFullWidth(by: 600_000).high
            #expect(c.offset == .milliseconds(Int64(expected)))
            #expect(c.offset >= .zero && c.offset < .seconds(600))
            #expect(abs(c.plannedStart.timeIntervalSince(c.fireTime) - Double(expected) / 1000) < 1e-6)
            #expect(Planner.offset(schedule: s, target: c.target, window: .seconds(600)) == c.offset)
        }
        // The same target has the same phase on both days; different targets are spread out.
        let day1 = plan1.filter { $0.fireTime == at("2026-01-01T02:00:00Z") }
        let day2 = plan1.filter { $0.fireTime == at("2026-01-02T02:00:00Z") }
        #expect(Dictionary(uniqueKeysWithValues: day1.map { ($0.target, $0.offset) })
            == Dictionary(uniqueKeysWithValues: day2.map { ($0.target, $0.offset) }))
        let buckets = Set(day1.map { Int($0.offset.components.seconds / 60) })
        #expect(buckets.count == 10)  // 200 targets fill every minute of a 10-minute window
        // Renaming the schedule changes the phase.
        #expect(Planner.staggerHash(schedule: "nightly2", target: "svc-1") != Planner.staggerHash(schedule: "nightly", target: "svc-1"))
    }

    @Test("Even spread gives equal gaps in target-name order")
    func evenSpread() throws {
        let s = try schedule("minutely", "0 * * * *", targets: ["d", "b", "a", "c"], stagger: .seconds(60), spread: .even)
        let plan = Planner(schedules: [s]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T00:30:00Z"))
        #expect(plan.map(\.target) == ["a", "b", "c", "d"])
        #expect(plan.map(\.offset) == [.zero, .seconds(15), .seconds(30), .seconds(45)])
        #expect(Planner.offset(schedule: s, target: "c", window: .seconds(60)) == .seconds(30))
        #expect(Planner.offset(schedule: s, target: "zz", window: .seconds(60)) == .zero)
    }

    @Test("The window is shortened to the gap before the next firing")
    func windowClamp() throws {
        let s = try schedule("five", "*/5 * * * *", targets: (0..<100).map { "t\($0)" }, stagger: .seconds(3600))
        let plan = Planner(schedules: [s]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T00:30:00Z"))
        #expect(plan.allSatisfy { $0.offset < .seconds(300) })
        #expect(plan.contains { $0.offset > .seconds(240) })
    }

    @Test("Two schedules firing together on one target run one after the other")
    func collisionPushed() throws {
        let a = try schedule("alpha", "0 2 * * *", targets: ["order-api"], estimate: .seconds(120))
        let b = try schedule("beta", "0 2 * * *", targets: ["order-api"], estimate: .seconds(30))
        let plan = Planner(schedules: [b, a]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-02T00:00:00Z"))
        #expect(plan.map(\.schedule) == ["alpha", "beta"])  // ties broken by schedule name
        #expect(plan[0].plannedStart == at("2026-01-01T02:00:00Z") && plan[0].pushed == nil)
        #expect(plan[1].plannedStart == at("2026-01-01T02:02:00Z") && plan[1].pushed == .targetBusy)
        #expect(plan[1].plannedEnd == at("2026-01-01T02:02:30Z"))
    }

    @Test("A capture longer than the period delays the next one instead of overlapping")
    func longCaptures() throws {
        let s = try schedule("five", "*/5 * * * *", targets: ["slow"], kinds: [.cpu, .trace],
                             estimate: CaptureEstimate.duration(kinds: [.cpu, .trace], cpuSeconds: 300, traceSeconds: 118))
        let plan = Planner(schedules: [s]).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T00:20:00Z"))
        #expect(plan.map { ISO8601Offset.format($0.plannedStart, in: utc) }
            == ["2026-01-01T00:00:00+00:00", "2026-01-01T00:07:00+00:00", "2026-01-01T00:14:00+00:00", "2026-01-01T00:21:00+00:00"])
        #expect(plan.dropFirst().allSatisfy { $0.pushed == .targetBusy })
        #expect(noTargetOverlap(plan))
    }

    @Test("The concurrency cap holds at every instant")
    func concurrencyCap() throws {
        let s = try schedule("burst", "0 * * * *", targets: (0..<10).map { "t\($0)" }, estimate: .seconds(60))
        let plan = Planner(schedules: [s], maxConcurrent: 3).plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T00:30:00Z"))
        #expect(plan.map { Int($0.plannedStart.timeIntervalSince(at("2026-01-01T00:00:00Z"))) }
            == [0, 0, 0, 60, 60, 60, 120, 120, 120, 180])
        #expect(plan.filter { $0.pushed == .concurrencyCap }.count == 7)
        #expect(peakConcurrency(plan) == 3)
    }

    @Test("Random mixes of schedules never overlap a target and never exceed the cap")
    func randomProperties() throws {
        var seed: UInt64 = 1
        func rand(_ n: Int) -> Int { seed = StableHash.mix(seed); return Int(seed % UInt64(n)) }
        let crons = ["*/5 * * * *", "*/7 * * * *", "0 * * * *", "*/2 * * * *", "30 1-3 * * *"]
        for round in 0..<20 {
            let targets = (0..<(5 + rand(20))).map { "t\($0)" }
            var schedules: [ScheduleSpec] = []
            for i in 0..<(1 + rand(4)) {
                schedules.append(try schedule("s\(i)", crons[rand(crons.count)],
                                              targets: targets.filter { _ in rand(2) == 0 },
                                              stagger: .seconds(rand(600)), spread: rand(2) == 0 ? .hash : .even,
                                              estimate: .seconds(1 + rand(400))))
            }
            let cap = rand(3) == 0 ? nil : 1 + rand(8)
            let planner = Planner(schedules: schedules, maxConcurrent: cap)
            let plan = planner.plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T04:00:00Z"))
            #expect(noTargetOverlap(plan), "round \(round)")
            if let cap { #expect(peakConcurrency(plan) <= cap, "round \(round)") }
            #expect(plan.allSatisfy { $0.plannedStart >= $0.fireTime.addingTimeInterval(Double($0.offset.components.seconds)) })
            #expect(zip(plan, plan.dropFirst()).allSatisfy { $0.plannedStart <= $1.plannedStart })
            #expect(plan == Planner(schedules: schedules.reversed(), maxConcurrent: cap)
                .plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-01T04:00:00Z")))
            let expectedCount = schedules.reduce(0) { sum, s in
                sum + Set(s.targets).count * s.cron.fireTimes(after: at("2025-12-31T23:59:59Z"), through: at("2026-01-01T03:59:59Z"), in: utc).count
            }
            #expect(plan.count == expectedCount)
        }
    }

    @Test("Fire times follow the schedule's zone and DST rules")
    func dst() throws {
        let s = try schedule("nightly", "30 2 * * *", targets: ["a"], zone: newYork)
        let plan = Planner(schedules: [s]).plan(from: at("2024-03-09T00:00:00", newYork), until: at("2024-03-12T00:00:00", newYork))
        #expect(plan.map { ISO8601Offset.format($0.fireTime, in: newYork) }
            == ["2024-03-09T02:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"])
    }

    @Test("Capture estimates add the cpu and trace seconds to a per-request allowance")
    func estimates() {
        #expect(CaptureEstimate.duration(kinds: [.heap, .cpu, .trace], cpuSeconds: 10, traceSeconds: 5) == .seconds(18))
        #expect(CaptureEstimate.duration(kinds: [.custom, .vars], cpuSeconds: 10, traceSeconds: 5, customSeconds: 7,
                                         perRequest: .milliseconds(500)) == .seconds(8))
        #expect(CaptureEstimate.duration(kinds: [], cpuSeconds: 10, traceSeconds: 5) == .zero)
    }
}

@Suite("Catch-up")
struct CatchUpTests {
    let daily = try! CronExpression("0 2 * * *")

    @Test("`once` runs the latest missed firing, however many were missed")
    func once() {
        #expect(CatchUp.missedFiring(cron: daily, timeZone: utc, lastRun: at("2026-01-01T02:00:05Z"),
                                     now: at("2026-01-04T09:00:00Z"), policy: .once) == at("2026-01-04T02:00:00Z"))
        let five = try! CronExpression("*/5 * * * *")
        #expect(CatchUp.missedFiring(cron: five, timeZone: utc, lastRun: at("2025-01-01T00:00:00Z"),
                                     now: at("2026-01-01T00:07:00Z"), policy: .once) == at("2026-01-01T00:05:00Z"))
        let yearly = try! CronExpression("@yearly")
        #expect(CatchUp.missedFiring(cron: yearly, timeZone: utc, lastRun: at("2020-01-01T00:00:00Z"),
                                     now: at("2026-06-01T00:00:00Z"), policy: .once) == at("2026-01-01T00:00:00Z"))
    }

    @Test("Nothing is caught up when no firing was missed, with `skip`, or without a recorded run")
    func nothing() {
        #expect(CatchUp.missedFiring(cron: daily, timeZone: utc, lastRun: at("2026-01-04T02:00:01Z"),
                                     now: at("2026-01-04T09:00:00Z"), policy: .once) == nil)
        #expect(CatchUp.missedFiring(cron: daily, timeZone: utc, lastRun: at("2026-01-01T02:00:00Z"),
                                     now: at("2026-01-04T09:00:00Z"), policy: .skip) == nil)
        #expect(CatchUp.missedFiring(cron: daily, timeZone: utc, lastRun: nil, now: at("2026-01-04T09:00:00Z"), policy: .once) == nil)
        // A last run in the future (clock moved back) is not a reason to run.
        #expect(CatchUp.missedFiring(cron: daily, timeZone: utc, lastRun: at("2026-02-01T02:00:00Z"),
                                     now: at("2026-01-04T09:00:00Z"), policy: .once) == nil)
    }

    @Test("A firing exactly at `now` counts as missed (the regular loop waits for the next one after now)")
    func boundary() {
        #expect(CatchUp.missedFiring(cron: daily, timeZone: utc, lastRun: at("2026-01-03T02:00:00Z"),
                                     now: at("2026-01-04T02:00:00Z"), policy: .once) == at("2026-01-04T02:00:00Z"))
    }
}
