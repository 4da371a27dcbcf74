// Named numbers of a summary, for `--fail-on` terms such as `trace.sched_latency_seconds.p99>0.01`
// or `trace.stw.total_seconds>0.05`: the path after `trace.` uses the JSON field names.

extension TraceSummary {
    /// The fixed metric paths (`block.by_reason.<reason>.count|seconds` and
    /// `stw.by_kind.<kind>.count|total_seconds|max_seconds` are accepted too, for any reason or kind).
    public static let metricPaths: [String] = [
        "duration_seconds", "gomaxprocs", "generations",
        "gc.count", "gc.seconds",
        "stw.count", "stw.total_seconds", "stw.max_seconds",
        "goroutines.created", "goroutines.ended", "goroutines.at_start", "goroutines.max_alive",
        "sched_latency_seconds.count", "sched_latency_seconds.p50", "sched_latency_seconds.p90",
        "sched_latency_seconds.p99", "sched_latency_seconds.max",
        "block.count", "block.seconds", "syscalls", "heap_live_bytes.min", "heap_live_bytes.max",
    ]

    /// The value of metric `path` (see `metricPaths`), or nil for a path that names nothing.
    /// `stw.count` and `block.count`/`block.seconds` are totals (`stw.count` without the trace's own
    /// pauses); a reason or kind the trace does not have is 0, so a gate on it passes; a trace without
    /// heap events or GOMAXPROCS has no `heap_live_bytes.*` or `gomaxprocs` (nil).
    public func metric(_ path: String) -> Double? {
        for (prefix, byName) in [("block.by_reason.", true), ("stw.by_kind.", false)] where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            guard let dot = rest.lastIndex(of: ".") else { return nil }
            let name = String(rest[..<dot]), field = String(rest[rest.index(after: dot)...])
            if byName {
                let blocked = block.byReason[name] ?? Blocked(count: 0, seconds: 0)
                switch field {
                case "count": return Double(blocked.count)
                case "seconds": return blocked.seconds
                default: return nil
                }
            }
            let pause = stw.byKind[name] ?? Pause(count: 0, totalSeconds: 0, maxSeconds: 0, causedByTrace: false)
            switch field {
            case "count": return Double(pause.count)
            case "total_seconds": return pause.totalSeconds
            case "max_seconds": return pause.maxSeconds
            default: return nil
            }
        }
        switch path {
        case "duration_seconds": return durationSeconds
        case "gomaxprocs": return gomaxprocs.map(Double.init)
        case "generations": return Double(generations)
        case "gc.count": return Double(gc.count)
        case "gc.seconds": return gc.seconds
        case "stw.count": return Double(stw.byKind.values.filter { !$0.causedByTrace }.reduce(0) { $0 + $1.count })
        case "stw.total_seconds": return stw.totalSeconds
        case "stw.max_seconds": return stw.maxSeconds
        case "goroutines.created": return Double(goroutines.created)
        case "goroutines.ended": return Double(goroutines.ended)
        case "goroutines.at_start": return Double(goroutines.atStart)
        case "goroutines.max_alive": return Double(goroutines.maxAlive)
        case "sched_latency_seconds.count": return Double(schedLatencySeconds.count)
        case "sched_latency_seconds.p50": return schedLatencySeconds.p50
        case "sched_latency_seconds.p90": return schedLatencySeconds.p90
        case "sched_latency_seconds.p99": return schedLatencySeconds.p99
        case "sched_latency_seconds.max": return schedLatencySeconds.max
        case "block.count": return Double(block.byReason.values.reduce(0) { $0 + $1.count })
        case "block.seconds": return block.byReason.values.reduce(0) { $0 + $1.seconds }
        case "syscalls": return Double(syscalls)
        case "heap_live_bytes.min": return heapLiveBytes.map { Double($0.min) }
        case "heap_live_bytes.max": return heapLiveBytes.map { Double($0.max) }
        default: return nil
        }
    }
}
