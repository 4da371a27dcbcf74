import Foundation
import Profiles

/// `gbsnap diff --format html`: one self-contained page (CSS, JavaScript and data inline; nothing fetched) with
/// the headline, a differential flame graph per profile kind and sample type, the goroutine groups with their
/// flame graph, the runtime stats with a chart of the GC pauses, and sortable tables. Headline and tables are
/// plain HTML, so the page reads without JavaScript too.
public enum HTMLReport {
    /// What goes into the page.
    public struct Options: Sendable {
        /// Rows per table (the flame graphs always hold everything that is visible at their scale).
        public var bounds: TableBounds
        /// The most call-tree nodes the page holds over all flame graphs; each graph is pruned to its share
        /// (frames below a small share of the total fold into one "other" node per parent).
        public var nodeBudget: Int

        /// Creates options.
        public init(bounds: TableBounds = TableBounds(limit: 100, all: false), nodeBudget: Int = 80_000) {
            self.bounds = bounds
            self.nodeBudget = nodeBudget
        }
    }

    /// The page.
    public static func render(_ result: SnapshotDiffResult, options: Options = Options()) throws(ProfileDiffError) -> String {
        let r = result.report
        let headline = DiffHeadline(result)
        var graphs: [(id: String, json: String)] = []
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>gbsnap diff \(esc(r.a.id)) → \(esc(r.b.id))</title>
        <style>\(ReportAssets.css)</style>
        </head><body>
        <header><h1>gbsnap diff <span class="target">\(esc(r.a.target == r.b.target ? r.a.target : "\(r.a.target) → \(r.b.target)"))</span></h1>
        <table class="snapshots"><thead><tr><th></th><th>snapshot</th><th>target</th><th>taken at</th></tr></thead><tbody>
        <tr><td>A</td><td class="name">\(esc(r.a.id))</td><td>\(esc(r.a.target))</td><td>\(SnapshotDiffReport.formatTime(r.a.takenAt))</td></tr>
        <tr><td>B</td><td class="name">\(esc(r.b.id))</td><td>\(esc(r.b.target))</td><td>\(SnapshotDiffReport.formatTime(r.b.takenAt))\(esc(SnapshotDiffRender.apart(r)))</td></tr>
        </tbody></table></header>

        """
        var nav: [(String, String)] = [("summary", "summary")]
        nav += result.profiles.map { ("sec-\(slug($0.kind.rawValue))", $0.kind.rawValue) }
        if result.goroutines != nil { nav.append(("sec-goroutines", "goroutines")) }
        if result.runtime != nil { nav.append(("sec-runtime", "runtime")) }
        if result.trace != nil { nav.append(("sec-trace", "trace")) }
        page += "<nav class=\"kinds\">" + nav.map { "<a href=\"#\($0.0)\">\(esc($0.1))</a>" }.joined() + "</nav>\n"

        page += "<section id=\"summary\"><h2>What changed</h2>\n<pre class=\"headline\">"
        page += headline.lines.map { line in
            switch line.tone {
            case .growth: "<span class=\"up\">\(esc(line.text))</span>"
            case .shrink: "<span class=\"down\">\(esc(line.text))</span>"
            case .neutral: esc(line.text)
            }
        }.joined(separator: "\n")
        page += "</pre>\n"
        if !result.gateOutcomes.isEmpty {
            page += "<h3>Gates</h3>\n<ul class=\"gates\">\n"
            for o in result.gateOutcomes { page += "<li class=\"\(o.tripped ? "up" : "down")\">\(o.tripped ? "tripped" : "passed"): \(esc(o.message))</li>\n" }
            page += "</ul>\n"
        }
        if !headline.warnings.isEmpty {
            page += "<ul class=\"warnings\">\n" + headline.warnings.map { "<li class=\"warn\">\(esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        page += "</section>\n"

        // Flame graphs share the node budget: the compared sample type of each kind gets most of it.
        let extraTypes = result.profiles.map { otherSampleTypes($0) }
        let primaryCount = result.profiles.count + (result.goroutines == nil ? 0 : 1)
        let secondaryCount = extraTypes.reduce(0) { $0 + $1.count }
        let primaryBudget = max(2_000, options.nodeBudget * 3 / 4 / max(primaryCount, 1))
        let secondaryBudget = max(1_000, options.nodeBudget / 4 / max(secondaryCount, 1))

        for (c, extras) in zip(result.profiles, extraTypes) {
            let kind = slug(c.kind.rawValue)
            page += "<section id=\"sec-\(kind)\"><h2>\(esc(SnapshotDiffRender.title(c)))</h2>\n"
            page += "<p class=\"headline\">\(esc(DiffHeadline.profileLine(c).text))</p>\n"
            let id = "\(kind)-\(slug(c.diff.sampleType.type))"
            let callTree = try FlameTree.CallTree(base: c.base, current: c.current)
            let tree = try callTree.valued(sampleIndex: c.sampleIndex)
            graphs.append((id, tree.json(title: SnapshotDiffRender.title(c), unit: c.diff.sampleType.unit,
                                         keep: tree.keptNodes(maxNodes: primaryBudget))))
            page += flameDiv(id)
            for type in extras {
                let extraID = "\(kind)-\(slug(type.type))"
                let extraTree = try callTree.valued(sampleIndex: .name(type.type))
                graphs.append((extraID, extraTree.json(title: "\(c.kind) \(type.type)", unit: type.unit,
                                                       keep: extraTree.keptNodes(maxNodes: secondaryBudget))))
                page += "<details class=\"sample-type\"><summary>\(esc(c.kind.rawValue)) \(esc(type.type)) flame graph</summary>\n"
                    + flameDiv(extraID) + "</details>\n"
            }
            page += profileTable(c, bounds: options.bounds)
            page += "</section>\n"
        }
        if let g = result.goroutines {
            page += "<section id=\"sec-goroutines\"><h2>goroutines: \(g.totalA) → \(g.totalB) (\(GoroutineGrowth.signed(g.totalB - g.totalA))), from \(esc(result.goroutineSource?.rawValue ?? ""))</h2>\n"
            page += "<p class=\"headline\">\(esc(DiffHeadline.goroutineLine(g).text))</p>\n"
            let tree = FlameTree.goroutines(g)
            graphs.append(("goroutines", tree.json(title: "goroutines", unit: "count", keep: tree.keptNodes(maxNodes: primaryBudget))))
            page += flameDiv("goroutines")
            page += goroutineTable(g, bounds: options.bounds)
            page += "</section>\n"
        }
        if let rt = result.runtime {
            page += "<section id=\"sec-runtime\"><h2>runtime stats, \(DiffHeadline.durationText(rt.seconds)) apart</h2>\n"
            page += "<p class=\"headline\">\(esc(DiffHeadline.runtimeLine(rt).text))</p>\n"
            page += runtimeTable(rt)
            if let p = rt.pauses { page += pauseChart(p) }
            page += rt.warnings.map { "<p class=\"warn\">\(esc($0))</p>\n" }.joined()
            page += "</section>\n"
        }
        if let t = result.trace {
            page += "<section id=\"sec-trace\"><h2>execution trace</h2>\n"
            page += "<p class=\"headline\">\(esc(t.headline))</p>\n"
            page += traceTable(t) + traceBars(t)
            page += "</section>\n"
        }
        page += "<footer>gbsnap \(esc(r.schema)); every delta is B − A; per-function numbers equal "
            + "<code>go tool pprof -top -diff_base=A B</code>.</footer>\n"
        page += "<script type=\"application/json\" id=\"gbsnap-data\">{\"graphs\":{"
            + graphs.map { "\(JSONText.string($0.id)):\($0.json)" }.joined(separator: ",") + "}}</script>\n"
        page += "<script>\(ReportAssets.script)</script>\n</body></html>\n"
        return page
    }

    /// Sample types both profiles have, other than the compared one.
    static func otherSampleTypes(_ c: ProfileComparison) -> [Profile.ValueType] {
        let namesA = Set(c.base.sampleTypes.map(\.type))
        var seen: Set<String> = [c.diff.sampleType.type]
        return c.current.sampleTypes.filter { namesA.contains($0.type) && seen.insert($0.type).inserted }
    }

    static func flameDiv(_ id: String) -> String {
        "<div class=\"flame\" data-graph=\"\(esc(id))\"><noscript>The flame graph needs JavaScript; the tables below have the same numbers.</noscript></div>\n"
    }

    static func profileTable(_ c: ProfileComparison, bounds: TableBounds) -> String {
        let unit = c.diff.sampleType.unit
        var h = "<table class=\"sortable profile\"><thead><tr><th>flat A</th><th>flat B</th><th>flat Δ</th><th>cum A</th>"
            + "<th>cum B</th><th>cum Δ</th><th>function</th></tr></thead><tbody>\n"
        let (rows, cut, hidden) = bounds.apply(c.diff.entries) { $0.flatDelta == 0 && $0.cumDelta == 0 }
        for e in rows {
            h += "<tr>" + number(e.flatA, unit) + number(e.flatB, unit) + delta(e.flatDelta, unit)
                + number(e.cumA, unit) + number(e.cumB, unit) + delta(e.cumDelta, unit)
                + "<td class=\"name\">\(esc(e.name))</td></tr>\n"
        }
        h += "</tbody></table>\n"
        if let note = TableBounds.note(cut: cut, hidden: hidden, noun: "row") { h += "<p class=\"more\">\(esc(note))</p>\n" }
        return h
    }

    static func goroutineTable(_ g: GoroutineGrowth, bounds: TableBounds) -> String {
        var h = "<table class=\"sortable goroutines\"><thead><tr><th>count A</th><th>count B</th><th>Δ</th><th>max wait B</th>"
            + "<th>state</th><th>stack (leaf first)</th><th>created by</th><th>labels</th><th>suspect</th></tr></thead><tbody>\n"
        let (rows, cut, hidden) = bounds.apply(g.changedFirst) { $0.delta == 0 }
        for group in rows {
            let labels = group.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let states = group.states.count > 1
                ? " (" + group.states.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")" : ""
            let leaf = group.signature.first ?? "<no stack>"
            h += "<tr\(group.suspect ? " class=\"suspect\"" : "")>" + number(Int64(group.countA), "count")
                + number(Int64(group.countB), "count") + delta(Int64(group.delta), "count")
                + "<td class=\"n\" data-v=\"\(group.maxWaitMinutesB ?? -1)\">\(group.maxWaitMinutesB.map { "\($0)m" } ?? "-")</td>"
                + "<td>\(esc((group.state ?? "-") + (group.leaked ? " (leaked)" : "") + states))</td>"
                + "<td class=\"name\"><details><summary>\(esc(leaf))</summary><pre>\(esc(group.signature.joined(separator: "\n")))</pre></details></td>"
                + "<td class=\"name\">\(esc(group.createdBy ?? ""))</td><td>\(esc(labels))</td>"
                + "<td>\(group.suspect ? esc(group.hint ?? "suspect") : "")</td></tr>\n"
        }
        h += "</tbody></table>\n"
        if let note = TableBounds.note(cut: cut, hidden: hidden, noun: "group") { h += "<p class=\"more\">\(esc(note))</p>\n" }
        return h
    }

    static func runtimeTable(_ rt: RuntimeStatsDelta) -> String {
        var h = "<table class=\"sortable runtime\"><thead><tr><th>stat</th><th>A</th><th>B</th><th>Δ</th></tr></thead><tbody>\n"
        for row in SnapshotDiffRender.runtimeRows(rt) {
            let d = row.raw.delta
            h += "<tr><td>\(row.name)</td><td class=\"n\" data-v=\"\(row.raw.a)\">\(esc(row.a))</td>"
                + "<td class=\"n\" data-v=\"\(row.raw.b)\">\(esc(row.b))</td>"
                + "<td class=\"n\(d > 0 ? " up" : d < 0 ? " down" : "")\" data-v=\"\(d)\">\(esc(row.delta))</td></tr>\n"
        }
        if let rate = rt.allocBytesPerSecond {
            h += "<tr><td>allocation rate</td><td colspan=\"3\">\(esc(GateFormat.bytes(rate)))/s</td></tr>\n"
        }
        return h + "</tbody></table>\n"
    }

    static func traceTable(_ t: TraceComparison) -> String {
        var h = "<table class=\"sortable trace\"><thead><tr><th>figure</th><th>A</th><th>B</th><th>Δ</th></tr></thead><tbody>\n"
        for row in t.rows {
            let d = row.value.b - row.value.a
            h += "<tr><td>\(esc(row.name))</td><td class=\"n\" data-v=\"\(row.value.a)\">\(esc(row.a))</td>"
                + "<td class=\"n\" data-v=\"\(row.value.b)\">\(esc(row.b))</td>"
                + "<td class=\"n\(d > 0 ? " up" : d < 0 ? " down" : "")\" data-v=\"\(d)\">\(esc(row.delta))</td></tr>\n"
        }
        return h + "</tbody></table>\n"
    }

    /// Where the time went in each trace, as paired bars per figure (A above B, one scale per figure): GC,
    /// stop-the-world and time blocked per reason (figures zero in both are left out). Inline SVG, no script.
    static func traceBars(_ t: TraceComparison) -> String {
        let figures = t.rows.filter { $0.value.unit == .seconds && ($0.name.hasPrefix("blocked on") || $0.name == "GC time"
            || $0.name == "stop-the-world total") && max($0.value.a, $0.value.b) > 0 }
        guard !figures.isEmpty else { return "" }
        let rowHeight = 30, width = 420, label = 170
        var h = "<h3>where the time went (A above, B below)</h3>\n<svg class=\"chart trace-bars\" width=\"\(label + width + 90)\" "
            + "height=\"\(figures.count * rowHeight + 4)\" role=\"img\" aria-label=\"trace time by figure\">\n"
        for (i, f) in figures.enumerated() {
            let top = max(f.value.a, f.value.b, 1e-12)
            let y = i * rowHeight
            h += "<text x=\"0\" y=\"\(y + 17)\">\(esc(f.name))</text>\n"
            for (j, (v, text)) in [(f.value.a, f.a), (f.value.b, f.b)].enumerated() {
                let w = max(1, Int((v / top * Double(width)).rounded()))
                h += "<rect x=\"\(label)\" y=\"\(y + 3 + j * 12)\" width=\"\(w)\" height=\"10\" class=\"\(j == 0 ? "bar-a" : "bar-b")\">"
                    + "<title>\(j == 0 ? "A" : "B"): \(esc(text))</title></rect>"
                    + "<text x=\"\(label + w + 4)\" y=\"\(y + 12 + j * 12)\" class=\"bar-label\">\(esc(text))</text>\n"
            }
        }
        return h + "</svg>\n"
    }

    /// The GC pauses between A and B as an inline SVG bar chart (oldest left), with p50/p99/max.
    static func pauseChart(_ p: RuntimeStatsDelta.Pauses) -> String {
        var h = "<h3>GC pauses between A and B</h3>\n<p>\(p.cycles) GC cycles, total \(esc(GateFormat.duration(Double(p.totalNs))))"
        if p.available > 0 {
            h += "; p50 \(esc(GateFormat.duration(Double(p.p50Ns ?? 0)))), p99 \(esc(GateFormat.duration(Double(p.p99Ns ?? 0)))), "
                + "max \(esc(GateFormat.duration(Double(p.maxNs ?? 0))))"
        }
        if p.lost > 0 { h += " (\(p.lost) pauses lost from the runtime's 256-entry ring)" }
        h += ".</p>\n"
        guard !p.pausesNs.isEmpty, let top = p.pausesNs.max(), top > 0 else { return h }
        let width = 720.0, height = 140.0, left = 64.0, bottom = 18.0
        let bar = (width - left) / Double(p.pausesNs.count)
        h += "<svg class=\"chart pauses\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"GC pause durations\">\n"
        h += "<text x=\"\(Int(left - 6))\" y=\"12\" text-anchor=\"end\">\(esc(GateFormat.duration(Double(top))))</text>"
            + "<text x=\"\(Int(left - 6))\" y=\"\(Int(height - bottom))\" text-anchor=\"end\">0</text>"
            + "<line x1=\"\(Int(left))\" y1=\"\(Int(height - bottom))\" x2=\"\(Int(width))\" y2=\"\(Int(height - bottom))\" stroke=\"currentColor\" stroke-opacity=\"0.4\"/>\n"
        for (i, ns) in p.pausesNs.enumerated() {
            let hgt = max(1, (height - bottom - 8) * Double(ns) / Double(top))
            let x = left + Double(i) * bar
            h += "<rect x=\"\(fmt(x))\" y=\"\(fmt(height - bottom - hgt))\" width=\"\(fmt(max(1, bar * 0.8)))\" height=\"\(fmt(hgt))\">"
                + "<title>GC \(i + 1) of \(p.pausesNs.count): \(esc(GateFormat.duration(Double(ns))))</title></rect>"
        }
        h += "\n<text x=\"\(Int(left))\" y=\"\(Int(height - 3))\">oldest</text><text x=\"\(Int(width))\" y=\"\(Int(height - 3))\" text-anchor=\"end\">newest</text></svg>\n"
        return h
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func number(_ v: Int64, _ unit: String) -> String {
        "<td class=\"n\" data-v=\"\(v)\">\(esc(ValueFormatter.format(v, unit: unit)))</td>"
    }

    static func delta(_ v: Int64, _ unit: String) -> String {
        "<td class=\"n\(v > 0 ? " up" : v < 0 ? " down" : "")\" data-v=\"\(v)\">\(esc(ValueFormatter.format(v, unit: unit, signed: true)))</td>"
    }

    /// An id-safe form of a kind or sample type name.
    static func slug(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    static func esc(_ s: String) -> String { SnapshotDiffRender.esc(s) }
}
