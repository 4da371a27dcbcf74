import Capture
import Config
import Foundation
import Logging
import SnapshotStore
@testable import Daemon

/// A scheduler clock the test drives: wall-clock time and elapsed time move only when the test
/// says. `advance(by:)` is time passing (both move, sleepers wake); `setWall(_:)` is someone
/// setting the clock (only the wall clock moves, no sleeper wakes).
final class TestClock: SchedulerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var wall: Date
    private var elapsed: Duration = .zero
    private var nextID: UInt64 = 0
    private var sleepers: [(id: UInt64, deadline: Duration, length: Duration, continuation: CheckedContinuation<Void, any Error>)] = []
    private var sleeperWaiters: [(count: Int, length: Duration?, continuation: CheckedContinuation<Void, Never>)] = []
    private var finished = false

    init(_ start: Date) { wall = start }

    func now() -> Date { locked { wall } }

    func sleep(for duration: Duration) async throws {
        let id: UInt64 = locked { nextID += 1; return nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if Task.isCancelled {
                    lock.unlock()
                    c.resume(throwing: CancellationError())
                    return
                }
                sleepers.append((id, elapsed + max(duration, .zero), duration, c))
                let ready = takeWaiters()
                lock.unlock()
                for w in ready { w.resume() }
            }
        } onCancel: {
            lock.lock()
            let i = sleepers.firstIndex { $0.id == id }
            let c = i.map { sleepers.remove(at: $0).continuation }
            lock.unlock()
            c?.resume(throwing: CancellationError())
        }
    }

    /// Time passes: both clocks move by `duration`, and every sleep that ends by then returns.
    func advance(by duration: Duration) {
        lock.lock()
        elapsed += duration
        wall = wall.addingTimeInterval(duration.timeInterval)
        let due = sleepers.filter { $0.deadline <= elapsed }
        sleepers.removeAll { $0.deadline <= elapsed }
        lock.unlock()
        for s in due { s.continuation.resume() }
    }

    /// The wall clock is set (by NTP or an admin): no time elapses.
    func setWall(_ date: Date) { locked { wall = date } }

    /// How many tasks sleep on this clock now.
    var sleeping: Int { locked { sleepers.count } }

    /// Waits until at least `count` tasks sleep on this clock (the scheduler is idle again), or,
    /// with `length`, until a task sleeps for exactly that long (e.g. the shutdown grace period).
    /// Returns at once after ``finish()``.
    func waitForSleepers(_ count: Int = 1, length: Duration? = nil) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if finished || satisfied(count, length) {
                lock.unlock()
                c.resume()
            } else {
                sleeperWaiters.append((count, length, c))
                lock.unlock()
            }
        }
    }

    /// Nobody will sleep on this clock any more (the service returned): waiting ends.
    func finish() {
        lock.lock()
        finished = true
        let waiters = sleeperWaiters.map(\.continuation)
        sleeperWaiters = []
        lock.unlock()
        for w in waiters { w.resume() }
    }

    private func satisfied(_ count: Int, _ length: Duration?) -> Bool {
        if let length { return sleepers.contains { $0.length == length } }
        return sleepers.count >= count
    }

    /// Lets `duration` pass one wake at a time: each sleeper wakes at its own deadline, and the
    /// next step waits until the scheduler sleeps again, like real time on an idle machine.
    func run(for duration: Duration) async {
        let end: Duration = locked { elapsed + duration }
        while locked({ elapsed < end && !finished }) {
            await waitForSleepers()
            let step: Duration = locked { max(.zero, min(sleepers.map(\.deadline).min() ?? end, end) - elapsed) }
            advance(by: step)
        }
    }

    private func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        let ready = sleeperWaiters.filter { satisfied($0.count, $0.length) }.map(\.continuation)
        sleeperWaiters.removeAll { satisfied($0.count, $0.length) }
        return ready
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// A snapshot taker that stores nothing: it records every capture with the test clock's time,
/// and, when `gated`, holds each one until the test releases its target.
actor FakeTaker: SnapshotTaking {
    struct Take: Sendable, Equatable {
        var schedule: String
        var target: String
        var scheduledAt: Date
        var startedAt: Date
    }

    let clock: TestClock
    let gated: Bool
    var catalogEntries: [CatalogEntry] = []
    /// Thrown by every `take` (and by `checkWritable`) when set.
    var storeError: StoreError?
    private(set) var takes: [Take] = []
    private(set) var finished: [Take] = []
    private(set) var running: Set<String> = []
    private(set) var mostRunning = 0
    private var gates: [String: CheckedContinuation<Bool, Never>] = [:]
    private var takeWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(clock: TestClock, gated: Bool = false, catalog: [CatalogEntry] = [], storeError: StoreError? = nil) {
        self.clock = clock
        self.gated = gated
        catalogEntries = catalog
        self.storeError = storeError
    }

    func take(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord?) async throws -> CatalogEntry {
        let t = Take(schedule: schedule, target: request.target.name, scheduledAt: scheduledAt, startedAt: clock.now())
        takes.append(t)
        running.insert(t.target)
        mostRunning = max(mostRunning, running.count)
        let ready = takeWaiters.filter { takes.count >= $0.count }
        takeWaiters.removeAll { takes.count >= $0.count }
        for w in ready { w.continuation.resume() }
        defer { running.remove(t.target) }
        if gated {
            let released = await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in gates[t.target] = c }
            } onCancel: {
                Task { await self.cancelGate(t.target) }
            }
            guard released else { throw CancellationError() }
        }
        if let storeError { throw storeError }
        finished.append(t)
        return CatalogEntry(id: "\(t.target)-\(finished.count)", key: "k", target: t.target, labels: [:], kinds: request.kinds.map(\.rawValue),
                            failedKinds: [], schedule: schedule, takenAt: scheduledAt, finishedAt: clock.now(), bytes: 1, sha256: "", status: .complete)
    }

    /// Lets the held capture of `target` finish.
    func release(_ target: String) {
        gates.removeValue(forKey: target)?.resume(returning: true)
    }

    /// Targets whose capture is held now.
    var held: [String] { gates.keys.sorted() }

    private func cancelGate(_ target: String) {
        gates.removeValue(forKey: target)?.resume(returning: false)
    }

    /// Waits until `count` captures have started.
    func waitForTakes(_ count: Int) async {
        if takes.count >= count { return }
        await withCheckedContinuation { takeWaiters.append((count, $0)) }
    }

    /// Waits until the capture of `target` is held (it started and waits for `release`).
    func waitUntilHeld(_ target: String) async {
        while gates[target] == nil { await Task.yield() }
    }

    func checkWritable() async throws {
        if let storeError { throw storeError }
    }

    func failureReasons(of entry: CatalogEntry) async -> [String] { [] }

    func catalog() async throws -> [CatalogEntry] { catalogEntries }
    func latestSnapshotID(target: String) async -> String? { catalogEntries.filter { $0.target == target }.max { $0.takenAt < $1.takenAt }?.id }
}

/// A config of `targets` (all on one unreachable URL) and the given schedules' YAML.
func schedulerConfig(maxConcurrent: Int = 4, targets: [String], schedules: String) throws -> ConfigFile {
    try ConfigFile.parse(yaml: """
        max_concurrent: \(maxConcurrent)
        targets:
        \(targets.map { "  - name: \($0)\n    url: http://127.0.0.1:1" }.joined(separator: "\n"))
        schedules:
        \(schedules)
        """, fileName: "test.yaml")
}

/// A catalog entry of a snapshot of `target` by `schedule` taken at `takenAt`.
func catalogEntry(target: String, schedule: String, takenAt: Date) -> CatalogEntry {
    CatalogEntry(id: "\(target)-old", key: "k", target: target, labels: [:], kinds: ["vars"], failedKinds: [], schedule: schedule,
                 takenAt: takenAt, finishedAt: takenAt, bytes: 1, sha256: "", status: .complete)
}

let silentLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// UTC time from ISO 8601.
func utc(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    if text.contains(".") { f.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
    return f.date(from: text)!
}
