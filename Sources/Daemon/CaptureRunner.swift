import Capture
import Foundation
import Logging
import SnapshotStore
import Snapshotter

/// Runs captures through the `Snapshotter`, at most `maxConcurrent` at once and never two of one
/// target at once; at shutdown, waits for in-flight captures up to a grace period, then cancels them.
///
/// Captures waiting for a slot queue in launch (planned) order and are woken when a slot frees,
/// so a firing of thousands of targets costs nothing while it waits.
actor CaptureRunner {
    let snapshotter: Snapshotter
    let logger: Logger
    private var maxConcurrent: Int
    private var tasks: [UInt64: Task<Void, Never>] = [:]
    private var nextID: UInt64 = 0
    private var busyTargets: Set<String> = []
    private var waiters: [Waiter] = []
    private var accepting = true
    /// Set when a snapshot could not be stored and the store fails `checkWritable`: the daemon
    /// cannot do its job and stops (non-zero, so systemd restarts it and the failure is visible).
    private(set) var storeFailure: DaemonError?
    private var health = TargetHealth()

    private struct Waiter {
        let id: UInt64
        let target: String
        let continuation: CheckedContinuation<Bool, Never>
    }

    init(snapshotter: Snapshotter, maxConcurrent: Int, logger: Logger) {
        self.snapshotter = snapshotter
        self.maxConcurrent = max(1, maxConcurrent)
        self.logger = logger
    }

    /// Captures in flight or waiting for a slot.
    var pending: Int { tasks.count }
    /// Captures running now.
    var running: Int { busyTargets.count }

    func setMaxConcurrent(_ n: Int) {
        maxConcurrent = max(1, n)
        grantSlots()
    }

    /// Starts one capture in the background (ignored once shutdown began).
    func launch(_ request: CaptureRequest, schedule: String, scheduledAt: Date) {
        guard accepting else { return }
        nextID += 1
        let id = nextID
        tasks[id] = Task { await self.execute(id: id, request: request, schedule: schedule, scheduledAt: scheduledAt) }
    }

    private func execute(id: UInt64, request: CaptureRequest, schedule: String, scheduledAt: Date) async {
        defer { tasks[id] = nil }
        let target = request.target.name
        // A capture that outlived its planned end delays the next one of the same target.
        guard await acquireSlot(id: id, target: target) else { return }
        defer { releaseSlot(target: target) }
        logger.info("capture started", metadata: [
            "schedule": "\(schedule)", "target": "\(target)", "kinds": "\(request.kinds.map(\.rawValue).joined(separator: ","))",
            "planned": "\(Self.format(scheduledAt))",
        ])
        do {
            let entry = try await snapshotter.take(request, schedule: schedule, scheduledAt: scheduledAt)
            logHealth(of: entry)
        } catch {
            logger.error("capture not taken", metadata: ["schedule": "\(schedule)", "target": "\(target)", "error": "\(error)"])
            if error is StoreError, storeFailure == nil {
                do { try snapshotter.store.checkWritable() } catch {
                    storeFailure = DaemonError("\(error); no snapshot can be stored, so the daemon stops (fix the store, then restart it)")
                }
            }
        }
    }

    /// One line when a target starts failing (with each failed artifact's reason) or recovers; a
    /// target that stays down keeps getting failed snapshots, without a line each.
    private func logHealth(of entry: CatalogEntry) {
        switch health.record(target: entry.target, failedKinds: entry.failedKinds) {
        case nil:
            return
        case .failing(let kinds)?:
            var metadata: Logger.Metadata = ["target": "\(entry.target)", "kinds": "\(kinds.joined(separator: ","))", "id": "\(entry.id)"]
            let store = snapshotter.store
            if let manifest = try? store.readManifest(archivePath: store.path(forKey: entry.key)) {
                let reasons = manifest.artifacts.compactMap { a in a.error.map { "\(a.name): \($0)" } }
                metadata["reasons"] = "\(reasons.joined(separator: "; "))"
            }
            logger.warning("target failing; its snapshots are still stored, and the log says when this changes", metadata: metadata)
        case .recovered(let failed)?:
            logger.info("target recovered", metadata: ["target": "\(entry.target)", "failed_snapshots": "\(failed)", "id": "\(entry.id)"])
        }
    }

    /// Waits for a free slot and a free target, in launch order. False when cancelled first.
    private func acquireSlot(id: UInt64, target: String) async -> Bool {
        if waiters.isEmpty && canStart(target) {
            busyTargets.insert(target)
            return true
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                if Task.isCancelled || !accepting {
                    continuation.resume(returning: false)
                } else {
                    waiters.append(Waiter(id: id, target: target, continuation: continuation))
                    grantSlots()
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id: id) }
        }
    }

    private func canStart(_ target: String) -> Bool {
        busyTargets.count < maxConcurrent && !busyTargets.contains(target)
    }

    private func releaseSlot(target: String) {
        busyTargets.remove(target)
        grantSlots()
    }

    /// Wakes waiters in order while slots are free; one whose target is busy keeps its place.
    private func grantSlots() {
        var i = 0
        while i < waiters.count && busyTargets.count < maxConcurrent {
            let w = waiters[i]
            if busyTargets.contains(w.target) {
                i += 1
                continue
            }
            waiters.remove(at: i)
            busyTargets.insert(w.target)
            w.continuation.resume(returning: true)
        }
    }

    private func cancelWaiter(id: UInt64) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: i).continuation.resume(returning: false)
    }

    /// Stops accepting captures, waits up to `grace` for in-flight ones, cancels the rest and
    /// waits for them to unwind. Returns how many were cancelled.
    func drain(grace: Duration) async -> Int {
        accepting = false
        // Captures still waiting for a slot do not start any more.
        let waiting = waiters
        waiters = []
        for w in waiting { w.continuation.resume(returning: false) }
        let deadline = ContinuousClock.now + grace
        while !tasks.isEmpty && ContinuousClock.now < deadline {
            if !(await nap(.milliseconds(50))) { break }
        }
        let remaining = Array(tasks.values)
        for task in remaining { task.cancel() }
        for task in remaining { await task.value }
        return remaining.count
    }

    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
