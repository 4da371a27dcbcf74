import Units

/// Retention's spellings, from the one formatter of each unit (docs/units.md).
enum RetentionFormat {
    /// An age or window as configs write it: `90d`, `1d12h`, `45m`, `1s500ms`, `0s` (days the largest unit).
    static func duration(_ d: Duration) -> String { DurationParser.format(d, weeks: false) }

    /// A budget as configs write it: `10GiB`, `512MiB`, `1023` (bytes).
    static func budget(_ n: Int64) -> String { ByteSizeParser.format(n) }

    /// A measured size for people: `41GB`, `1.5MB` (pprof's spellings; powers of 1024, as on input).
    static func size(_ n: Int64) -> String { ValueFormatter.format(n, unit: "bytes") }

    /// Seconds as a `Double` (exact enough for comparisons against snapshot times).
    static func seconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
