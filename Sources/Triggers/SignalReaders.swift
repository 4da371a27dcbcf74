import Foundation
import Profiles

/// Reads trigger signals out of the bodies a target serves, each from the cheapest place that has it.
public enum SignalReaders {
    /// The goroutine count from Go's `/debug/pprof/` index page (`<tr><td>125</td><td><a href='goroutine?debug=1'>`),
    /// which the target answers with `runtime.NumGoroutine()` at almost no cost; nil when the page has no such row.
    public static func goroutines(pprofIndex html: String) -> Double? {
        guard let link = html.range(of: "href='goroutine?debug=1'") ?? html.range(of: "href=\"goroutine?debug=1\"") else { return nil }
        // The count is the last <td>…</td> before the link.
        let before = html[..<link.lowerBound]
        guard let open = before.range(of: "<td>", options: .backwards) else { return nil }
        let rowStart = before[..<open.lowerBound]
        guard let countOpen = rowStart.range(of: "<td>", options: .backwards) else { return nil }
        let cell = rowStart[countOpen.upperBound...]
        guard let close = cell.range(of: "</td>") else { return nil }
        return Double(cell[..<close.lowerBound].trimmingCharacters(in: .whitespaces))
    }

    /// The count of `goroutine profile: total N`, the first line of `goroutine?debug=1` (the fallback: the target
    /// builds the whole profile to answer).
    public static func goroutines(debug1 text: String) -> Double? {
        let prefix = "goroutine profile: total "
        guard text.hasPrefix(prefix) else { return nil }
        return Double(text.dropFirst(prefix.count).prefix { $0.isNumber })
    }

    /// A signal's raw reading from expvar memstats: levels as they are, and for rate signals the counter
    /// (`TotalAlloc` bytes, `PauseTotalNs` nanoseconds) that ``TriggerState/rate(counter:at:scale:)`` turns into a rate.
    public static func reading(_ signal: TriggerSignal, vars: ExpVars) -> Double? {
        guard let m = vars.memStats else { return nil }
        switch signal {
        case .goroutines:
            return vars.other["goroutines"]?.doubleValue
        case .heapInuseBytes: return Double(m.heapInuse)
        case .heapObjects: return Double(m.heapObjects)
        case .numGC: return Double(m.numGC)
        case .gcPauseSeconds: return Double(m.pauseTotalNs)
        case .allocBytesPerSecond: return Double(m.totalAlloc)
        }
    }

    /// The Prometheus metric (client_golang's Go collector) that carries a signal, already in the signal's unit.
    public static func prometheusMetric(_ signal: TriggerSignal) -> String {
        switch signal {
        case .goroutines: "go_goroutines"
        case .heapInuseBytes: "go_memstats_heap_inuse_bytes"
        case .heapObjects: "go_memstats_heap_objects"
        case .numGC: "go_gc_duration_seconds_count"
        case .gcPauseSeconds: "go_gc_duration_seconds_sum"
        case .allocBytesPerSecond: "go_memstats_alloc_bytes_total"
        }
    }

    /// A signal's raw reading from a Prometheus text exposition (`/metrics`), nil when the metric is absent.
    /// The value of a series without labels is taken, else the first series of the metric.
    public static func reading(_ signal: TriggerSignal, prometheus text: String) -> Double? {
        PrometheusText.value(of: prometheusMetric(signal), in: text)
    }

    /// The scale from a raw counter reading to the signal's unit (nanoseconds of pause to seconds from vars).
    public static func counterScale(_ signal: TriggerSignal, fromVars: Bool) -> Double {
        signal == .gcPauseSeconds && fromVars ? 1e-9 : 1
    }
}

/// The Prometheus text exposition format, as far as reading one sample value goes.
public enum PrometheusText {
    /// The value of metric `name`: the series without labels if there is one, else the first; nil when absent
    /// or not a number. `# HELP`/`# TYPE` lines and other metrics are skipped; `NaN`, `+Inf` read as such.
    public static func value(of name: String, in text: String) -> Double? {
        var first: Double?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard line.hasPrefix(name), !line.hasPrefix("#") else { continue }
            let rest = line.dropFirst(name.count)
            guard let c = rest.first, c == " " || c == "{" || c == "\t" else { continue }  // go_goroutines vs go_goroutines_x
            var valuePart = rest
            var labelled = false
            if c == "{" {
                guard let close = rest.lastIndex(of: "}") else { continue }
                valuePart = rest[rest.index(after: close)...]
                labelled = !rest[rest.index(after: rest.startIndex)..<close].isEmpty
            }
            let fields = valuePart.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let token = fields.first, let v = number(token) else { continue }
            if !labelled { return v }
            if first == nil { first = v }
        }
        return first
    }

    static func number(_ s: Substring) -> Double? {
        switch s {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }
}
