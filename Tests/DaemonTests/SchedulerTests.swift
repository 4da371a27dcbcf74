import Config
import Foundation
import GBSnapCore
import Logging
import Scheduling
import ServiceLifecycle
import SnapshotStore
import Testing
@testable import Daemon

/// What the scheduler decides at a given wall-clock time: `FiringPlan`, pure, fed any time.
@Suite("scheduler decisions (FiringPlan)")
struct FiringPlanTests {
    static func config(cron: String = "*/10 * * * * *", targets: [String] = ["a"], catchUp: String = "skip") throws -> ConfigFile {
        try schedulerConfig(targets: targets, schedules: """
              - name: s
                cron: "\(cron)"
                targets: [\(targets.joined(separator: ", "))]
                kinds: [vars]
                stagger: 0s
                catch_up: \(catchUp)
            """)
    }

    static func started(_ step: FiringPlan.Step) -> [String] {
        step.start.map { "\($0.planned.target)@\(Timestamp.formatUTC($0.planned.fireTime))" }
    }

    @Test("a capture starts once its planned start has passed, exactly once, never before")
    func startsOnceWhenDue() throws {
        var plan = FiringPlan(config: try Self.config(), now: utc("2026-11-26T02:00:00Z").addingTimeInterval(0.5))
        #expect(plan.advance(to: utc("2026-11-26T02:00:09Z")).start.isEmpty)
        #expect(Self.started(plan.advance(to: utc("2026-11-26T02:00:10Z"))) == ["a@2026-11-26T02:00:10Z"])
        #expect(plan.advance(to: utc("2026-11-26T02:00:15Z")).start.isEmpty)
        #expect(Self.started(plan.advance(to: utc("2026-11-26T02:00:20Z"))) == ["a@2026-11-26T02:00:20Z"])
    }

    @Test("the wall clock set back an hour: nothing that ran runs again; the plan waits until the clock catches up")
    func clockSetBack() throws {
        var plan = FiringPlan(config: try Self.config(), now: utc("2026-11-26T02:00:00Z"))
        #expect(Self.started(plan.advance(to: utc("2026-11-26T02:00:10Z"))) == ["a@2026-11-26T02:00:10Z"])
        for time in ["2026-11-26T01:00:10Z", "2026-11-26T01:00:20Z", "2026-11-26T01:59:59Z", "2026-11-26T02:00:10Z"] {
            let step = plan.advance(to: utc(time))
            #expect(step.start.isEmpty, "at \(time)")
            #expect(step.clockJumpedPast == nil)
        }
        #expect(Self.started(plan.advance(to: utc("2026-11-26T02:00:20Z"))) == ["a@2026-11-26T02:00:20Z"])
    }

    @Test("the wall clock set forward a day (or a suspend): each schedule and target runs once, for its newest firing")
    func clockSetForward() throws {
        var plan = FiringPlan(config: try Self.config(targets: ["a", "b"]), now: utc("2026-11-26T02:00:00Z"))
        #expect(Self.started(plan.advance(to: utc("2026-11-26T02:00:10Z"))) == ["a@2026-11-26T02:00:10Z", "b@2026-11-26T02:00:10Z"])
        let step = plan.advance(to: utc("2026-11-27T02:00:05Z"))
        #expect(step.clockJumpedPast != nil)
        #expect(Self.started(step) == ["a@2026-11-27T02:00:00Z", "b@2026-11-27T02:00:00Z"])
        // Then the schedule goes on from the new time, without replaying the skipped day.
        #expect(plan.advance(to: utc("2026-11-27T02:00:09Z")).start.isEmpty)
        #expect(Self.started(plan.advance(to: utc("2026-11-27T02:00:10Z"))) == ["a@2026-11-27T02:00:10Z", "b@2026-11-27T02:00:10Z"])
    }

