import Foundation
import Profiles

/// Text, HTML and folded renderings of a ``SnapshotDiffResult``.
public enum SnapshotDiffRender {
    /// One summary line per profile, e.g. `heap inuse_space: 12.3MB -> 28.7MB (+16.4MB)`.
    public static func headline(_ c: ProfileComparison) -> String {
        let unit = c.diff.sampleType.unit
        return "\(c.kind) \(c.diff.sampleType.type): \(ValueFormatter.format(c.diff.totalA, unit: unit)) -> "
            + "\(ValueFormatter.format(c.diff.totalB, unit: unit)) (\(ValueFormatter.format(c.diff.totalDelta, unit: unit, signed: true)))"
    }

    /// The default `--format text`: the snapshots, per kind a headline and a top table, the goroutine
    /// table with suspects, runtime stats, then the gates. `limit` caps table rows (nil: all).
    public static func text(_ result: SnapshotDiffResult, limit: Int? = nil) -> String {
        let r = result.report
        var out = "A: \(r.a.id) (\(r.a.target), \(SnapshotDiffReport.formatTime(r.a.takenAt)))\n"
        out += "B: \(r.b.id) (\(r.b.target), \(SnapshotDiffReport.formatTime(r.b.takenAt)))\n"
        for c in result.profiles {
            out += "\n" + headline(c) + "\n"
            out += TopTable.render(c.diff, limit: limit)
        }
        if let g = result.goroutines {
            out += "\ngoroutines (from \(result.goroutineSource ?? "?")):\n"
            out += g.renderText(limit: limit ?? 0)
        }
        if let rt = result.runtime {
            out += "\n" + rt.renderText()
        }
        if !result.gateOutcomes.isEmpty {
            out += "\ngates:\n"
            for o in result.gateOutcomes { out += "  \(o.message)\n" }
        }
        return out
    }

    /// Folded delta lines (`frame;frame value`, root first) of every compared kind. With more than one
    /// kind each stack starts with the kind as its root frame, so one file still feeds a flame graph tool.
    public static func folded(_ result: SnapshotDiffResult) throws(ProfileDiffError) -> String {
        var out = ""
        let prefixed = result.profiles.count > 1
        for c in result.profiles {
            let lines = try FoldedStacks.render(base: c.base, current: c.current, sampleIndex: c.sampleIndex, values: .delta)
            if prefixed {
                for line in lines.split(separator: "\n") { out += "\(c.kind);\(line)\n" }
            } else {
                out += lines
            }
        }
        return out
    }

