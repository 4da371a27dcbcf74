/// What a Go execution trace shows, summarised: the time span, GC and stop-the-world pauses, goroutine
/// churn, scheduler latency, what goroutines blocked on, and the live heap. JSON field names (Codable)
/// are those of docs/traces.md.
public struct TraceSummary: Sendable, Hashable, Codable {
    /// The trace's format (`go 1.26 trace` for Go 1.26 and 1.27).
    public var format: String
    /// Number of generations (Go starts a new one about every second).
    public var generations: Int
    /// From the first to the last event, in seconds.
    public var durationSeconds: Double
    /// GOMAXPROCS at the end of the trace (nil if the trace never reports it).
    public var gomaxprocs: Int?
    /// Garbage collections.
    public var gc: GC
    /// Stop-the-world pauses.
    public var stw: StopTheWorld
    /// Goroutines created, ended and alive at most.
    public var goroutines: Goroutines
    /// Time from runnable to running, over every scheduling within the trace.
    public var schedLatencySeconds: Latency
    /// Goroutine blocking (running → waiting) by reason, with the stacks that blocked longest.
    public var block: Blocking
    /// System calls entered (running → syscall).
    public var syscalls: Int
    /// The heap's live bytes as the trace's heap metric reports them (nil without heap events).
    public var heapLiveBytes: Range?

    enum CodingKeys: String, CodingKey {
        case format, generations, gomaxprocs, gc, stw, goroutines, block, syscalls
        case durationSeconds = "duration_seconds"
        case schedLatencySeconds = "sched_latency_seconds"
        case heapLiveBytes = "heap_live_bytes"
    }

    /// GC cycles that began within the trace, and the time GC's concurrent mark phase was active.
    public struct GC: Sendable, Hashable, Codable {
        /// GC cycles begun within the trace.
        public var count: Int
        /// Seconds some GC mark phase was running (a cycle already running when the trace starts
        /// counts from the trace's start; one still running at its end, up to the end).
        public var seconds: Double
    }

    /// Stop-the-world pauses by kind.
    public struct StopTheWorld: Sendable, Hashable, Codable {
        /// Per kind as the runtime names it, e.g. "GC mark termination", "start trace".
        public var byKind: [String: Pause]
        /// Total pause seconds, not counting the pauses the tracing itself causes.
        public var totalSeconds: Double
        /// Longest pause in seconds, not counting the pauses the tracing itself causes.
        public var maxSeconds: Double

        enum CodingKeys: String, CodingKey {
            case byKind = "by_kind"
            case totalSeconds = "total_seconds"
            case maxSeconds = "max_seconds"
        }
    }

    /// Pauses of one kind.
    public struct Pause: Sendable, Hashable, Codable {
        /// Pauses begun within the trace.
        public var count: Int
        /// Their total duration.
        public var totalSeconds: Double
        /// The longest.
        public var maxSeconds: Double
        /// True for the pauses tracing causes ("start trace", "stop trace"), which the service would not have had.
        public var causedByTrace: Bool

        enum CodingKeys: String, CodingKey {
            case count
            case totalSeconds = "total_seconds"
            case maxSeconds = "max_seconds"
            case causedByTrace = "caused_by_trace"
        }
    }

    /// Goroutine churn.
    public struct Goroutines: Sendable, Hashable, Codable {
        /// Goroutines created within the trace.
        public var created: Int
        /// Goroutines that ended within the trace.
        public var ended: Int
        /// Goroutines alive at the start of the trace.
        public var atStart: Int
        /// Most goroutines alive at once.
        public var maxAlive: Int

        enum CodingKeys: String, CodingKey {
            case created, ended
            case atStart = "at_start"
            case maxAlive = "max_alive"
        }
    }

    /// Percentiles of a set of durations (nearest rank), in seconds; all 0 when `count` is 0.
    public struct Latency: Sendable, Hashable, Codable {
        /// Number of durations.
        public var count: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double
    }

    /// Blocking by reason.
    public struct Blocking: Sendable, Hashable, Codable {
        /// Per reason as the runtime names it: "chan receive", "chan send", "select", "sync", "network", "sleep", ...
        public var byReason: [String: Blocked]
        /// The blocking stacks with the most blocked time (then the most blocks), at most twenty.
        public var topStacks: [BlockingStack]

        enum CodingKeys: String, CodingKey {
            case byReason = "by_reason"
            case topStacks = "top_stacks"
        }
    }

    /// Blocks of one reason or stack.
    public struct Blocked: Sendable, Hashable, Codable {
        /// Times a goroutine blocked.
        public var count: Int
        /// Seconds blocked, until unblocked or the end of the trace.
        public var seconds: Double
    }

    /// One stack goroutines blocked at.
    public struct BlockingStack: Sendable, Hashable, Codable {
        /// The reason the runtime gave.
        public var reason: String
        /// Innermost frame first.
        public var frames: [TraceFrame]
        /// Times a goroutine blocked here.
        public var count: Int
        /// Seconds blocked here.
        public var seconds: Double
    }

    /// A minimum and maximum.
    public struct Range: Sendable, Hashable, Codable {
        public var min: UInt64
        public var max: UInt64
    }
}
