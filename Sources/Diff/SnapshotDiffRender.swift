import Foundation
import Profiles

/// Text, HTML and folded renderings of a ``SnapshotDiffResult``.
public enum SnapshotDiffRender {
    /// The title of a kind's table, e.g. `heap inuse_space`.
    public static func title(_ c: ProfileComparison) -> String {
        c.kind.rawValue == c.diff.sampleType.type ? "\(c.kind) profile" : "\(c.kind) \(c.diff.sampleType.type)"
    }

    /// The default `--format text`: the two snapshots, the headline (what grew, in a few lines), the gates and
    /// warnings, then per kind a bounded top table, the goroutine groups with suspects and the runtime stats.
    public static func text(_ result: SnapshotDiffResult, bounds: TableBounds = .standard, style: TextStyle = .plain) -> String {
        let r = result.report
        let headline = DiffHeadline(result)
        var out = "A: \(r.a.id) (\(r.a.target), \(SnapshotDiffReport.formatTime(r.a.takenAt)))\n"
        out += "B: \(r.b.id) (\(r.b.target), \(SnapshotDiffReport.formatTime(r.b.takenAt))\(apart(r)))\n\n"
        for line in headline.lines { out += style.tone(line.text, line.tone) + "\n" }
        if !result.gateOutcomes.isEmpty {
            let tripped = result.tripped.count
            out += "\ngates: \(tripped == 0 ? "all passed" : "\(tripped) of \(result.gateOutcomes.count) tripped")\n"
            for o in result.gateOutcomes { out += "  " + (o.tripped ? style.signed(o.message, 1) : o.message) + "\n" }
        }
        if !headline.warnings.isEmpty {
            out += "\nwarnings:\n"
            for w in headline.warnings { out += "  - \(w)\n" }
        }
        for c in result.profiles {
            out += "\n" + TopTable.render(c.diff, title: title(c), bounds: bounds, style: style)
        }
        if let g = result.goroutines {
            out += "\n" + style.bold("== goroutines (from \(result.goroutineSource?.rawValue ?? "?")) ==") + "\n"
            out += g.renderText(bounds: bounds, style: style)
        }
        if let rt = result.runtime {
            out += "\n" + style.bold("== runtime ==") + "\n" + rt.renderText()
        }
        if let t = result.trace {
            out += "\n" + style.bold("== execution trace ==") + "\n" + t.renderText()
        }
        return out
    }

    /// `, 1m5s later` after B's time (nothing when A is not older).
    static func apart(_ r: SnapshotDiffReport) -> String {
        let seconds = r.b.takenAt.timeIntervalSince(r.a.takenAt)
        return seconds > 0 ? ", \(DiffHeadline.durationText(seconds)) later" : ""
    }

