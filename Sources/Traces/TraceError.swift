/// Why an execution trace could not be summarised. `description` is one sentence naming the problem
/// and what to do; callers prefix the input's name (a snapshot, a file).
public struct TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        /// The bytes do not start with a Go execution trace header (`go 1.N trace`).
        case notATrace
        /// A trace in the format of Go 1.21 and older (header `go 1.<minor> trace`): archived, not summarised.
        case oldFormat(minor: Int)
        /// A header `go 1.<minor> trace` this reader does not know (newer than Go 1.26's format).
        case unsupportedVersion(minor: Int)
        /// The bytes end inside a batch, a table entry or an event.
        case truncated(offset: Int)
        /// The bytes break the format at `offset`; `what` says how.
        case malformed(offset: Int, what: String)
    }

    /// What is wrong.
    public let reason: Reason

    /// Creates an error for `reason`.
    public init(_ reason: Reason) { self.reason = reason }

    /// True for traces in the old (Go ≤ 1.21) format, which are archived but not summarised.
    public var isOldFormat: Bool {
        if case .oldFormat = reason { return true }
        return false
    }

    public var description: String {
        switch reason {
        case .notATrace:
            return "not a Go execution trace (no \"go 1.N trace\" header); capture /debug/pprof/trace from a Go service"
        case .oldFormat(let minor):
            return "a Go 1.\(minor) execution trace in the old format (Go 1.21 and older) is archived but not summarised; build the service with Go 1.22 or newer to get trace summaries"
        case .unsupportedVersion(let minor):
            return "execution trace format \"go 1.\(minor) trace\" is not one this gbsnap reads (it reads go 1.22 to go 1.26 traces); upgrade gbsnap"
        case .truncated(let offset):
            return "the execution trace ends early (at byte \(offset), inside a batch or event); capture it again, a partial trace cannot be summarised"
        case .malformed(let offset, let what):
            return "the execution trace is damaged at byte \(offset) (\(what)); capture it again"
        }
    }
}
