import Foundation

/// The two clocks the scheduler reads: the wall clock, which says which firing is due (and can be
/// set back or forward, or jump after a suspend), and elapsed time, which it sleeps on. Injected so
/// tests drive the scheduler with a clock they advance instead of waiting for real time.
protocol SchedulerClock: Sendable {
    /// The wall-clock time now.
    func now() -> Date
    /// Sleeps for `duration` of elapsed time; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// `Date()` and the monotonic `ContinuousClock`: the daemon's clock.
struct SystemSchedulerClock: SchedulerClock {
    func now() -> Date { Date() }

    func sleep(for duration: Duration) async throws {
        try await ContinuousClock().sleep(for: max(duration, .zero))
    }
}
