import Foundation

/// A cheap runtime figure a trigger polls (docs/triggers.md says what each costs the target).
public enum TriggerSignal: String, Sendable, Hashable, CaseIterable, Codable {
    /// `runtime.NumGoroutine()`, from the `/debug/pprof/` index page (nearly free), else `goroutine?debug=1`'s first line.
    case goroutines
    /// memstats HeapInuse (from `/debug/vars`, or `go_memstats_heap_inuse_bytes` from `/metrics`).
    case heapInuseBytes = "heap_inuse_bytes"
    /// memstats HeapObjects.
    case heapObjects = "heap_objects"
    /// GC pause time between two polls, in seconds (PauseTotalNs difference).
    case gcPauseSeconds = "gc_pause_seconds"
    /// memstats NumGC.
    case numGC = "num_gc"
    /// Bytes allocated per second between two polls (TotalAlloc difference): the allocation-rate anomaly.
    case allocBytesPerSecond = "alloc_bytes_per_second"

    /// Signals computed from the change between two polls (their first poll yields no value).
    public var isRate: Bool { self == .gcPauseSeconds || self == .allocBytesPerSecond }
}

/// When a rule's condition holds. Every set part must hold (`min` is a floor under the others).
public struct TriggerCondition: Sendable, Hashable {
    /// Fire above this absolute value.
    public var above: Double?
    /// Fire when the value is this many percent above the mean of the previous `window` samples (holmes' rule).
    public var risePercent: Double?
    /// Samples in the rolling mean; also the warm-up: `rise_percent` never fires before this many were seen.
    public var window: Int
    /// Fire when the value is at least double the value at the last capture this rule took (CockroachDB's rule).
    public var doublesSinceLastCapture: Bool
    /// Never fire below this value.
    public var min: Double?

    /// Creates a condition; at least one of `above`, `risePercent`, `doublesSinceLastCapture` must be set.
    public init(above: Double? = nil, risePercent: Double? = nil, window: Int = 10, doublesSinceLastCapture: Bool = false,
                min: Double? = nil) {
        self.above = above
        self.risePercent = risePercent
        self.window = window
        self.doublesSinceLastCapture = doublesSinceLastCapture
        self.min = min
    }
}

/// One `triggers:` rule, as far as deciding goes (targets and kinds to capture live in the config).
public struct TriggerRule: Sendable, Hashable {
    /// The rule's name: snapshots it takes are recorded under schedule `trigger/<name>`.
    public var name: String
    public var signal: TriggerSignal
    public var condition: TriggerCondition
    /// After a firing the rule stays quiet at least this long, even when re-armed.
    public var cooldown: Duration
    /// At most this many firings in any 60 minutes; nil is no cap.
    public var maxPerHour: Int?

    /// Creates a rule.
    public init(name: String, signal: TriggerSignal, condition: TriggerCondition, cooldown: Duration, maxPerHour: Int? = nil) {
        self.name = name
        self.signal = signal
        self.condition = condition
        self.cooldown = cooldown
        self.maxPerHour = maxPerHour
    }

    /// The schedule name its snapshots are recorded under.
    public var scheduleName: String { "trigger/\(name)" }
}