    @Test("after a suspend, a firing more than 60 s late is skipped with catch_up: skip and taken once with catch_up: once")
    func lateFiringAfterSuspend() throws {
        let config = try schedulerConfig(targets: ["a", "b"], schedules: """
              - name: nightly-skip
                cron: "0 2 * * *"
                targets: [a]
                kinds: [vars]
                stagger: 0s
              - name: nightly-once
                cron: "0 2 * * *"
                targets: [b]
                kinds: [vars]
                stagger: 0s
                catch_up: once
            """)
        var plan = FiringPlan(config: config, now: utc("2026-11-26T01:59:00Z"))
        #expect(plan.advance(to: utc("2026-11-26T01:59:30Z")).start.isEmpty)
        // Suspended from 01:59:30 to 05:00: the 02:00 firing is three hours late.
        let step = plan.advance(to: utc("2026-11-26T05:00:00Z"))
        #expect(step.clockJumpedPast != nil)
        #expect(step.skippedLate.map(\.schedule) == ["nightly-skip"])
        #expect(step.start.map(\.planned.schedule) == ["nightly-once"])
        #expect(Self.started(step) == ["b@2026-11-26T02:00:00Z"])
        // The firing was in the planned window and came back with the jump: it is still one firing.
        #expect(step.skippedOlder == 0)
    }

    @Test("catch-up at start: the newest missed firing since the last snapshot, once, at now plus the stagger offset")
    func catchUpAtStart() throws {
        let config = try Self.config(cron: "0 2 * * *", targets: ["a", "b", "c"], catchUp: "once")
        let now = utc("2026-11-26T10:00:00Z")
        let lastRuns = [
            FiringPlan.runKey(schedule: "s", target: "a"): utc("2026-11-23T02:00:03Z"),  // down three days: one capture
            FiringPlan.runKey(schedule: "s", target: "b"): utc("2026-11-26T02:00:01Z"),  // already ran today: nothing
            // c has never run: nothing to catch up
        ]
        let caughtUp = FiringPlan.catchUp(config: config, lastRuns: lastRuns, now: now)
        #expect(caughtUp.map(\.target) == ["a"])
        #expect(caughtUp.first?.fireTime == utc("2026-11-26T02:00:00Z"))
        #expect(caughtUp.first?.plannedStart == now)
        // It is started on the first wake, and the schedule's next firing is tomorrow's.
        var plan = FiringPlan(config: config, now: now, caughtUp: caughtUp)
        #expect(Self.started(plan.advance(to: now)) == ["a@2026-11-26T02:00:00Z"])
        #expect(plan.advance(to: now.addingTimeInterval(1)).start.isEmpty)

        let skip = try Self.config(cron: "0 2 * * *", targets: ["a"], catchUp: "skip")
        #expect(FiringPlan.catchUp(config: skip, lastRuns: lastRuns, now: now).isEmpty)
    }
}

