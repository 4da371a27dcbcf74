import Synchronization

/// What `GET /healthz` answers: healthy or not, with a one-line reason.
public struct HealthReport: Sendable, Hashable {
    /// 200 when true, 503 when false.
    public var healthy: Bool
    /// `ok`, or one line saying what is wrong.
    public var reason: String

    /// Memberwise initializer.
    public init(healthy: Bool, reason: String) {
        self.healthy = healthy
        self.reason = reason
    }

    /// The verdict from the scheduler's heartbeat age (nil: it never beat) and the last store
    /// probe (nil: not probed yet; a message: the probe failed). Pure.
    public static func evaluate(heartbeatAge: Duration?, staleAfter: Duration, storeProblem: String??) -> HealthReport {
        guard let heartbeatAge else {
            return HealthReport(healthy: false, reason: "the scheduler loop has not started")
        }
        if heartbeatAge > staleAfter {
            let seconds = heartbeatAge.components.seconds
            return HealthReport(healthy: false, reason: "the scheduler loop has not run for \(seconds) s (stuck or stopped)")
        }
        switch storeProblem {
        case nil: return HealthReport(healthy: false, reason: "the store has not been probed yet")
        case .some(let problem?): return HealthReport(healthy: false, reason: "the store cannot be written: \(Self.oneLine(problem))")
        case .some(nil): return HealthReport(healthy: true, reason: "ok")
        }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

/// The daemon's liveness: the scheduler loop's heartbeat (on the monotonic clock) and the last
/// store write probe, cached so `/healthz` never touches the disk itself.
public final class HealthMonitor: Sendable {
    /// The default bound on the heartbeat's age: the scheduler loop wakes at least every second,
    /// so 30 s without a beat means it is stuck.
    public static let defaultStaleAfter: Duration = .seconds(30)

    private struct State {
        var lastBeat: ContinuousClock.Instant?
        var storeProblem: String?? = .none
    }

    /// How long the scheduler may go without a heartbeat before the daemon is unhealthy.
    public let staleAfter: Duration
    private let state = Mutex(State())

    /// A monitor that says unhealthy until the first heartbeat and the first store probe.
    public init(staleAfter: Duration = HealthMonitor.defaultStaleAfter) {
        self.staleAfter = staleAfter
    }

    /// The scheduler loop is alive (called on each of its iterations).
    public func heartbeat() {
        let now = ContinuousClock.now
        state.withLock { $0.lastBeat = now }
    }

    /// Records a store probe: nil when it could write, else why not.
    public func storeProbed(problem: String?) {
        state.withLock { $0.storeProblem = .some(problem) }
    }

    /// The verdict now.
    public func report(now: ContinuousClock.Instant = .now) -> HealthReport {
        let (beat, problem) = state.withLock { ($0.lastBeat, $0.storeProblem) }
        return HealthReport.evaluate(heartbeatAge: beat.map { now - $0 }, staleAfter: staleAfter, storeProblem: problem)
    }
}