    /// `--format markdown`: the headline and the bounded tables as GitHub-flavoured markdown, for pull-request
    /// comments and CI job summaries.
    public static func markdown(_ result: SnapshotDiffResult, bounds: TableBounds = .standard) -> String {
        let r = result.report
        let headline = DiffHeadline(result)
        var out = "### gbsnap diff \(r.a.target == r.b.target ? md(r.a.target) : "\(md(r.a.target)) → \(md(r.b.target))")\n\n"
        out += "| | snapshot | target | taken at |\n|---|---|---|---|\n"
        out += "| A | `\(md(r.a.id))` | \(md(r.a.target)) | \(SnapshotDiffReport.formatTime(r.a.takenAt)) |\n"
        out += "| B | `\(md(r.b.id))` | \(md(r.b.target)) | \(SnapshotDiffReport.formatTime(r.b.takenAt))\(apart(r)) |\n\n"
        for line in headline.lines {
            let marker = line.tone == .growth ? "🔺" : line.tone == .shrink ? "🔻" : "▫️"
            out += "- \(marker) \(md(line.text))\n"
        }
        if !result.gateOutcomes.isEmpty {
            out += "\n**Gates** (\(result.tripped.isEmpty ? "all passed" : "\(result.tripped.count) tripped")):\n\n"
            for o in result.gateOutcomes { out += "- \(o.tripped ? "❌" : "✅") `\(md(o.message))`\n" }
        }
        if !headline.warnings.isEmpty {
            out += "\n"
            for w in headline.warnings { out += "> ⚠️ \(md(w))\n>\n" }
            out.removeLast(2)
        }
        for c in result.profiles {
            let unit = c.diff.sampleType.unit
            out += "\n#### \(md(title(c)))\n\n"
            out += "| flat A | flat B | flat Δ | cum A | cum B | cum Δ | function |\n|--:|--:|--:|--:|--:|--:|---|\n"
            let (rows, cut, hidden) = bounds.apply(c.diff.entries) { $0.flatDelta == 0 && $0.cumDelta == 0 }
            for e in rows {
                let cells = [ValueFormatter.format(e.flatA, unit: unit), ValueFormatter.format(e.flatB, unit: unit),
                             ValueFormatter.format(e.flatDelta, unit: unit, signed: true),
                             ValueFormatter.format(e.cumA, unit: unit), ValueFormatter.format(e.cumB, unit: unit),
                             ValueFormatter.format(e.cumDelta, unit: unit, signed: true), "`\(md(e.name))`"]
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            if let note = TableBounds.note(cut: cut, hidden: hidden, noun: "row") { out += "\n_\(md(note))_\n" }
        }
        if let g = result.goroutines {
            out += "\n#### goroutines (from \(md(result.goroutineSource?.rawValue ?? "?"))): \(g.totalA) → \(g.totalB)\n\n"
            out += "| count A | count B | Δ | state | stack (leaf first) | created by | suspect |\n|--:|--:|--:|---|---|---|---|\n"
            let (rows, cut, hidden) = bounds.apply(g.changedFirst) { $0.delta == 0 }
            for group in rows {
                let stack = group.signature.prefix(3).map { "`\(md($0))`" }.joined(separator: " ← ")
                    + (group.signature.count > 3 ? " ← … (\(group.signature.count) frames)" : "")
                let cells = [String(group.countA), String(group.countB), GoroutineGrowth.signed(group.delta),
                             md((group.state ?? "-") + (group.leaked ? " (leaked)" : "")), stack.isEmpty ? "-" : stack,
                             group.createdBy.map { "`\(md($0))`" } ?? "-", group.suspect ? "⚠️ " + md(group.hint ?? "") : ""]
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            if let note = TableBounds.note(cut: cut, hidden: hidden, noun: "group") { out += "\n_\(md(note))_\n" }
        }
        if let rt = result.runtime {
            out += "\n#### runtime stats, \(DiffHeadline.durationText(rt.seconds)) apart\n\n| stat | A | B | Δ |\n|---|--:|--:|--:|\n"
            for row in runtimeRows(rt) { out += "| \(row.name) | \(row.a) | \(row.b) | \(row.delta) |\n" }
        }
        if let t = result.trace {
            out += "\n#### execution trace\n\n| figure | A | B | Δ |\n|---|--:|--:|--:|\n"
            for row in t.rows { out += "| \(md(row.name)) | \(row.a) | \(row.b) | \(row.delta) |\n" }
        }
        return out
    }

    /// Escapes text for a markdown table cell or paragraph: `|` (which ends a cell even inside code), and the
    /// characters that would start emphasis or links.
    static func md(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "|": out += "\\|"
            case "\n": out += " "
            case "<": out += "&lt;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// The memstats rows of the runtime table: name, A, B, delta as formatted text.
    static func runtimeRows(_ rt: RuntimeStatsDelta) -> [(name: String, a: String, b: String, delta: String, raw: RuntimeStatsDelta.Pair, unit: GateMetricUnit)] {
        let rows: [(String, RuntimeStatsDelta.Pair, GateMetricUnit)] = [
            ("heap in use", rt.heapInuse, .bytes), ("heap alloc", rt.heapAlloc, .bytes),
            ("heap objects", rt.heapObjects, .count), ("sys", rt.sys, .bytes), ("GC cycles", rt.numGC, .count),
            ("forced GCs", rt.numForcedGC, .count), ("GC pause total", rt.pauseTotalNs, .nanoseconds),
            ("total allocated", rt.totalAlloc, .bytes), ("mallocs", rt.mallocs, .count),
        ]
        return rows.map { name, p, unit in
            (name, GateFormat.value(Double(p.a), unit: unit), GateFormat.value(Double(p.b), unit: unit),
             (p.delta > 0 ? "+" : "") + GateFormat.value(Double(p.delta), unit: unit), p, unit)
        }
    }

    /// Folded lines (root first) of every compared kind: `stack count_a count_b` as difffolded.pl writes them
    /// (`values: .pair`, what flamegraph.pl draws as a differential flame graph), or one value per line. With
    /// more than one kind each stack starts with the kind as its root frame, so one file still feeds a tool.
    public static func folded(_ result: SnapshotDiffResult, values: FoldedStacks.Values = .pair) throws(ProfileDiffError) -> String {
        var out = ""
        let prefixed = result.profiles.count > 1
        for c in result.profiles {
            let lines = try FoldedStacks.render(base: c.base, current: c.current, sampleIndex: c.sampleIndex, values: values)
            if prefixed {
                for line in lines.split(separator: "\n") { out += "\(c.kind);\(line)\n" }
            } else {
                out += lines
            }
        }
        return out
    }

    /// HTML-escapes text for element content and attribute values (every HTML report uses this one).
    public static func esc(_ s: String) -> String {
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
