import Capture
import DaemonMetrics
import Foundation
import Logging
import Snapshotter
import SnapshotStore

/// Decides when each submitted capture may run: at most `maxConcurrent` at once, never two of one
/// target at once, in submission (planned) order. It does not run them: each capture granted a
/// slot is announced on ``events``, and `SchedulerService` runs it as a child task of its task group.
///
/// A capture whose target is busy keeps its place in the queue while later ones pass it, so one
/// slow target delays only its own captures, and no waiting capture is passed over for a free slot.
actor CaptureRunner {
    /// A capture to run.
    struct Capture: Sendable {
        let request: CaptureRequest
        let schedule: String
        let scheduledAt: Date
        /// Why a trigger fired, for a triggered capture.
        var trigger: Manifest.TriggerRecord?
        var target: String { request.target.name }
    }

    /// What the task group running the captures must do.
    enum Event: Sendable {
        /// Run this capture now (its slot is taken; ``run(_:)`` frees it).
        case start(Capture)
        /// The grace period after shutdown ran out: cancel the captures still running.
        case cancelInFlight
    }

    /// Ends once the runner is closed and no capture runs any more.
    nonisolated let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    let taker: any SnapshotTaking
    let logger: Logger
    private var maxConcurrent: Int
    private var waiting: [Capture] = []
    private var busyTargets: Set<String> = []
    private var closed = false
    /// Captures running when the runner was closed, and those still running when the grace period ran out.
    private(set) var inFlightAtClose = 0
    private(set) var cancelled = 0
    /// Set when a snapshot could not be stored and the store fails `checkWritable`: the daemon
    /// cannot do its job and stops (non-zero, so systemd restarts it and the failure is visible).
    private(set) var storeFailure: DaemonError?
    private var health = TargetHealth()
    let metrics: DaemonMetrics

    init(taker: any SnapshotTaking, maxConcurrent: Int, logger: Logger, metrics: DaemonMetrics = DaemonMetrics(version: GBSnapVersion.current)) {
        self.taker = taker
        self.metrics = metrics
        self.maxConcurrent = max(1, maxConcurrent)
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    /// Captures running now.
    var running: Int { busyTargets.count }
    /// Captures waiting for a slot.
    var queued: Int { waiting.count }

    func setMaxConcurrent(_ n: Int) {
        maxConcurrent = max(1, n)
        grantSlots()
    }

    /// True once shutdown began (or the store failed): nothing more is granted.
    var isClosed: Bool { closed }

    /// Queues one capture (ignored once closed).
    func submit(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord? = nil) {
        guard !closed else { return }
        waiting.append(Capture(request: request, schedule: schedule, scheduledAt: scheduledAt, trigger: trigger))
        grantSlots()
    }

    /// Grants free slots in queue order; a capture whose target is busy keeps its place.
    private func grantSlots() {
        var i = 0
        while i < waiting.count && busyTargets.count < maxConcurrent {
            if busyTargets.contains(waiting[i].target) {
                i += 1
                continue
            }
            let capture = waiting.remove(at: i)
            busyTargets.insert(capture.target)
            continuation.yield(.start(capture))
        }
    }

    /// Takes one granted capture's snapshot, then frees its slot.
    func run(_ capture: Capture) async {
        defer { release(capture.target) }
        logger.info("capture started", metadata: [
            "schedule": "\(capture.schedule)", "target": "\(capture.target)",
            "kinds": "\(capture.request.kinds.map(\.rawValue).joined(separator: ","))", "planned": "\(Self.format(capture.scheduledAt))",
        ])
        metrics.captureStarted(lateness: .seconds(Date().timeIntervalSince(capture.scheduledAt)))
        let started = ContinuousClock.now
        do {
            let taken = try await taker.takeRecorded(capture.request, schedule: capture.schedule, scheduledAt: capture.scheduledAt,
                                                     trigger: capture.trigger)
            metrics.recordSnapshot(taken)
            await logHealth(of: taken)
        } catch {
            for kind in capture.request.kinds {
                metrics.captureFinished(target: capture.target, kind: kind.rawValue, status: .failed,
                                        duration: ContinuousClock.now - started, bytes: 0)
            }
            logger.error("capture not taken", metadata: ["schedule": "\(capture.schedule)", "target": "\(capture.target)", "error": "\(error)"])
            if error is StoreError, storeFailure == nil { await checkStore() }
        }
    }

    /// One failed write may be a passing problem; a store that fails the probe too stops the daemon.
    private func checkStore() async {
        do { try await taker.checkWritable() } catch {
            guard storeFailure == nil else { return }
            storeFailure = DaemonError(.storeFailed, underlying: error,
                                       "\(error); no snapshot can be stored, so the daemon stops (fix the store, then restart it)")
        }
    }

    private func release(_ target: String) {
        busyTargets.remove(target)
        grantSlots()
        finishIfDone()
    }

    /// One line when a target starts failing (with each failed artifact's reason) or recovers; a
    /// target that stays down keeps getting failed snapshots, without a line each.
    private func logHealth(of taken: TakenSnapshot) async {
        let entry = taken.entry
        switch health.record(target: entry.target, failedKinds: entry.failedKinds) {
        case nil:
            return
        case .failing(let kinds)?:
            var metadata: Logger.Metadata = ["target": "\(entry.target)", "kinds": "\(kinds.joined(separator: ","))", "id": "\(entry.id)"]
            let known = taken.failureReasons
            let reasons = known.isEmpty ? await taker.failureReasons(of: entry) : known
            if !reasons.isEmpty { metadata["reasons"] = "\(reasons.joined(separator: "; "))" }
            logger.warning("target failing; its snapshots are still stored, and the log says when this changes", metadata: metadata)
        case .recovered(let failed)?:
            logger.info("target recovered", metadata: ["target": "\(entry.target)", "failed_snapshots": "\(failed)", "id": "\(entry.id)"])
        }
    }

    /// Stops granting: queued captures are dropped, running ones go on. Returns how many run.
    @discardableResult
    func close() -> Int {
        if !closed {
            closed = true
            waiting = []
            inFlightAtClose = busyTargets.count
        }
        finishIfDone()
        return busyTargets.count
    }

    /// The grace period ran out: asks for the captures still running to be cancelled.
    func expireGrace() {
        guard closed, !busyTargets.isEmpty else { return }
        cancelled = busyTargets.count
        continuation.yield(.cancelInFlight)
    }

    private func finishIfDone() {
        if closed && busyTargets.isEmpty { continuation.finish() }
    }

    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
