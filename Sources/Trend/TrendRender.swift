import Diff
import Foundation
import Units

/// The text form of a trend: what grew steadily first, then the totals and runtime figures, each with a sparkline.
public enum TrendRender {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// `▁▂▃▅▇` scaled between the series' own minimum and maximum; a space where a point has no value and `|`
    /// where the target restarted. Longer series are averaged down to `width` characters per segment run.
    public static func sparkline(_ values: [Double?], segments: [Int], width: Int = 40) -> String {
        guard !values.isEmpty else { return "" }
        let present = values.compactMap { $0 }
        let lo = present.min() ?? 0, hi = present.max() ?? 0
        // Columns: runs of consecutive points of one segment, at most `width` in all.
        let per = max(1, (values.count + width - 1) / width)
        var out = ""
        var i = 0
        while i < values.count {
            let segment = i < segments.count ? segments[i] : 0
            if i > 0, i < segments.count, segments[i - 1] != segment { out += "|" }
            var sum = 0.0, n = 0, j = i
            while j < values.count && j < i + per && (j >= segments.count || segments[j] == segment) {
                if let v = values[j] { sum += v; n += 1 }
                j += 1
            }
            if n == 0 {
                out += " "
            } else if hi == lo {
                out.append(blocks[hi == 0 ? 0 : 3])
            } else {
                let level = Int(((sum / Double(n) - lo) / (hi - lo) * Double(blocks.count - 1)).rounded())
                out.append(blocks[min(blocks.count - 1, max(0, level))])
            }
            i = j
        }
        return out
    }

    /// The report as text. `bounds.limit` caps the growers listed.
    public static func text(_ report: TrendReport, bounds: TableBounds = TableBounds(limit: 20), style: TextStyle = .plain) -> String {
        let segments = report.points.map(\.segment)
        var out = header(report) + "\n"
        for r in report.restarts {
            out += style.warning("restart: between \(r.after) and \(r.before) (\(r.reasons.joined(separator: "; "))); "
                + "growth across it is not counted") + "\n"
        }
        for w in report.warnings { out += style.warning("warning: \(w)") + "\n" }
        out += "\n"
        if report.snapshots.count < 2 {
            out += "growers: none — the window holds \(report.snapshots.count) snapshot\(report.snapshots.count == 1 ? "" : "s"); "
                + "a trend needs at least 2 (and \(GrowthCriteria().minPoints) in one process lifetime to call something a grower); "
                + "widen it with --since or --last\n"
        } else if report.growers.isEmpty {
            out += "growers: none — nothing rose steadily within a process lifetime"
                + (report.points.count < GrowthCriteria().minPoints
                    ? " (\(report.points.count) points; \(GrowthCriteria().minPoints) are needed to call something a grower)" : "")
                + "\n"
        } else {
            let specific = report.growers.filter { !$0.series.isAggregate }
            let aggregate = report.growers.filter(\.series.isAggregate)
            out += style.bold("growers: \(specific.count)") + " (functions and goroutine groups that grew steadily, most certain and largest first)\n"
            let (rows, cut, _) = bounds.apply(specific) { _ in false }
            for (n, g) in rows.enumerated() {
                let values = growerValues(g, in: report)
                out += "\(n + 1). \(label(g)) \(style.fit(g.name, after: 4 + label(g).count))\n"
                out += "   " + style.signed("\(fmt(g.first, g.unit)) → \(fmt(g.last, g.unit)) (\(signed(g.netDelta, g.unit)), \(signed(g.slopePerHour, g.unit))/h)", 1)
                    + String(format: ", did not fall in %.0f%% of steps, tau %.2f, seen in %d of %d points  ", g.consistency * 100, g.tau, g.seenIn, report.points.count)
                    + sparkline(values, segments: segments) + "\n"
                if let hint = g.hint { out += "   " + style.suspect("hint: \(hint)") + "\n" }
            }
            if let note = TableBounds.note(cut: cut, hidden: 0, noun: "grower") { out += note + "\n" }
            if !aggregate.isEmpty {
                out += "also rising steadily: " + aggregate.map { "\(label($0) == $0.name ? $0.name : "\(label($0)) \($0.name)") \(signed($0.netDelta, $0.unit))" }
                    .joined(separator: ", ") + "\n"
            }
        }
        out += "\ntotals:\n"
        for line in report.series.totals { out += row("\(line.kind) \(line.name)", line.values, line.unit, segments) }
        if !report.series.runtime.isEmpty {
            out += "\nruntime:\n"
            for line in report.series.runtime { out += row(line.name, line.values, line.unit, segments) }
        }
        return out
    }

    static func header(_ report: TrendReport) -> String {
        let n = report.snapshots.count
        var text = "trend of \(report.target): \(n) snapshot\(n == 1 ? "" : "s")"
        if let first = report.window.first, let last = report.window.lastSnapshot {
            text += " from \(SnapshotDiffReport.formatTime(first)) to \(SnapshotDiffReport.formatTime(last))"
            text += " (\(ValueFormatter.format(last.timeIntervalSince(first) * 1e9, unit: "nanoseconds")))"
        }
        if report.points.count < n { text += ", \(report.points.count) points (consecutive snapshots averaged)" }
        if !report.restarts.isEmpty {
            text += ", \(report.restarts.count) restart\(report.restarts.count == 1 ? "" : "s")"
        }
        return text
    }

    static func label(_ g: TrendReport.Grower) -> String {
        switch g.series {
        case .group: "goroutines"
        case .total: "\(g.kind) total"
        case .runtime: g.kind == CaptureKind.vars.rawValue ? "runtime" : g.kind
        case .flat, .cum: g.kind
        }
    }

    /// The values of a grower's series, found again in the report's series.
    static func growerValues(_ g: TrendReport.Grower, in report: TrendReport) -> [Double?] {
        switch g.series {
        case .total: report.series.totals.first { $0.kind == g.kind && $0.name == g.name }?.values ?? []
        case .runtime: report.series.runtime.first { $0.kind == g.kind && $0.name == g.name }?.values ?? []
        case .flat, .cum: report.series.functions.first { $0.kind == g.kind && $0.name == g.name }?.flat ?? []
        case .group: report.series.goroutineGroups.first { $0.name == g.name }?.values ?? []
        }
    }

    static func row(_ name: String, _ values: [Double?], _ unit: String, _ segments: [Int]) -> String {
        let present = values.compactMap { $0 }
        guard let first = present.first, let last = present.last else { return "  \(pad(name, 28)) no values\n" }
        let change = "\(fmt(first, unit)) → \(fmt(last, unit))"
        return "  \(pad(name, 28)) \(pad(change, 24)) \(sparkline(values, segments: segments))\n"
    }

    static func fmt(_ v: Double, _ unit: String) -> String { ValueFormatter.format(v, unit: unit) }

    static func signed(_ v: Double, _ unit: String) -> String {
        (v >= 0 ? "+" : "-") + fmt(abs(v), unit)
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
