import Capture
import Foundation
import Logging
import Snapshotter

/// Runs captures through the `Snapshotter`, at most `maxConcurrent` at once and never two of one
/// target at once; at shutdown, waits for in-flight captures up to a grace period, then cancels them.
actor CaptureRunner {
    let snapshotter: Snapshotter
    let logger: Logger
    private var maxConcurrent: Int
    private var tasks: [UInt64: Task<Void, Never>] = [:]
    private var nextID: UInt64 = 0
    private var busyTargets: Set<String> = []
    private var accepting = true

    init(snapshotter: Snapshotter, maxConcurrent: Int, logger: Logger) {
        self.snapshotter = snapshotter
        self.maxConcurrent = max(1, maxConcurrent)
        self.logger = logger
    }

    /// Captures in flight or waiting for a slot.
    var pending: Int { tasks.count }
    /// Captures running now.
    var running: Int { busyTargets.count }

    func setMaxConcurrent(_ n: Int) { maxConcurrent = max(1, n) }

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
        while busyTargets.count >= maxConcurrent || busyTargets.contains(target) {
            guard await nap(.milliseconds(20)) else { return }
        }
        guard !Task.isCancelled else { return }
        busyTargets.insert(target)
        defer { busyTargets.remove(target) }
        logger.info("capture started", metadata: [
            "schedule": "\(schedule)", "target": "\(target)", "kinds": "\(request.kinds.map(\.rawValue).joined(separator: ","))",
            "planned": "\(Self.format(scheduledAt))",
        ])
        do {
            _ = try await snapshotter.take(request, schedule: schedule, scheduledAt: scheduledAt)
        } catch {
            logger.error("capture not taken", metadata: ["schedule": "\(schedule)", "target": "\(target)", "error": "\(error)"])
        }
    }

    /// Stops accepting captures, waits up to `grace` for in-flight ones, cancels the rest and
    /// waits for them to unwind. Returns how many were cancelled.
    func drain(grace: Duration) async -> Int {
        accepting = false
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
