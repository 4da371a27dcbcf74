import Capture
import Config
import DaemonMetrics
import Foundation
import GBSnapCore
import Logging
import Scheduling
import ServiceLifecycle
import SnapshotStore

/// Fires the planned captures and runs them.
///
/// One loop asks ``FiringPlan`` what is due at the wall-clock time, hands those captures to the
/// ``CaptureRunner`` (the concurrency cap and one capture per target), and sleeps on elapsed time
/// until the next planned start, in naps of at most `maxNap` so a wall-clock change or a reload is
/// noticed. Captures run as child tasks of one task group, so none outlives the service.
///
/// At start, `catch_up: once` schedules catch up the newest firing missed since their last snapshot
/// in the catalog. On graceful shutdown: `STOPPING=1`, no new captures, captures in flight get
/// `gracePeriod` to finish, and are then cancelled (at once when the store failed: nothing they
/// take can be stored).
struct SchedulerService: Service {
    let taker: any SnapshotTaking
    let state: DaemonState
    let clock: any SchedulerClock
    let notifier: SystemdNotifier
    let gracePeriod: Duration
    let logger: Logger
    var horizon: TimeInterval = 300
    var maxNap: Duration = .seconds(1)
    var lateTolerance: TimeInterval = 60
    /// The trigger poller, run beside the scheduling loop on the same runner; nil runs no triggers.
    var triggers: TriggerPoller?
    var metrics = DaemonMetrics(version: GBSnapVersion.current)

    func run() async throws {
        let runner = CaptureRunner(taker: taker, maxConcurrent: await state.config.maxConcurrent, logger: logger, metrics: metrics)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await cancelWhenGracefulShutdown { await self.loop(runner: runner) }
                    let inFlight = await runner.close()
                    guard inFlight > 0 else { return }
                    if await runner.storeFailure == nil {
                        // Cancelled early (below) when every capture finishes within the grace period.
                        try? await clock.sleep(for: gracePeriod)
                    }
                    await runner.expireGrace()
                }
                if let triggers {
                    // Ends on shutdown, or when the runner closes because the store failed.
                    group.addTask { await cancelWhenGracefulShutdown { await triggers.run(runner: runner) } }
                }
                for await event in runner.events {
                    switch event {
                    case .start(let capture):
                        group.addTask { await runner.run(capture) }
                    case .cancelInFlight:
                        group.cancelAll()
                    }
                }
                // Every capture is done: stop the grace timer if it still runs.
                group.cancelAll()
            }
        } onGracefulShutdown: { [notifier, logger, gracePeriod] in
            notifier.notify("STOPPING=1\nSTATUS=stopping; waiting for in-flight captures")
            logger.info("stopping", metadata: ["grace_period": "\(DurationParser.format(gracePeriod))"])
        }
        let (inFlight, cancelled) = (await runner.inFlightAtClose, await runner.cancelled)
        logger.info("scheduler stopped", metadata: ["in_flight": "\(inFlight)", "cancelled": "\(cancelled)"])
        if let failure = await runner.storeFailure { throw failure }
    }

    /// Plans and submits captures until cancelled (graceful shutdown) or until the store fails.
    func loop(runner: CaptureRunner) async {
        var (config, generation) = await state.current()
        let start = clock.now()
        var plan = FiringPlan(config: config, now: start, caughtUp: await catchUp(config: config, now: start),
                              horizon: horizon, lateTolerance: lateTolerance)
        var lastStatus = ""
        while !Task.isCancelled {
            if await runner.storeFailure != nil { return }
            metrics.health.heartbeat()
            let now = clock.now()
            let (current, currentGeneration) = await state.current()
            if currentGeneration != generation {
                config = current
                generation = currentGeneration
                plan.reload(config, now: now)
                await runner.setMaxConcurrent(config.maxConcurrent)
                logger.info("schedule re-planned after reload", metadata: ["pending": "\(plan.queue.count)"])
            }
            let step = plan.advance(to: now)
            log(step, now: now)
            for s in step.start {
                await runner.submit(s.request, schedule: s.planned.schedule, scheduledAt: s.planned.plannedStart)
            }
            let status = await statusLine(next: plan.queue.first, runner: runner)
            if status != lastStatus {
                notifier.notify("STATUS=\(status)")
                lastStatus = status
            }
            let untilNext = max(0, plan.nextWake.timeIntervalSince(clock.now()))
            do { try await clock.sleep(for: min(maxNap, .milliseconds(Int64(untilNext * 1000) + 1))) } catch { return }
        }
    }

    func log(_ step: FiringPlan.Step, now: Date) {
        if let plannedUntil = step.clockJumpedPast {
            logger.warning("wall clock moved past the planned window (suspend or clock change)",
                           metadata: ["planned_until": "\(CaptureRunner.format(plannedUntil))", "now": "\(CaptureRunner.format(now))"])
        }
        if step.skippedOlder > 0 {
            logger.warning("skipped older missed firings; each schedule and target runs once", metadata: ["skipped": "\(step.skippedOlder)"])
        }
        for p in step.skippedLate {
            logger.warning("missed firing skipped (catch_up: skip)", metadata: [
                "schedule": "\(p.schedule)", "target": "\(p.target)", "planned": "\(CaptureRunner.format(p.plannedStart))",
            ])
        }
    }

    /// The catch-up captures for `catch_up: once` schedules, from the catalog's last run of each
    /// schedule and target (read on the store threads).
    func catchUp(config: ConfigFile, now: Date) async -> [PlannedCapture] {
        guard config.schedules.contains(where: { $0.catchUp == .once }) else { return [] }
        let entries: [CatalogEntry]
        do { entries = try await taker.catalog() } catch {
            logger.error("cannot read the catalog for catch-up; nothing is caught up", metadata: ["error": "\(error)"])
            return []
        }
        var lastRuns: [String: Date] = [:]
        for e in entries {
            let key = FiringPlan.runKey(schedule: e.schedule, target: e.target)
            if lastRuns[key].map({ $0 < e.takenAt }) ?? true { lastRuns[key] = e.takenAt }
        }
        let caughtUp = FiringPlan.catchUp(config: config, lastRuns: lastRuns, now: now)
        for p in caughtUp {
            logger.info("catching up a missed firing", metadata: [
                "schedule": "\(p.schedule)", "target": "\(p.target)", "missed": "\(CaptureRunner.format(p.fireTime))",
            ])
        }
        return caughtUp
    }

    func statusLine(next: PlannedCapture?, runner: CaptureRunner) async -> String {
        let running = await runner.running
        let triggerPart = triggers?.activity.summary.map { "; \($0)" } ?? ""
        guard let next else { return "idle; no capture planned; \(running) running" + triggerPart }
        return "next: \(next.schedule)/\(next.target) at \(Timestamp.formatUTC(next.plannedStart)); \(running) running" + triggerPart
    }
}
