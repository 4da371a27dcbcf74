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

/// Human units the way pprof's `measurement.ScaledLabel` picks them: bytes as B/kB/MB/GB/TB/PB
/// (powers of 1024), nanoseconds as ns/us/ms/s/hrs, other units as plain numbers.
public enum ValueFormatter {
    /// `value` in `unit` (a profile unit such as `bytes`, `nanoseconds`, `count`), auto-scaled,
    /// two decimals with a trailing `.00` removed; `signed` adds a `+` to positive values.
    public static func format(_ value: Int64, unit: String, signed: Bool = false) -> String {
        let (scales, baseFactor): ([(String, Double)], Double)
        switch unit.lowercased() {
        case "bytes", "byte", "b":
            scales = [("B", 1), ("kB", 1024), ("MB", 1_048_576), ("GB", 1_073_741_824),
                      ("TB", 1_099_511_627_776), ("PB", 1_125_899_906_842_624)]
            baseFactor = 1
        case "nanoseconds", "nanosecond", "ns":
            scales = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("hrs", 3.6e12)]
            baseFactor = 1
        case "microseconds", "us":
            scales = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("hrs", 3.6e12)]
            baseFactor = 1e3
        case "milliseconds", "ms":
            scales = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("hrs", 3.6e12)]
            baseFactor = 1e6
        case "seconds", "s":
            scales = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("hrs", 3.6e12)]
            baseFactor = 1e9
        default:
            if value == 0 { return "0" }
            return (signed && value > 0 ? "+" : "") + String(value)
        }
        if value == 0 { return "0" }
        let magnitude = Double(value.magnitude) * baseFactor
        var chosen = scales[0]
        for scale in scales where magnitude / scale.1 >= 1 { chosen = scale }
        var text = twoDecimals(magnitude / chosen.1)
        if text == "0" { return "0" }
        text += chosen.0
        if value < 0 { return "-" + text }
        return signed ? "+" + text : text
    }

    /// `%.2f` with a trailing `.00` removed, for a non-negative value.
    static func twoDecimals(_ v: Double) -> String {
        let hundredths = (v * 100).rounded()
        guard hundredths.isFinite, hundredths < 9.2e18 else { return String(v) }
        let h = Int64(hundredths)
        let whole = h / 100, frac = h % 100
        if frac == 0 { return String(whole) }
        return "\(whole)." + (frac < 10 ? "0" : "") + String(frac)
    }
}
