/// Human spellings used in reasons, warnings and error messages.
enum RetentionFormat {
    /// `90d`, `1d12h`, `45m`, `1.5s`, `0s`: whole days, hours, minutes and seconds, largest first.
    static func duration(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) {
            return "-" + duration(.zero - d)
        }
        var rest = seconds
        var parts = ""
        for (unit, name) in [(Int64(86_400), "d"), (3600, "h"), (60, "m")] where rest >= unit {
            parts += "\(rest / unit)\(name)"
            rest %= unit
        }
        let millis = attoseconds / 1_000_000_000_000_000
        if millis > 0 {
            var fraction = String(millis)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            parts += "\(rest).\(fraction)s"
        } else if rest > 0 || parts.isEmpty {
            parts += "\(rest)s"
        }
        return parts
    }

    /// `10 GiB`, `1.5 MiB`, `512 B`: binary units, at most two decimals.
    static func bytes(_ n: Int64) -> String {
        if n < 0 { return "-" + bytes(n == .min ? .max : -n) }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var index = 0
        var unit: Int64 = 1
        while index + 1 < units.count, n / unit >= 1024 {
            unit *= 1024
            index += 1
        }
        if n % unit == 0 { return "\(n / unit) \(units[index])" }
        let hundredths = (Double(n) / Double(unit) * 100).rounded()
        if hundredths >= 102_400, index + 1 < units.count { return "1 \(units[index + 1])" }
        let whole = Int64(hundredths) / 100
        let fraction = Int64(hundredths) % 100
        if fraction == 0 { return "\(whole) \(units[index])" }
        let digits = fraction % 10 == 0 ? "\(fraction / 10)" : (fraction < 10 ? "0\(fraction)" : "\(fraction)")
        return "\(whole).\(digits) \(units[index])"
    }

    /// Seconds as a `Double` (exact enough for comparisons against snapshot times).
    static func seconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
