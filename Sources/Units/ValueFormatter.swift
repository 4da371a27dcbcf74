import Foundation

/// The one formatter of byte counts and durations for people (diff tables, headlines, gates, listings): units the
/// way pprof's `measurement.ScaledLabel` picks them, bytes as B/kB/MB/GB/TB/PB (powers of 1024, the meaning
/// ``ByteSizeParser`` gives the same spellings on input), nanoseconds as ns/us/ms/s/hrs, other units as plain
/// numbers.
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

    /// A measured `value` (a rate, a gate's A or B: fractional, possibly beyond `Int64`) in `unit`, rounded to the
    /// nearest integer and formatted as ``format(_:unit:signed:)`` does. A value that is not finite or
    /// beyond ±9e18 prints as Swift prints the number, followed by the base unit of bytes (`B`) or durations (`ns`).
    public static func format(_ value: Double, unit: String) -> String {
        guard value.isFinite, abs(value) < 9e18 else {
            switch unit.lowercased() {
            case "bytes", "byte", "b": return String(value) + "B"
            case "nanoseconds", "nanosecond", "ns": return String(value) + "ns"
            default: return String(value)
            }
        }
        return format(Int64(value.rounded()), unit: unit)
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