/// `SchedulerService` on a test clock with a fake snapshot taker: the real loop, runner, task
/// group and service-lifecycle shutdown, without waiting for real time.
@Suite("scheduler service on a test clock")
struct SchedulerServiceTests {
    struct Running {
        let group: ServiceGroup
        let task: Task<Void, any Error>
        let taker: FakeTaker
        let clock: TestClock

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }
    }

    static func start(_ config: ConfigFile, at time: Date, gated: Bool = false, catalog: [CatalogEntry] = [],
                      storeError: StoreError? = nil, grace: Duration = .seconds(30)) -> Running {
        let clock = TestClock(time)
        let taker = FakeTaker(clock: clock, gated: gated, catalog: catalog, storeError: storeError)
        let service = SchedulerService(taker: taker, state: DaemonState(config: config), clock: clock,
                                       notifier: SystemdNotifier(environment: [:]), gracePeriod: grace, logger: silentLogger)
        let group = ServiceGroup(services: [service], logger: silentLogger)
        let task = Task {
            defer { clock.finish() }
            try await group.run()
        }
        return Running(group: group, task: task, taker: taker, clock: clock)
    }

    static func targets(_ n: Int) -> [String] { (0..<n).map { String(format: "t%02d", $0) } }

    static func oneSlot(_ targets: [String], maxConcurrent: Int) throws -> ConfigFile {
        try schedulerConfig(maxConcurrent: maxConcurrent, targets: targets, schedules: """
              - name: burst
                cron: "*/30 * * * * *"
                targets: [\(targets.joined(separator: ", "))]
                kinds: [vars]
                stagger: 0s
            """)
    }

    @Test("every capture starts at its planned, staggered time on the clock, never before; three firings, three snapshots per target")
    func capturesAtPlannedTimes() async throws {
        let config = try schedulerConfig(targets: ["alpha", "beta"], schedules: """
              - name: fast
                cron: "*/2 * * * * *"
                targets: [alpha, beta]
                kinds: [vars]
                stagger: 1s
            """)
        let begin = utc("2026-11-26T02:00:00Z").addingTimeInterval(0.25)
        let running = Self.start(config, at: begin)
        await running.clock.run(for: .milliseconds(6_800))  // to 02:00:07.05: the firings at :02, :04 and :06 plus offsets < 1 s
        await running.taker.waitForTakes(6)
        try await running.stop()

        let takes = await running.taker.takes
        let plan = config.planner(modelConcurrencyCap: false).plan(from: begin, until: begin.addingTimeInterval(10))
        for target in ["alpha", "beta"] {
            let mine = takes.filter { $0.target == target }
            let planned = plan.filter { $0.target == target }.prefix(3).map(\.plannedStart)
            #expect(mine.map(\.scheduledAt) == Array(planned), "\(target)")
        }
        let spec = try #require(config.schedules.first).spec
        for take in takes {
            #expect(take.startedAt >= take.scheduledAt, "\(take.target) started before its planned start")
            // The planned start is a firing of the cron plus the target's own stagger offset.
            let offset = Planner.offset(schedule: spec, target: take.target, window: .seconds(1))
            #expect(Int(take.scheduledAt.addingTimeInterval(-offset.timeInterval).timeIntervalSince1970.rounded()) % 2 == 0)
        }
        #expect(takes.count == 6)
    }

    @Test("fairness: 20 targets due in one slot with max_concurrent 3 run three at a time, in planned order, each as soon as a slot frees")
    func fairnessUnderTheCap() async throws {
        let names = Self.targets(20)
        let running = Self.start(try Self.oneSlot(names, maxConcurrent: 3), at: utc("2026-11-26T02:00:29.5Z"), gated: true)
        await running.clock.run(for: .seconds(1))
        let taker = running.taker
        await taker.waitForTakes(3)
        #expect(await taker.takes.map(\.target) == Array(names.prefix(3)))
        // Finish the oldest running capture, one at a time: exactly one more starts each time, the next in line.
        for i in 0..<names.count {
            await taker.waitUntilHeld(names[i])
            await taker.release(names[i])
            let expected = min(names.count, i + 4)
            await taker.waitForTakes(expected)
            #expect(await taker.takes.count == expected)
        }
        #expect(await taker.takes.map(\.target) == names)
        #expect(await taker.mostRunning == 3)
        try await running.stop()
        #expect(await taker.finished.count == 20)
    }

    @Test("a target still busy with its last capture keeps its place; later targets pass it, and it runs as soon as it is free")
    func busyTargetKeepsItsPlace() async throws {
        let running = Self.start(try Self.oneSlot(["a", "b", "c"], maxConcurrent: 2), at: utc("2026-11-26T02:00:29.5Z"), gated: true)
        let (clock, taker) = (running.clock, running.taker)
        func order() async -> [String] { await taker.takes.map { "\($0.target)@\(Timestamp.formatUTC($0.scheduledAt).dropFirst(14))" } }
        await clock.run(for: .seconds(1))
        await taker.waitForTakes(2)
        #expect(await order() == ["a@00:30Z", "b@00:30Z"])
        for t in ["b", "c"] {
            await taker.waitUntilHeld(t)
            await taker.release(t)
        }
        await taker.waitForTakes(3)
        // a's capture of 02:00:30 is still running when 02:01:00 fires: a waits first in line, b takes the free slot...
        await clock.run(for: .seconds(30))
        await taker.waitForTakes(4)
        #expect(await order() == ["a@00:30Z", "b@00:30Z", "c@00:30Z", "b@01:00Z"])
        // ...c passes the busy a when b is done...
        await taker.waitUntilHeld("b")
        await taker.release("b")
        await taker.waitForTakes(5)
        #expect(await order() == ["a@00:30Z", "b@00:30Z", "c@00:30Z", "b@01:00Z", "c@01:00Z"])
        // ...and a runs the moment its last capture ends.
        await taker.release("a")
        await taker.waitForTakes(6)
        #expect(await order() == ["a@00:30Z", "b@00:30Z", "c@00:30Z", "b@01:00Z", "c@01:00Z", "a@01:00Z"])
        for t in ["a", "c"] {
            await taker.waitUntilHeld(t)
            await taker.release(t)
        }
        try await running.stop()
        #expect(await taker.mostRunning == 2)
        #expect(await taker.finished.count == 6)
    }

    @Test("graceful shutdown: captures in flight may finish within the grace period; nothing new starts")
    func shutdownLetsInFlightFinish() async throws {
        let names = Self.targets(4)
        let running = Self.start(try Self.oneSlot(names, maxConcurrent: 2), at: utc("2026-11-26T02:00:29.5Z"), gated: true)
        await running.clock.run(for: .seconds(1))
        let taker = running.taker
        await taker.waitForTakes(2)
        await running.group.triggerGracefulShutdown()
        // The grace timer sleeps on the clock; the two in flight finish before it runs out.
        await running.clock.waitForSleepers(length: .seconds(30))
        for t in names.prefix(2) {
            await taker.waitUntilHeld(t)
            await taker.release(t)
        }
        try await running.task.value
        #expect(await taker.finished.map(\.target) == Array(names.prefix(2)))
        #expect(await taker.takes.count == 2, "the two captures still waiting for a slot never start")
    }

    @Test("graceful shutdown: when the grace period runs out on the clock, captures in flight are cancelled and the service returns")
    func shutdownCancelsAfterGrace() async throws {
        let running = Self.start(try Self.oneSlot(["a"], maxConcurrent: 2), at: utc("2026-11-26T02:00:29.5Z"), gated: true, grace: .seconds(5))
        await running.clock.run(for: .seconds(1))
        let taker = running.taker
        await taker.waitForTakes(1)
        await taker.waitUntilHeld("a")
        await running.group.triggerGracefulShutdown()
        await running.clock.waitForSleepers(length: .seconds(5))
        running.clock.advance(by: .seconds(4))
        #expect(await taker.held == ["a"], "still within the grace period")
        running.clock.advance(by: .seconds(1))
        try await running.task.value
        #expect(await taker.finished.isEmpty)
        #expect(await taker.held.isEmpty)
    }

    @Test("a store that fails its write probe stops the service with DaemonError.storeFailed carrying the StoreError")
    func storeFailureIsTyped() async throws {
        let failure = StoreError(.io, "store /s cannot be written: open(/s/catalog/x): Not a directory")
        let running = Self.start(try Self.oneSlot(["a"], maxConcurrent: 2), at: utc("2026-11-26T02:00:29.5Z"), storeError: failure)
        await running.clock.run(for: .seconds(10))  // ends early: the service stops
        let error = await #expect(throws: DaemonError.self) { try await running.task.value }
        #expect(error?.code == .storeFailed)
        #expect((error?.underlying as? StoreError)?.code == .io)
        #expect(error?.description == "store /s cannot be written: open(/s/catalog/x): Not a directory; no snapshot can be stored, so the daemon stops (fix the store, then restart it)")
    }

    @Test("at start, a catch_up: once schedule takes the firing missed while the daemon was down, once")
    func catchUpAtStartOnTheClock() async throws {
        let config = try schedulerConfig(targets: ["a", "b"], schedules: """
              - name: nightly
                cron: "0 2 * * *"
                targets: [a, b]
                kinds: [vars]
                stagger: 0s
                catch_up: once
            """)
        let catalog = [catalogEntry(target: "a", schedule: "nightly", takenAt: utc("2026-11-24T02:00:00Z"))]
        let running = Self.start(config, at: utc("2026-11-26T09:00:00Z"), catalog: catalog)
        await running.clock.run(for: .seconds(5))
        await running.taker.waitForTakes(1)
        try await running.stop()
        let takes = await running.taker.takes
        #expect(takes.map(\.target) == ["a"])
        #expect(takes.first?.scheduledAt == utc("2026-11-26T09:00:00Z"))
    }
}
