/// Durations as users write them in configs and flags: `90s`, `5m`, `1h30m`, `2d`, `1w`, `500ms`,
/// `1.5h`. Units: `ms`, `s`, `m`, `h`, `d` (24 h), `w` (7 d). A bare number is rejected (the unit is
/// not guessable), except `0`.
public enum DurationParser {
    private static let units: [(String, Int64)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
    ]

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
            while i < s.count, s[i] >= 97, s[i] <= 122 { i += 1 }
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
    /// durations get a leading `-`. Sub-millisecond parts are dropped.
    public static func format(_ duration: Duration) -> String {
        let (seconds, atto) = duration.components
        var millis = seconds * 1000 + atto / 1_000_000_000_000_000
        guard millis != 0 else { return "0s" }
        var out = millis < 0 ? "-" : ""
        millis = millis < 0 ? -millis : millis
        for (name, nanos) in units.reversed() {
            let ms = nanos / 1_000_000
            if millis >= ms {
                out += "\(millis / ms)\(name)"
                millis %= ms
            }
        }
        return out
    }
}

/// Byte sizes as users write them: `1024`, `512MiB`, `10GB`, `1.5GiB`, `64 KiB`. Decimal units
/// `B KB MB GB TB PB` (powers of 1000) and binary units `KiB MiB GiB TiB PiB` (powers of 1024); case
/// does not matter.
public enum ByteSizeParser {
    private static let units: [(String, Int64)] = [
        ("b", 1), ("kb", 1000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("pb", 1_000_000_000_000_000), ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("pib", 1 << 50),
    ]

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
        } else if let u = units.first(where: { $0.0 == unit })?.1 {
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

    /// Formats exactly, with whichever of the largest dividing binary unit (`512MiB`) or decimal
    /// unit (`10GB`) gives the smaller number; plain bytes (`1023`) when neither divides.
    public static func format(_ bytes: Int64) -> String {
        guard bytes != 0 else { return "0" }
        let binary = [("PiB", Int64(1) << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
            .first { bytes % $0.1 == 0 }
        let decimal = [("PB", Int64(1_000_000_000_000_000)), ("TB", 1_000_000_000_000), ("GB", 1_000_000_000),
                       ("MB", 1_000_000), ("KB", 1000)].first { bytes % $0.1 == 0 }
        switch (binary, decimal) {
        case let (b?, d?): return bytes / b.1 <= bytes / d.1 ? "\(bytes / b.1)\(b.0)" : "\(bytes / d.1)\(d.0)"
        case let (b?, nil): return "\(bytes / b.1)\(b.0)"
        case let (nil, d?): return "\(bytes / d.1)\(d.0)"
        case (nil, nil): return String(bytes)
        }
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
