import Profiles

/// Renders a `ProfileDiff` as a pprof `-top`-like text table with columns for A, B and the delta.
public enum TopTable {
    /// The table: a header with the sample type and totals, then one row per entry in pprof's order.
    ///
    /// - Parameters:
    ///   - title: a first line naming the kind (e.g. `heap`), omitted when nil.
    ///   - bounds: which rows show; a last line says how many were left out and how to see them.
    ///   - style: colour and terminal width.
    public static func render(_ diff: ProfileDiff, title: String? = nil, bounds: TableBounds = .unbounded,
                              style: TextStyle = .plain) -> String {
        let unit = diff.sampleType.unit
        var out = ""
        if let title { out += style.bold("== \(title) ==") + "\n" }
        out += "Type: \(diff.sampleType.type) (\(unit)), granularity: \(diff.granularity.rawValue)\n"
        out += "Total A: \(ValueFormatter.format(diff.totalA, unit: unit)), "
            + "total B: \(ValueFormatter.format(diff.totalB, unit: unit)), "
            + "delta: \(ValueFormatter.format(diff.totalDelta, unit: unit, signed: true))\n"
        let header = ["flat A", "flat B", "flat Δ", "cum A", "cum B", "cum Δ"]
        out += header.map { pad($0, 11) }.joined(separator: " ") + "  name\n"
        let (rows, cut, hidden) = bounds.apply(diff.entries) { $0.flatDelta == 0 && $0.cumDelta == 0 }
        for entry in rows {
            let cells = [
                pad(ValueFormatter.format(entry.flatA, unit: unit), 11),
                pad(ValueFormatter.format(entry.flatB, unit: unit), 11),
                style.signed(pad(ValueFormatter.format(entry.flatDelta, unit: unit, signed: true), 11), entry.flatDelta),
                pad(ValueFormatter.format(entry.cumA, unit: unit), 11),
                pad(ValueFormatter.format(entry.cumB, unit: unit), 11),
                style.signed(pad(ValueFormatter.format(entry.cumDelta, unit: unit, signed: true), 11), entry.cumDelta),
            ]
            out += cells.joined(separator: " ") + "  " + style.fit(entry.name, after: 6 * 12 + 1) + "\n"
        }
        if let note = TableBounds.note(cut: cut, hidden: hidden, noun: "row") { out += note + "\n" }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        let n = s.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }
}
