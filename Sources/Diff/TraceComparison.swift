import Foundation
import Traces

/// The execution traces of both snapshots, summarised (docs/traces.md): what the scheduler, the GC and the
/// goroutines did in A and in B. The JSON is `trace: {a: summary, b: summary}` with the summary's field names.
public struct TraceComparison: Codable, Sendable, Equatable {
    /// Snapshot A's trace.
    public var a: TraceSummary
    /// Snapshot B's trace.
    public var b: TraceSummary

    /// Creates a value.
    public init(a: TraceSummary, b: TraceSummary) {
        self.a = a
        self.b = b
    }

    /// The gate unit of a summary metric path: `*_bytes*` are bytes, counts are counts, every other `seconds`
    /// figure is in seconds (so `trace.stw.total_seconds>0.05` and `>50ms` mean the same).
    static func unit(_ path: String) -> GateMetricUnit {
        if path.hasPrefix("heap_live_bytes") { return .bytes }
        if path.hasSuffix(".count") || !path.contains("seconds") { return .count }
        return .seconds
    }

    /// The gate metric `trace.PATH` (see `TraceSummary.metricPaths`; `block.by_reason.R.*` and
    /// `stw.by_kind.K.*` for any reason or kind), nil for a name that is not a trace metric or that neither trace has.
    public func gateMetric(_ name: String) -> GateMetricValue? {
        guard name.hasPrefix("trace.") else { return nil }
        let path = String(name.dropFirst("trace.".count))
        let va = a.metric(path), vb = b.metric(path)
        guard va != nil || vb != nil else { return nil }
        return GateMetricValue(a: va ?? 0, b: vb ?? 0, unit: Self.unit(path))
    }

    /// Every fixed trace metric both summaries have, as `trace.PATH`.
    public var gateMetrics: [String: GateMetricValue] {
        var out: [String: GateMetricValue] = [:]
        for path in TraceSummary.metricPaths {
            if let v = gateMetric("trace." + path) { out["trace." + path] = v }
        }
        return out
    }

    /// The rows of the trace table: name, A, B, delta as text, and the values behind them.
    public var rows: [(name: String, a: String, b: String, delta: String, value: GateMetricValue)] {
        var rows: [(String, String)] = [
            ("duration", "duration_seconds"), ("GOMAXPROCS", "gomaxprocs"),
            ("GC cycles", "gc.count"), ("GC time", "gc.seconds"),
            ("stop-the-world pauses", "stw.count"), ("stop-the-world total", "stw.total_seconds"), ("stop-the-world max", "stw.max_seconds"),
            ("sched latency p50", "sched_latency_seconds.p50"), ("sched latency p90", "sched_latency_seconds.p90"),
            ("sched latency p99", "sched_latency_seconds.p99"), ("sched latency max", "sched_latency_seconds.max"),
            ("goroutines created", "goroutines.created"), ("goroutines ended", "goroutines.ended"),
            ("goroutines max alive", "goroutines.max_alive"),
            ("blocked", "block.count"), ("blocked time", "block.seconds"), ("syscalls", "syscalls"),
            ("heap live max", "heap_live_bytes.max"),
        ]
        // The reasons goroutines blocked on most in B (then A), by time.
        let reasons = Set(a.block.byReason.keys).union(b.block.byReason.keys).sorted {
            let sa = b.block.byReason[$0]?.seconds ?? a.block.byReason[$0]?.seconds ?? 0
            let sb = b.block.byReason[$1]?.seconds ?? a.block.byReason[$1]?.seconds ?? 0
            return sa != sb ? sa > sb : $0 < $1
        }
        for reason in reasons.prefix(5) { rows.append(("blocked on \(reason)", "block.by_reason.\(reason).seconds")) }
        return rows.compactMap { name, path in
            guard let v = gateMetric("trace." + path) else { return nil }
            let delta = v.b - v.a
            return (name, GateFormat.value(v.a, unit: v.unit), GateFormat.value(v.b, unit: v.unit),
                    (delta > 0 ? "+" : delta < 0 ? "-" : "") + GateFormat.value(abs(delta), unit: v.unit), v)
        }
    }

    /// `trace: sched latency p99 12us → 1.20ms, stop-the-world 210us → 3.10ms in 4 → 9 pauses, 3 → 5 GCs`.
    var headline: String {
        let v = { (p: String) in gateMetric("trace." + p) ?? GateMetricValue(a: 0, b: 0, unit: Self.unit(p)) }
        let p99 = v("sched_latency_seconds.p99"), stw = v("stw.total_seconds"), pauses = v("stw.count"), gcs = v("gc.count")
        func pair(_ x: GateMetricValue) -> String { "\(GateFormat.value(x.a, unit: x.unit)) → \(GateFormat.value(x.b, unit: x.unit))" }
        return "trace: sched latency p99 \(pair(p99)), stop-the-world \(pair(stw)) in \(pair(pauses)) pauses, \(pair(gcs)) GCs"
    }

    /// The text table.
    func renderText() -> String {
        let table = rows
        let width = table.map(\.name.count).max() ?? 0
        let wa = max(1, table.map(\.a.count).max() ?? 0), wb = max(1, table.map(\.b.count).max() ?? 0)
        var out = ""
        for r in table {
            out += r.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: wa - r.a.count) + r.a + "  "
                + String(repeating: " ", count: wb - r.b.count) + r.b + "  " + r.delta + "\n"
        }
        return out
    }
}