    /// A self-contained HTML page (inline CSS, no scripts, no external assets) with the same tables as `text`.
    public static func html(_ result: SnapshotDiffResult, limit: Int? = nil) -> String {
        let r = result.report
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>gbsnap diff \(esc(r.a.id)) → \(esc(r.b.id))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}
        table{border-collapse:collapse;margin:.5em 0 1.5em}
        th,td{border:1px solid #ccc;padding:.2em .5em;font-size:13px}
        td.n{text-align:right;font-family:monospace}
        td.name{font-family:monospace}
        .up{color:#b00}.down{color:#070}.warn{color:#a60}.suspect{background:#fee}
        </style></head><body>
        <h1>gbsnap diff</h1>
        <table><tr><th></th><th>id</th><th>target</th><th>taken at</th></tr>
        <tr><td>A</td><td>\(esc(r.a.id))</td><td>\(esc(r.a.target))</td><td>\(SnapshotDiffReport.formatTime(r.a.takenAt))</td></tr>
        <tr><td>B</td><td>\(esc(r.b.id))</td><td>\(esc(r.b.target))</td><td>\(SnapshotDiffReport.formatTime(r.b.takenAt))</td></tr>
        </table>

        """
        for w in r.warnings { h += "<p class=\"warn\">warning: \(esc(w))</p>\n" }
        for c in result.profiles {
            let unit = c.diff.sampleType.unit
            h += "<h2 id=\"profile-\(esc(c.kind))\">\(esc(headline(c)))</h2>\n"
            h += "<table class=\"profile\"><tr><th>flat A</th><th>flat B</th><th>flat Δ</th><th>cum A</th><th>cum B</th><th>cum Δ</th><th>name</th></tr>\n"
            let rows = limit.map { Array(c.diff.entries.prefix($0)) } ?? c.diff.entries
            for e in rows {
                h += "<tr>" + numberCell(e.flatA, unit) + numberCell(e.flatB, unit) + deltaCell(e.flatDelta, unit)
                    + numberCell(e.cumA, unit) + numberCell(e.cumB, unit) + deltaCell(e.cumDelta, unit)
                    + "<td class=\"name\">\(esc(e.name))</td></tr>\n"
            }
            h += "</table>\n"
            if rows.count < c.diff.entries.count { h += "<p>\(c.diff.entries.count - rows.count) more rows not shown</p>\n" }
        }
        if let g = result.goroutines {
            h += "<h2 id=\"goroutines\">goroutines: \(g.totalA) → \(g.totalB) (\(signed(g.totalB - g.totalA))), from \(esc(result.goroutineSource ?? ""))</h2>\n"
            h += "<table class=\"goroutines\"><tr><th>count A</th><th>count B</th><th>Δ</th><th>max wait B</th><th>state</th><th>created by</th><th>labels</th><th>stack (leaf first)</th><th>suspect</th></tr>\n"
            let groups = limit.map { Array(g.groups.prefix($0)) } ?? g.groups
            for group in groups {
                let labels = group.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                h += "<tr\(group.suspect ? " class=\"suspect\"" : "")><td class=\"n\">\(group.countA)</td><td class=\"n\">\(group.countB)</td>"
                    + "<td class=\"n \(group.delta > 0 ? "up" : group.delta < 0 ? "down" : "")\">\(signed(group.delta))</td>"
                    + "<td class=\"n\">\(group.maxWaitMinutesB.map { "\($0)m" } ?? "-")</td>"
                    + "<td>\(esc((group.state ?? "-") + (group.leaked ? " (leaked)" : "")))</td>"
                    + "<td class=\"name\">\(esc(group.createdBy ?? ""))</td><td>\(esc(labels))</td>"
                    + "<td class=\"name\">\(group.signature.map(esc).joined(separator: "<br>"))</td>"
                    + "<td>\(group.suspect ? esc(group.hint ?? "suspect") : "")</td></tr>\n"
            }
            h += "</table>\n"
        }
        if let rt = result.runtime {
            h += "<h2 id=\"runtime\">runtime stats, \(String(format: "%.1f", rt.seconds)) s apart</h2>\n"
            h += "<table class=\"runtime\"><tr><th>stat</th><th>A</th><th>B</th><th>Δ</th></tr>\n"
            let rows: [(String, RuntimeStatsDelta.Pair, GateMetricUnit)] = [
                ("heap in use", rt.heapInuse, .bytes), ("heap alloc", rt.heapAlloc, .bytes),
                ("heap objects", rt.heapObjects, .count), ("sys", rt.sys, .bytes), ("GC cycles", rt.numGC, .count),
                ("forced GCs", rt.numForcedGC, .count), ("GC pause total", rt.pauseTotalNs, .nanoseconds),
            ]
            for (name, p, unit) in rows {
                h += "<tr><td>\(name)</td><td class=\"n\">\(esc(GateFormat.value(Double(p.a), unit: unit)))</td>"
                    + "<td class=\"n\">\(esc(GateFormat.value(Double(p.b), unit: unit)))</td>"
                    + "<td class=\"n\">\(p.delta > 0 ? "+" : "")\(esc(GateFormat.value(Double(p.delta), unit: unit)))</td></tr>\n"
            }
            if let p = rt.pauses, p.available > 0 {
                h += "<tr><td>GC pauses A→B (p50 / p99 / max)</td><td colspan=\"3\">\(p.cycles) cycles: "
                    + "\(esc(GateFormat.duration(Double(p.p50Ns ?? 0)))) / \(esc(GateFormat.duration(Double(p.p99Ns ?? 0)))) / "
                    + "\(esc(GateFormat.duration(Double(p.maxNs ?? 0))))</td></tr>\n"
            }
            if let rate = rt.allocBytesPerSecond {
                h += "<tr><td>allocation rate</td><td colspan=\"3\">\(esc(GateFormat.bytes(rate)))/s</td></tr>\n"
            }
            h += "</table>\n"
        }
        if !result.gateOutcomes.isEmpty {
            h += "<h2 id=\"gates\">gates</h2>\n<ul>\n"
            for o in result.gateOutcomes { h += "<li class=\"\(o.tripped ? "up" : "down")\">\(esc(o.message))</li>\n" }
            h += "</ul>\n"
        }
        h += "</body></html>\n"
        return h
    }

    static func numberCell(_ v: Int64, _ unit: String) -> String {
        "<td class=\"n\">\(esc(ValueFormatter.format(v, unit: unit)))</td>"
    }

    static func deltaCell(_ v: Int64, _ unit: String) -> String {
        "<td class=\"n \(v > 0 ? "up" : v < 0 ? "down" : "")\">\(esc(ValueFormatter.format(v, unit: unit, signed: true)))</td>"
    }

    static func signed(_ n: Int) -> String { n > 0 ? "+\(n)" : String(n) }

    /// HTML-escapes text for element content and attribute values.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
