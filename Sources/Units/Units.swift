// The one rule for units in gbsnap (docs/units.md): every input — config, command-line flags, `--fail-on`
// gates — and every output reads and writes units through this module.

/// Durations as users write them in configs, flags and gates: `90s`, `5m`, `1h30m`, `2d`, `1w`, `500ms`,
/// `1.5h`, `250us`. Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, `d` (24 h), `w` (7 d); case does not
/// matter. A bare number is rejected (the unit is not guessable), except `0`.
public enum DurationParser {
    private static let units: [(String, Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
    ]
    /// The units `format` writes (`µs` is only read).
    private static let formatUnits = units.filter { $0.0 != "µs" && $0.1 >= 1_000_000 }

    /// Nanoseconds in one `unit` (`ms`, `s`, `h`, ...; case does not matter); nil for anything else.
    public static func nanoseconds(inUnit unit: String) -> Int64? {
        let u = unit.lowercased()
        return units.first { $0.0 == u }?.1
    }

    /// Parses `text` (surrounding blanks ignored); nil when it is not a non-negative duration.
    public static func parse(_ text: String) -> Duration? {
        let s = Array(text.trimmingBlanks.lowercased().utf8)
        guard !s.isEmpty else { return nil }
        if s == Array("0".utf8) { return .zero }
        var i = 0
        var totalNanos: Double = 0
        var exactNanos: Int64 = 0
        var exact = true
        while i < s.count {
            let numberStart = i
            while i < s.count, (s[i] >= 48 && s[i] <= 57) || s[i] == 46 { i += 1 }
            guard i > numberStart, let number = Double(String(decoding: s[numberStart..<i], as: UTF8.self)) else { return nil }
            let unitStart = i
            while i < s.count, (s[i] >= 97 && s[i] <= 122) || s[i] == 0xC2 || s[i] == 0xB5 { i += 1 }  // µ is C2 B5
            let unit = String(decoding: s[unitStart..<i], as: UTF8.self)
            guard let scale = units.first(where: { $0.0 == unit })?.1 else { return nil }
            totalNanos += number * Double(scale)
            guard totalNanos < 9.0e18 else { return nil }
            if let whole = Int64(exactly: number) {
                let (p, o1) = whole.multipliedReportingOverflow(by: scale)
                let (sum, o2) = exactNanos.addingReportingOverflow(p)
                if o1 || o2 { return nil }
                exactNanos = sum
            } else {
                exact = false
            }
        }
        let nanos = exact ? exactNanos : Int64(totalNanos.rounded())
        return .nanoseconds(nanos)
    }

    /// Formats with the largest units first, e.g. `1h30m`, `2d`, `1m500ms`; zero is `0s`. Negative
    /// durations get a leading `-`. Sub-millisecond parts are dropped. Without `weeks`, days are the
    /// largest unit (`90d`, not `12w6d`), as retention ages are written.
    public static func format(_ duration: Duration, weeks: Bool = true) -> String {
        let (seconds, atto) = duration.components
        var millis = seconds * 1000 + atto / 1_000_000_000_000_000
        guard millis != 0 else { return "0s" }
        var out = millis < 0 ? "-" : ""
        millis = millis < 0 ? -millis : millis
        for (name, nanos) in formatUnits.reversed() where weeks || name != "w" {
            let ms = nanos / 1_000_000
            if millis >= ms {
                out += "\(millis / ms)\(name)"
                millis %= ms
            }
        }
        return out
    }
}

/// Byte sizes as users write them, with **one meaning on every input** (config, flags, `--fail-on` gates):
/// every byte unit is a power of 1024, as `go tool pprof` prints them. `kB`/`KB` and `KiB` are 1024 bytes,
/// `MB` and `MiB` 1024², likewise `GB`/`GiB`, `TB`/`TiB`, `PB`/`PiB`; `B` or no unit is bytes. (No one-letter
/// units: `5m` is five minutes wherever a duration may stand.)
/// Case does not matter, a blank may separate number and unit, fractions are allowed (`1.5GiB`). Output
/// (``ValueFormatter``) writes pprof's spellings `kB MB GB TB PB`, which under this rule mean the same powers of
/// 1024, so a figure printed by gbsnap or pprof can be pasted back into a gate or a config unchanged.
public enum ByteSizeParser {
    private static let units: [(String, Int64)] = [
        ("b", 1),
        ("kb", 1 << 10), ("kib", 1 << 10), ("mb", 1 << 20), ("mib", 1 << 20), ("gb", 1 << 30), ("gib", 1 << 30),
        ("tb", 1 << 40), ("tib", 1 << 40), ("pb", 1 << 50), ("pib", 1 << 50),
    ]

    /// Bytes in one `unit` (`B`, `KiB`, `MB`, ...; case does not matter); nil for anything else.
    public static func bytes(inUnit unit: String) -> Int64? {
        let u = unit.lowercased()
        return units.first { $0.0 == u }?.1
    }

    /// Parses `text`; nil when it is not a non-negative size that fits in 63 bits.
    public static func parse(_ text: String) -> Int64? {
        let s = text.trimmingBlanks.lowercased()
        let split = s.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) ?? s.endIndex
        let numberText = String(s[..<split])
        let unit = s[split...].trimmingBlanks
        guard !numberText.isEmpty, let number = Double(numberText), number >= 0 else { return nil }
        let scale: Int64
        if unit.isEmpty {
            scale = 1
        } else if let u = bytes(inUnit: unit) {
            scale = u
        } else {
            return nil
        }
        if let whole = Int64(numberText) {
            let (p, o) = whole.multipliedReportingOverflow(by: scale)
            return o ? nil : p
        }
        let value = number * Double(scale)
        guard value < 9.2e18, value == value.rounded() || scale > 1 else { return nil }
        return Int64(value.rounded())
    }

    /// The same size written back for a config or a flag: the largest unit that divides it exactly
    /// (`512MiB`, `10GiB`), plain bytes (`1023`) when none does. ``ValueFormatter`` is for reading, not re-parsing.
    public static func format(_ bytes: Int64) -> String {
        guard bytes != 0 else { return "0" }
        let binary = [("PiB", Int64(1) << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        if let b = binary.first(where: { bytes % $0.1 == 0 }) { return "\(bytes / b.1)\(b.0)" }
        return String(bytes)
    }
}

extension StringProtocol {
    var trimmingBlanks: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
