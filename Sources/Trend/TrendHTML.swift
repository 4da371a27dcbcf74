import Diff
import Foundation
import Units

/// `gbsnap trend --format html`: one self-contained file (inline CSS and SVG, no script, nothing from the
/// network) with the growers first, a line chart per grower, then the totals and runtime figures.
public enum TrendHTML {
    /// The whole page.
    public static func render(_ report: TrendReport) -> String {
        let summary = TrendRender.header(report)
        let lead = "trend of \(report.target): "
        var body = "<header><h1>trend of \(escape(report.target))</h1><p>"
            + escape(summary.hasPrefix(lead) ? String(summary.dropFirst(lead.count)) : summary) + "</p></header>\n"
        for r in report.restarts {
            body += "<p class=\"restart\">restart between <code>\(escape(r.after))</code> and <code>\(escape(r.before))</code>: "
                + "\(escape(r.reasons.joined(separator: "; "))); growth across it is not counted</p>\n"
        }
        for w in report.warnings { body += "<p class=\"warning\">\(escape(w))</p>\n" }
        for g in report.gates {
            body += "<p class=\"gate \(g.tripped ? "tripped" : "passed")\">\(escape(g.message))</p>\n"
        }
        body += "<section id=\"growers\"><h2>growers: \(report.growers.count)</h2>\n"
        if report.growers.isEmpty {
            body += "<p class=\"none\">Nothing rose steadily within a process lifetime"
                + (report.snapshots.count < 2 ? " (the window holds \(report.snapshots.count) snapshot)" : "") + ".</p>\n"
        }
        for (i, g) in report.growers.enumerated() {
            let values = TrendRender.growerValues(g, in: report)
            body += "<article class=\"grower\" id=\"grower-\(i + 1)\"><h3>\(i + 1). <span class=\"kind\">\(escape(TrendRender.label(g)))</span> "
                + "<span class=\"name\">\(escape(g.name))</span></h3>\n"
            body += "<p class=\"stats\">\(escape(fmt(g.first, g.unit))) → \(escape(fmt(g.last, g.unit))) "
                + "(<b>\(escape(TrendRender.signed(g.netDelta, g.unit)))</b>, \(escape(TrendRender.signed(g.slopePerHour, g.unit)))/h); "
                + String(format: "did not fall in %.0f%% of steps, tau %.2f, seen in %d of %d points", g.consistency * 100, g.tau, g.seenIn, report.points.count)
                + "</p>\n"
            if let hint = g.hint { body += "<p class=\"hint\">\(escape(hint))</p>\n" }
            body += chart(values, unit: g.unit, report: report, label: g.name, grower: true) + "</article>\n"
        }
        body += "</section>\n<section id=\"totals\"><h2>totals</h2>\n"
        for line in report.series.totals {
            body += "<article class=\"series\"><h3>\(escape(line.kind)) \(escape(line.name))</h3>\n"
                + chart(line.values, unit: line.unit, report: report, label: "\(line.kind) \(line.name)") + "</article>\n"
        }
        body += "</section>\n"
        if !report.series.runtime.isEmpty {
            body += "<section id=\"runtime\"><h2>runtime</h2>\n"
            for line in report.series.runtime {
                body += "<article class=\"series\"><h3>\(escape(line.name))</h3>\n"
                    + chart(line.values, unit: line.unit, report: report, label: line.name) + "</article>\n"
            }
            body += "</section>\n"
        }
        body += "<section id=\"snapshots\"><h2>snapshots: \(report.snapshots.count)</h2><ol>"
        for s in report.snapshots {
            body += "<li><code>\(escape(s.id))</code> \(escape(SnapshotDiffReport.formatTime(s.takenAt))) (\(escape(s.kinds.joined(separator: ", "))))</li>"
        }
        body += "</ol></section>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>gbsnap trend: \(escape(report.target))</title>
            <style>\(css)</style></head>
            <body>
            \(body)</body></html>

            """
    }

    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:16px;color:#1d1d1f;background:#fff}
        h1{font-size:20px;margin:0}h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:8px 0 2px}
        .name{font-family:ui-monospace,monospace;word-break:break-all}.kind{color:#666}
        .stats{margin:2px 0;color:#333}.hint{margin:2px 0;color:#8a5a00}.restart,.warning{color:#8a5a00}
        .gate.tripped{color:#b00020;font-weight:bold}.gate.passed{color:#1b6e20}
        article{margin:10px 0 18px}svg{display:block;width:100%;max-width:720px;height:auto}
        svg .line{fill:none;stroke:#c0392b;stroke-width:2}svg .series-line{fill:none;stroke:#2c6fbb;stroke-width:2}
        svg .axis{stroke:#999;stroke-width:1}svg text{font-size:11px;fill:#555}svg .restart-mark{stroke:#e0a000;stroke-dasharray:4 3}
        svg circle{fill:#fff;stroke-width:1.5}svg circle.g{stroke:#c0392b}svg circle.s{stroke:#2c6fbb}
        @media (prefers-color-scheme:dark){body{background:#111;color:#ddd}svg text{fill:#aaa}.stats{color:#ccc}}
        """

    /// A line chart: x is time, y the value; breaks where a point has no value; dashed marks at restarts.
    static func chart(_ values: [Double?], unit: String, report: TrendReport, label: String, grower: Bool = false) -> String {
        let w = 720.0, h = 170.0, left = 70.0, right = 10.0, top = 10.0, bottom = 24.0
        let times = report.points.map { $0.takenAt.timeIntervalSince1970 }
        let present = values.compactMap { $0 }
        guard !present.isEmpty, times.count == values.count, let t0 = times.first, let t1 = times.last else {
            return "<p class=\"none\">no values</p>\n"
        }
        var lo = present.min() ?? 0, hi = present.max() ?? 0
        if lo > 0 && lo < hi * 0.5 { lo = 0 }
        if hi == lo { hi = lo + max(1, abs(lo) * 0.1) }
        let span = max(t1 - t0, 1)
        func x(_ t: Double) -> Double { left + (t - t0) / span * (w - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom) }
        let lineClass = grower ? "line" : "series-line"
        var svg = "<svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(escape(label))\">"
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - right)\" y2=\"\(h - bottom)\"/>"
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\">\(escape(fmt(hi, unit)))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(h - bottom)\" text-anchor=\"end\">\(escape(fmt(lo, unit)))</text>"
        svg += "<text x=\"\(left)\" y=\"\(h - 6)\">\(escape(shortTime(t0)))</text>"
        svg += "<text x=\"\(w - right)\" y=\"\(h - 6)\" text-anchor=\"end\">\(escape(shortTime(t1)))</text>"
        var run: [String] = []
        func flush() {
            if run.count > 1 { svg += "<polyline class=\"\(lineClass)\" points=\"\(run.joined(separator: " "))\"/>" }
            run = []
        }
        for (i, v) in values.enumerated() {
            if i > 0, report.points[i].segment != report.points[i - 1].segment {
                flush()
                let xm = (x(times[i - 1]) + x(times[i])) / 2
                svg += "<line class=\"restart-mark\" x1=\"\(r(xm))\" y1=\"\(top)\" x2=\"\(r(xm))\" y2=\"\(h - bottom)\"><title>restart</title></line>"
            }
            guard let v else { flush(); continue }
            run.append("\(r(x(times[i]))),\(r(y(v)))")
        }
        flush()
        // Points carry their value and time on hover (few points: every one; many: none, the line says enough).
        if values.count <= 120 {
            for (i, v) in values.enumerated() {
                guard let v else { continue }
                svg += "<circle class=\"\(grower ? "g" : "s")\" cx=\"\(r(x(times[i])))\" cy=\"\(r(y(v)))\" r=\"2.5\"><title>"
                    + "\(escape(fmt(v, unit))) at \(escape(SnapshotDiffReport.formatTime(report.points[i].takenAt)))</title></circle>"
            }
        }
        return svg + "</svg>\n"
    }

    static func r(_ v: Double) -> String { String(format: "%.1f", v) }

    static func shortTime(_ t: Double) -> String {
        String(SnapshotDiffReport.formatTime(Date(timeIntervalSince1970: t.rounded(.down))).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func fmt(_ v: Double, _ unit: String) -> String { ValueFormatter.format(v, unit: unit) }

    static func escape(_ s: String) -> String { SnapshotDiffRender.esc(s) }
}
