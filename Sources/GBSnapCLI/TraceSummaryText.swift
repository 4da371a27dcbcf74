import Traces
import Units

/// The text `gbsnap show` prints for a snapshot's execution trace (docs/traces.md).
enum TraceSummaryText {
    /// The summary of the trace artifact `name` holding `bytes`, or the one sentence why there is none.
    static func render(name: String, bytes: [UInt8]) -> String {
        let summary: TraceSummary
        do {
            summary = try TraceSummarizer.summarize(bytes)
        } catch {
            return "trace      \(name): \(error.description)"
        }
        return render(name: name, summary)
    }

    static func render(name: String, _ s: TraceSummary) -> String {
        func time(_ seconds: Double) -> String { ValueFormatter.format(seconds * 1e9, unit: "nanoseconds") }
        var lines: [String] = []
        lines.append("trace      \(name) (\(s.format)): \(time(s.durationSeconds)), GOMAXPROCS \(s.gomaxprocs.map(String.init) ?? "?"), \(s.generations) generation\(s.generations == 1 ? "" : "s")")
        lines.append("gc         \(s.gc.count) cycle\(s.gc.count == 1 ? "" : "s"), mark phase \(time(s.gc.seconds))")
        let pauses = s.stw.byKind.values.filter { !$0.causedByTrace }.reduce(0) { $0 + $1.count }
        lines.append("stw        \(pauses) pause\(pauses == 1 ? "" : "s"), \(time(s.stw.totalSeconds)) total, \(time(s.stw.maxSeconds)) max (not counting the trace's own)")
        lines.append("goroutines \(s.goroutines.created) created, \(s.goroutines.ended) ended, \(s.goroutines.atStart) at start, \(s.goroutines.maxAlive) alive at most")
        let l = s.schedLatencySeconds
        lines.append("sched      latency p50 \(time(l.p50)), p90 \(time(l.p90)), p99 \(time(l.p99)), max \(time(l.max)) over \(l.count) scheduling\(l.count == 1 ? "" : "s")")
        lines.append("syscalls   \(s.syscalls)")
        if let heap = s.heapLiveBytes {
            lines.append("heap live  \(ValueFormatter.format(Int64(clamping: heap.min), unit: "bytes")) .. \(ValueFormatter.format(Int64(clamping: heap.max), unit: "bytes"))")
        }
        if !s.stw.byKind.isEmpty {
            lines.append("")
            let rows = s.stw.byKind.sorted { ($0.value.totalSeconds, $0.key) > ($1.value.totalSeconds, $1.key) }.map { kind, p in
                [kind + (p.causedByTrace ? " (tracing)" : ""), String(p.count), time(p.totalSeconds), time(p.maxSeconds)]
            }
            lines.append(Console.table(["STOP THE WORLD", "COUNT", "TOTAL", "MAX"], rows))
        }
        if !s.block.byReason.isEmpty {
            lines.append("")
            let rows = s.block.byReason.sorted { ($0.value.seconds, $0.key) > ($1.value.seconds, $1.key) }.map { reason, b in
                [reason, String(b.count), time(b.seconds)]
            }
            lines.append(Console.table(["BLOCKED ON", "COUNT", "TIME"], rows))
        }
        if !s.block.topStacks.isEmpty {
            lines.append("")
            let rows = s.block.topStacks.prefix(5).map { stack in
                [stack.reason, String(stack.count), time(stack.seconds),
                 stack.frames.prefix(3).map(\.function).joined(separator: " < ")]
            }
            lines.append(Console.table(["BLOCKING STACK", "COUNT", "TIME", "FRAMES (innermost first)"], rows))
        }
        return lines.joined(separator: "\n").replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }
}
