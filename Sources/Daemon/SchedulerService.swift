import Capture
import Config
import Foundation
import GBSnapCore
import Logging
import Scheduling
import ServiceLifecycle
import SnapshotStore

/// Fires the planned captures.
///
/// It plans a rolling window (`horizon`) ahead with `Planner`, sleeps on the monotonic clock in
/// naps of at most `maxNap`, and re-reads the wall clock on every wake:
/// - a capture fires once its planned start has passed, and is then removed from the queue, so a
///   wall clock set back never fires it twice (the daemon waits until the clock catches up);
/// - after a suspend or a wall clock set forward, of all the due firings of one (schedule,
///   target) only the newest is considered (no burst); it runs if it is at most `lateTolerance`
///   late, or with `catch_up: once`;
/// - at start, `catch_up: once` schedules run the newest firing missed since their last snapshot
///   in the catalog (`CatchUp.missedFiring`).
struct SchedulerService: Service {
    let store: SnapshotStore
    let state: DaemonState
    let runner: CaptureRunner
    let notifier: SystemdNotifier
    let gracePeriod: Duration
    let logger: Logger
    let horizon: TimeInterval = 300
    let maxNap: Duration = .seconds(1)
    let lateTolerance: TimeInterval = 60

    func run() async throws {
        let loop = Task { () -> DaemonError? in await self.loop() }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler { _ = await loop.value } onCancel: { loop.cancel() }
        } onGracefulShutdown: { [notifier, logger, gracePeriod] in
            notifier.notify("STOPPING=1\nSTATUS=stopping; waiting for in-flight captures")
            logger.info("stopping", metadata: ["grace_period": "\(DurationParser.format(gracePeriod))"])
            loop.cancel()
        }
        let failure = await loop.value
        let inFlight = await runner.pending
        // In-flight captures cannot be stored once the store failed.
        let cancelled = await runner.drain(grace: failure == nil ? gracePeriod : .zero)
        logger.info("scheduler stopped", metadata: ["in_flight": "\(inFlight)", "cancelled": "\(cancelled)"])
        if let failure { throw failure }
    }

    struct FiringKey: Hashable {
        var schedule: String
        var target: String
        var fireTime: Date
    }

    /// Plans and fires until cancelled (nil), or until the store fails (the reason).
    func loop() async -> DaemonError? {
        var (config, generation) = await state.current()
        var planner = config.planner(modelConcurrencyCap: false)
        var now = Date()
        var queue = catchUp(config: config, planner: planner, now: now)
        var windowEnd = now
        var fired: Set<FiringKey> = []
        var nextPrune = now
        var lastStatus = ""
        while !Task.isCancelled {
            if let failure = await runner.storeFailure { return failure }
            now = Date()
            let (current, currentGeneration) = await state.current()
            if currentGeneration != generation {
                // Re-plan from the oldest pending firing, so firings whose stagger has not elapsed
                // yet still run (under the new config), skipping what already fired.
                let from = min(queue.map(\.fireTime).min() ?? now, now)
                config = current
                generation = currentGeneration
                planner = config.planner(modelConcurrencyCap: false)
                await runner.setMaxConcurrent(config.maxConcurrent)
                windowEnd = now.addingTimeInterval(horizon)
                queue = planner.plan(from: from, until: windowEnd)
                logger.info("schedule re-planned after reload", metadata: ["pending": "\(queue.count)"])
            }
            if now >= windowEnd.addingTimeInterval(1) {
                // Suspended or the wall clock jumped forward past the planned window: take only the
                // newest missed firing of each schedule.
                for schedule in config.schedules {
                    guard let f = CatchUp.missedFiring(cron: schedule.cron, timeZone: schedule.timeZone,
                                                       lastRun: windowEnd.addingTimeInterval(-0.001), now: now, policy: .once)
                    else { continue }
                    queue += planner.plan(from: f, until: f.addingTimeInterval(0.001)).filter { $0.schedule == schedule.name }
                }
                logger.warning("wall clock moved past the planned window (suspend or clock change)",
                               metadata: ["planned_until": "\(CaptureRunner.format(windowEnd))", "now": "\(CaptureRunner.format(now))"])
                windowEnd = now
            }
            if windowEnd < now.addingTimeInterval(horizon / 2) {
                let until = max(windowEnd, now).addingTimeInterval(horizon)
                queue += planner.plan(from: windowEnd, until: until)
                windowEnd = until
            }
            queue.sort { ($0.plannedStart, $0.schedule, $0.target) < ($1.plannedStart, $1.schedule, $1.target) }
            let dueCount = queue.prefix { $0.plannedStart <= now }.count
            if dueCount > 0 {
                let due = Array(queue.prefix(dueCount))
                queue.removeFirst(dueCount)
                await fire(due, config: config, now: now, fired: &fired)
            }
            if now >= nextPrune {
                fired = fired.filter { $0.fireTime > now.addingTimeInterval(-3_600) }
                nextPrune = now.addingTimeInterval(60)
            }
            let status = await statusLine(next: queue.first)
            if status != lastStatus {
                notifier.notify("STATUS=\(status)")
                lastStatus = status
            }
            let untilNext = (queue.first?.plannedStart ?? windowEnd).timeIntervalSince(Date())
            guard await nap(min(maxNap, .milliseconds(Int64(max(0, untilNext) * 1000) + 1))) else { return nil }
        }
        return nil
    }

    func fire(_ due: [PlannedCapture], config: ConfigFile, now: Date, fired: inout Set<FiringKey>) async {
        var newest: [String: PlannedCapture] = [:]
        var skippedOlder = 0
        for p in due where !fired.contains(FiringKey(schedule: p.schedule, target: p.target, fireTime: p.fireTime)) {
            let key = p.schedule + "\u{0}" + p.target
            if let seen = newest[key] {
                skippedOlder += 1
                if seen.fireTime < p.fireTime { newest[key] = p }
            } else {
                newest[key] = p
            }
        }
        if skippedOlder > 0 {
            logger.warning("skipped older missed firings; each schedule and target runs once", metadata: ["skipped": "\(skippedOlder)"])
        }
        for p in due { fired.insert(FiringKey(schedule: p.schedule, target: p.target, fireTime: p.fireTime)) }
        for p in newest.values.sorted(by: { ($0.plannedStart, $0.target) < ($1.plannedStart, $1.target) }) {
            guard let schedule = config.schedules.first(where: { $0.name == p.schedule }),
                  let target = config.target(named: p.target) else { continue }
            let late = now.timeIntervalSince(p.plannedStart)
            if late > lateTolerance && schedule.catchUp == .skip {
                logger.warning("missed firing skipped (catch_up: skip)", metadata: [
                    "schedule": "\(p.schedule)", "target": "\(p.target)", "planned": "\(CaptureRunner.format(p.plannedStart))",
                ])
                continue
            }
            let request = CaptureRequest(target: target, kinds: schedule.kinds, parameters: schedule.parameters)
            await runner.launch(request, schedule: p.schedule, scheduledAt: p.plannedStart)
        }
    }

    /// Captures for the newest firing missed since each target's last snapshot of a
    /// `catch_up: once` schedule, started now plus their stagger offset.
    func catchUp(config: ConfigFile, planner: Planner, now: Date) -> [PlannedCapture] {
        let schedules = config.schedules.filter { $0.catchUp == .once }
        guard !schedules.isEmpty else { return [] }
        let entries: [CatalogEntry]
        do { entries = try store.list(ListFilter()) } catch {
            logger.error("cannot read the catalog for catch-up; nothing is caught up", metadata: ["error": "\(error)"])
            return []
        }
        var lastRun: [String: Date] = [:]
        for e in entries {
            let key = e.schedule + "\u{0}" + e.target
            if lastRun[key].map({ $0 < e.takenAt }) ?? true { lastRun[key] = e.takenAt }
        }
        var out: [PlannedCapture] = []
        for schedule in schedules {
            let spec = schedule.spec
            for target in schedule.targets {
                guard let missed = CatchUp.missedFiring(cron: schedule.cron, timeZone: schedule.timeZone,
                                                         lastRun: lastRun[schedule.name + "\u{0}" + target], now: now, policy: .once)
                else { continue }
                let offset = Planner.offset(schedule: spec, target: target, window: spec.stagger)
                let start = now.addingTimeInterval(offset.timeInterval)
                logger.info("catching up a missed firing", metadata: [
                    "schedule": "\(schedule.name)", "target": "\(target)", "missed": "\(CaptureRunner.format(missed))",
                ])
                out.append(PlannedCapture(schedule: schedule.name, target: target, kinds: spec.kinds, fireTime: missed, offset: offset,
                                          plannedStart: start, plannedEnd: start.addingTimeInterval(spec.estimatedCaptureDuration.timeInterval)))
            }
        }
        return out
    }

    func statusLine(next: PlannedCapture?) async -> String {
        let running = await runner.running
        guard let next else { return "idle; no capture planned; \(running) running" }
        return "next: \(next.schedule)/\(next.target) at \(Timestamp.formatUTC(next.plannedStart)); \(running) running"
    }
}
