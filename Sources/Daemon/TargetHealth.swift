/// What each target's last snapshot said, so the daemon logs a target that is down once, when
/// it starts failing, and once more when it recovers, instead of once per firing. Pure.
struct TargetHealth: Sendable {
    /// A change worth one log line.
    enum Change: Sendable, Hashable {
        /// The target's snapshots now fail these kinds (it was healthy, or failed others).
        case failing(kinds: [String])
        /// Nothing failed any more, after `failedSnapshots` snapshots with failures.
        case recovered(failedSnapshots: Int)
    }

    private var failing: [String: (kinds: [String], snapshots: Int)] = [:]

    /// Records a snapshot of `target` whose `failedKinds` failed (empty: nothing failed) and
    /// returns the change it makes; nil when it says what the previous one said. A target starts healthy.
    mutating func record(target: String, failedKinds: [String]) -> Change? {
        let kinds = failedKinds.sorted()
        guard let previous = failing[target] else {
            guard !kinds.isEmpty else { return nil }
            failing[target] = (kinds, 1)
            return .failing(kinds: kinds)
        }
        if kinds.isEmpty {
            failing[target] = nil
            return .recovered(failedSnapshots: previous.snapshots)
        }
        failing[target] = (kinds, previous.snapshots + 1)
        return kinds == previous.kinds ? nil : .failing(kinds: kinds)
    }
}
