import Capture
import Config
import DaemonMetrics
import Foundation
import GBSnapCore
import Logging
import SnapshotStore
import Snapshotter
import Triggers

/// What the poller needs to read a signal: one short GET. `Snapshotter` is the real one (its capturer's client).
protocol SignalPolling: Sendable {
    func poll(_ target: PollTarget, path: String, timeout: Duration, limit: Int) async -> PollResult
}

extension Snapshotter: SignalPolling {}

/// Trigger activity for the daemon's STATUS line (and its metrics).
final class TriggerActivity: @unchecked Sendable {
    private let lock = NSLock()
    private var watches = 0
    private var rules = 0
    private var fired = 0
    private var last: (rule: String, target: String, at: Date)?

    func configured(rules: Int, watches: Int) { lock.withLock { (self.rules, self.watches) = (rules, watches) } }

    func fired(rule: String, target: String, at: Date) {
        lock.withLock {
            fired += 1
            last = (rule, target, at)
        }
    }

    /// `triggers: 2 rules on 5 targets, 1 fired (last: leak/api at …)`; nil when no rule is configured.
    var summary: String? {
        lock.withLock {
            guard rules > 0 else { return nil }
            var s = "triggers: \(rules) rule\(rules == 1 ? "" : "s") on \(watches) target\(watches == 1 ? "" : "s"), \(fired) fired"
            if let last { s += " (last: \(last.rule)/\(last.target) at \(Timestamp.formatUTC(last.at)))" }
            return s
        }
    }
}

/// Polls every (rule, target) pair of the config's `triggers:` on its own grid and submits a snapshot
/// through the scheduler's ``CaptureRunner`` when a rule fires (so the concurrency cap, one capture per
/// target and the stacks governor apply as to scheduled captures).
///
/// Polls are spread over each rule's interval (a deterministic phase per pair), short (``TriggerWatch/timeout``),
/// never retried (the next poll is the retry) and never overlap for one pair; a target that does not answer
/// is logged once when it stops and once when it answers again, and cannot fire meanwhile. A reload keeps
/// the rolling window of every pair whose rule did not change.
struct TriggerPoller: Sendable {
    let polling: any SignalPolling
    let taker: any SnapshotTaking
    let state: DaemonState
    let clock: any SchedulerClock
    let activity: TriggerActivity
    let metrics: DaemonMetrics
    let logger: Logger
    /// Polls in flight at most, over all pairs; a pair due while the cap is reached waits for its next slot.
    var maxInFlight = 256
    var maxNap: Duration = .seconds(1)

    /// Runs until cancelled or until the runner is closed (the daemon stops).
    func run(runner: CaptureRunner) async {
        let book = TriggerBook(taker: taker, activity: activity, metrics: metrics, logger: logger)
        var (config, generation) = await state.current()
        var watches = await install(config, book: book)
        var queue = PollQueue(watches, now: clock.now())
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                if await runner.isClosed { return }
                let (current, currentGeneration) = await state.current()
                if currentGeneration != generation {
                    (config, generation) = (current, currentGeneration)
                    watches = await install(config, book: book)
                    queue = PollQueue(watches, now: clock.now())
                }
                let now = clock.now()
                while let (due, index) = queue.first, due <= now {
                    let watch = watches[index]
                    // A pair behind by several intervals polls once, then returns to its grid.
                    queue.replaceFirst(watch.nextPoll(after: now))
                    guard await book.begin(watch.key, limit: maxInFlight) else { continue }
                    group.addTask {
                        await self.poll(watch, book: book, runner: runner)
                        await book.end(watch.key)
                    }
                }
                let untilNext = queue.first.map { max(0, $0.due.timeIntervalSince(clock.now())) } ?? maxNap.timeInterval
                do { try await clock.sleep(for: min(maxNap, .milliseconds(Int64(untilNext * 1000) + 1))) } catch { return }
            }
        }
    }

    /// Builds the pairs of `config`, keeps the windows of unchanged rules, logs what cannot be polled.
    private func install(_ config: ConfigFile, book: TriggerBook) async -> [TriggerWatch] {
        let (watches, problems) = TriggerWatch.all(in: config)
        for problem in problems { logger.error("trigger target not polled", metadata: ["problem": "\(problem)"]) }
        let kept = await book.keep(watches)
        activity.configured(rules: config.triggers.count, watches: watches.count)
        if !config.triggers.isEmpty {
            logger.info("triggers polling", metadata: [
                "rules": "\(config.triggers.map(\.rule.name).joined(separator: ","))", "pairs": "\(watches.count)", "windows_kept": "\(kept)",
            ])
        }
        return watches
    }

    /// One poll of one pair: the cheapest source, then its fallback when the first answers without the value.
    func poll(_ watch: TriggerWatch, book: TriggerBook, runner: CaptureRunner) async {
        let plan = SignalSource.plan(watch.trigger)
        var problem = ""
        for (i, source) in plan.enumerated() {
            let path = source.path(on: watch.pollTarget)
            let hasFallback = i + 1 < plan.count
            switch await polling.poll(watch.pollTarget, path: path, timeout: watch.timeout, limit: source.limit) {
            case .failed(let message, let status):
                problem = message
                if hasFallback && status == 404 { continue }
            case .body(let body, _):
                switch source.reading(watch.rule.signal, body: body) {
                case .success(let raw):
                    await book.observe(watch, raw: raw, source: source, at: clock.now(), runner: runner)
                    return
                case .failure(let why):
                    problem = "target \"\(watch.target.name)\" at \(watch.pollTarget.redactedURL): GET \(path): \(why.text)"
                    if hasFallback { continue }
                }
            }
            break
        }
        await book.failed(watch, problem)
    }
}

