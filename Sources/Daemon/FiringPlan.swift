import Capture
import Config
import Foundation
import Scheduling

/// The scheduler's decisions without clocks or I/O: given the wall-clock time, which planned
/// captures start now, and which missed firings are skipped. `SchedulerService` feeds it the time
/// on every wake and carries out what it says; tests feed it any time they like.
///
/// - A rolling window (`horizon`) is planned ahead with `Planner` and extended as time passes.
/// - A capture starts once its planned start has passed, and then leaves the queue, so a wall
///   clock set back never starts it twice (the queue waits until the clock catches up).
/// - After a suspend or a wall clock set forward past the planned window, only the newest missed
///   firing of each schedule is planned (no burst); of all due firings of one (schedule, target)
///   only the newest is considered, and it starts if it is at most `lateTolerance` late, or with
///   `catch_up: once`.
struct FiringPlan {
    /// A firing of one schedule on one target: what must never start twice.
    struct FiringKey: Hashable {
        var schedule: String
        var target: String
        var fireTime: Date
    }

    /// A capture to start now.
    struct Start: Sendable, Equatable {
        var planned: PlannedCapture
        var request: CaptureRequest
    }

    /// What one wake decided.
    struct Step: Equatable {
        /// Captures to start, in planned order.
        var start: [Start] = []
        /// Missed firings not started (more than `lateTolerance` late, `catch_up: skip`).
        var skippedLate: [PlannedCapture] = []
        /// Older due firings of a (schedule, target) dropped for its newest one.
        var skippedOlder = 0
        /// The end of the planned window, when the wall clock had moved past it (suspend or clock change).
        var clockJumpedPast: Date?
    }

    let horizon: TimeInterval
    let lateTolerance: TimeInterval
    private(set) var config: ConfigFile
    private var planner: Planner
    /// Planned captures not started yet, in planned-start order.
    private(set) var queue: [PlannedCapture]
    /// The planned window ends here.
    private(set) var windowEnd: Date
    private var fired: Set<FiringKey> = []
    private var nextPrune: Date

    /// A plan starting at `now`, with `caughtUp` (see ``catchUp(config:lastRuns:now:)``) in the queue.
    init(config: ConfigFile, now: Date, caughtUp: [PlannedCapture] = [], horizon: TimeInterval = 300, lateTolerance: TimeInterval = 60) {
        self.config = config
        self.horizon = horizon
        self.lateTolerance = lateTolerance
        planner = config.planner(modelConcurrencyCap: false)
        queue = caughtUp
        windowEnd = now
        nextPrune = now
    }

    /// When the next capture is planned to start (or the window to be extended).
    var nextWake: Date { queue.first?.plannedStart ?? windowEnd }

    /// Switches to a reloaded config. Re-plans from the oldest pending firing, so firings whose
    /// stagger has not elapsed yet still run (under the new config), skipping what already started.
    mutating func reload(_ new: ConfigFile, now: Date) {
        let from = min(queue.map(\.fireTime).min() ?? now, now)
        config = new
        planner = new.planner(modelConcurrencyCap: false)
        windowEnd = now.addingTimeInterval(horizon)
        queue = planner.plan(from: from, until: windowEnd)
        sortQueue()
    }

    /// Everything due at wall-clock time `now`.
    mutating func advance(to now: Date) -> Step {
        var step = Step()
        if now >= windowEnd.addingTimeInterval(1) {
            // Suspended or the wall clock jumped forward past the planned window: plan only the
            // newest missed firing of each schedule.
            for schedule in config.schedules {
                guard let f = CatchUp.missedFiring(cron: schedule.cron, timeZone: schedule.timeZone,
                                                   lastRun: windowEnd.addingTimeInterval(-0.001), now: now, policy: .once)
                else { continue }
                queue += planner.plan(from: f, until: f.addingTimeInterval(0.001)).filter { $0.schedule == schedule.name }
            }
            step.clockJumpedPast = windowEnd
            windowEnd = now
        }
        if windowEnd < now.addingTimeInterval(horizon / 2) {
            let until = max(windowEnd, now).addingTimeInterval(horizon)
            queue += planner.plan(from: windowEnd, until: until)
            windowEnd = until
        }
        sortQueue()
        let dueCount = queue.prefix { $0.plannedStart <= now }.count
        if dueCount > 0 {
            let due = Array(queue.prefix(dueCount))
            queue.removeFirst(dueCount)
            decide(due, now: now, into: &step)
        }
        if now >= nextPrune {
            // Keys only guard against re-planning an hour's firings twice (reloads, clock set back).
            fired = fired.filter { $0.fireTime > now.addingTimeInterval(-3_600) }
            nextPrune = now.addingTimeInterval(60)
        }
        return step
    }

    private mutating func sortQueue() {
        queue.sort { ($0.plannedStart, $0.schedule, $0.target) < ($1.plannedStart, $1.schedule, $1.target) }
    }

    private mutating func decide(_ due: [PlannedCapture], now: Date, into step: inout Step) {
        var newest: [String: PlannedCapture] = [:]
        for p in due where !fired.contains(FiringKey(schedule: p.schedule, target: p.target, fireTime: p.fireTime)) {
            let key = p.schedule + "\u{0}" + p.target
            if let seen = newest[key] {
                // The same firing can be planned twice (the window, then a clock jump past it).
                guard seen.fireTime != p.fireTime else { continue }
                step.skippedOlder += 1
                if seen.fireTime < p.fireTime { newest[key] = p }
            } else {
                newest[key] = p
            }
        }
        for p in due { fired.insert(FiringKey(schedule: p.schedule, target: p.target, fireTime: p.fireTime)) }
        for p in newest.values.sorted(by: { ($0.plannedStart, $0.target) < ($1.plannedStart, $1.target) }) {
            guard let schedule = config.schedules.first(where: { $0.name == p.schedule }),
                  let target = config.target(named: p.target) else { continue }
            if now.timeIntervalSince(p.plannedStart) > lateTolerance && schedule.catchUp == .skip {
                step.skippedLate.append(p)
                continue
            }
            step.start.append(Start(planned: p, request: CaptureRequest(target: target, kinds: schedule.kinds, parameters: schedule.parameters)))
        }
    }

    /// The newest firing each target of a `catch_up: once` schedule missed since its last snapshot
    /// of that schedule (`lastRuns`, keyed by ``runKey(schedule:target:)``), planned to start at
    /// `now` plus the target's stagger offset. A target with no recorded run catches nothing up.
    static func catchUp(config: ConfigFile, lastRuns: [String: Date], now: Date) -> [PlannedCapture] {
        var out: [PlannedCapture] = []
        for schedule in config.schedules where schedule.catchUp == .once {
            let spec = schedule.spec
            for target in schedule.targets {
                guard let missed = CatchUp.missedFiring(cron: schedule.cron, timeZone: schedule.timeZone,
                                                         lastRun: lastRuns[runKey(schedule: schedule.name, target: target)],
                                                         now: now, policy: .once)
                else { continue }
                let offset = Planner.offset(schedule: spec, target: target, window: spec.stagger)
                let start = now.addingTimeInterval(offset.timeInterval)
                out.append(PlannedCapture(schedule: schedule.name, target: target, kinds: spec.kinds, fireTime: missed, offset: offset,
                                          plannedStart: start, plannedEnd: start.addingTimeInterval(spec.estimatedCaptureDuration.timeInterval)))
            }
        }
        return out
    }

    /// The key of ``catchUp(config:lastRuns:now:)``'s `lastRuns`.
    static func runKey(schedule: String, target: String) -> String { schedule + "\u{0}" + target }
}