/// The rolling state of every pair, and what was last logged of each: one actor, fed by the polls.
actor TriggerBook {
    private var states: [String: TriggerState] = [:]
    private var answering: [String: Bool] = [:]
    private var heldLogged: Set<String> = []
    private var inFlight: Set<String> = []
    let taker: any SnapshotTaking
    let activity: TriggerActivity
    let metrics: DaemonMetrics
    let logger: Logger

    init(taker: any SnapshotTaking, activity: TriggerActivity, metrics: DaemonMetrics, logger: Logger) {
        self.taker = taker
        self.activity = activity
        self.metrics = metrics
        self.logger = logger
    }

    /// Keeps the state of pairs whose rule is unchanged, drops the rest; returns how many were kept.
    func keep(_ watches: [TriggerWatch]) -> Int {
        var next: [String: TriggerState] = [:]
        for w in watches {
            if let s = states[w.key], s.rule == w.rule { next[w.key] = s }
        }
        let keys = Set(watches.map(\.key))
        answering = answering.filter { keys.contains($0.key) }
        heldLogged = heldLogged.filter { keys.contains($0) }
        states = next
        return next.count
    }

    /// Claims a poll of `key`: false while one is in flight for it, or `limit` are in flight in all.
    func begin(_ key: String, limit: Int) -> Bool {
        guard inFlight.count < limit, !inFlight.contains(key) else { return false }
        inFlight.insert(key)
        return true
    }

    func end(_ key: String) { inFlight.remove(key) }

    /// A poll that got no value: logged when the pair stops answering, never judged.
    func failed(_ watch: TriggerWatch, _ problem: String) {
        metrics.triggerPolled(rule: watch.rule.name, target: watch.target.name, outcome: "failed")
        guard answering[watch.key] != false else { return }
        answering[watch.key] = false
        logger.warning("trigger poll failing; the rule cannot fire for this target until it answers", metadata: [
            "trigger": "\(watch.rule.name)", "target": "\(watch.target.name)", "problem": "\(problem)",
        ])
    }

    /// Judges one reading; on a firing, looks up the target's latest snapshot and submits the capture.
    func observe(_ watch: TriggerWatch, raw: Double, source: SignalSource, at time: Date, runner: CaptureRunner) async {
        let key = watch.key
        let metadata: Logger.Metadata = ["trigger": "\(watch.rule.name)", "target": "\(watch.target.name)"]
        metrics.triggerPolled(rule: watch.rule.name, target: watch.target.name, outcome: "ok")
        if answering[key] == false { logger.info("trigger poll answering again", metadata: metadata) }
        answering[key] = true
        var state = states[key] ?? TriggerState(rule: watch.rule)
        let signal = watch.rule.signal
        let value: Double
        if signal.isRate {
            let scale = SignalReaders.counterScale(signal, fromVars: source.fromVars)
            guard let rate = state.rate(counter: raw, at: time, scale: scale) else {
                states[key] = state
                return
            }
            value = rate
        } else {
            value = raw
        }
        let wasArmed = state.armed
        let decision = state.observe(value, at: time)
        states[key] = state
        switch decision {
        case .quiet:
            heldLogged.remove(key)
            if !wasArmed { logger.info("trigger re-armed: its condition no longer holds", metadata: metadata.merging(["value": "\(value)"]) { a, _ in a }) }
        case .held(let why):
            guard heldLogged.insert(key).inserted else { return }
            // Staying over after a firing is the normal case; a cooldown or the hourly cap holding a new rise is news.
            logger.log(level: wasArmed ? .info : .debug, "trigger condition holds but the rule does not fire",
                       metadata: metadata.merging(["value": "\(value)", "why": "\(why)"]) { a, _ in a })
        case .fire(let firing):
            heldLogged.remove(key)
            let previous = await taker.latestSnapshotID(target: watch.target.name)
            let record = Manifest.TriggerRecord(
                rule: watch.rule.name, signal: signal.rawValue, source: source.name, observed: firing.observed,
                baseline: firing.baseline, reason: firing.reason, samples: firing.samples, polledAt: time, previousSnapshot: previous)
            logger.notice("trigger fired", metadata: metadata.merging([
                "signal": "\(signal.rawValue)", "observed": "\(firing.observed)", "baseline": "\(firing.baseline)",
                "reason": "\(firing.reason)", "kinds": "\(watch.trigger.kinds.map(\.rawValue).joined(separator: ","))",
            ]) { a, _ in a })
            activity.fired(rule: watch.rule.name, target: watch.target.name, at: time)
            metrics.triggerFired(rule: watch.rule.name, target: watch.target.name)
            await runner.submit(CaptureRequest(target: watch.target, kinds: watch.trigger.kinds, parameters: watch.trigger.parameters),
                                schedule: watch.rule.scheduleName, scheduledAt: time, trigger: record)
        }
    }
}

/// The next poll time of every pair: a binary min-heap of (due, index into the watches).
struct PollQueue {
    private var heap: [(due: Date, index: Int)] = []

    init(_ watches: [TriggerWatch], now: Date) {
        heap = watches.enumerated().map { ($0.element.nextPoll(after: now), $0.offset) }
        heap.sort { $0.due < $1.due }  // a sorted array is a valid heap
    }

    var first: (due: Date, index: Int)? { heap.first }

    /// Gives the first pair its next due time and restores the heap.
    mutating func replaceFirst(_ due: Date) {
        guard !heap.isEmpty else { return }
        heap[0].due = due
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].due < heap[m].due { m = l }
            if r < heap.count && heap[r].due < heap[m].due { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
