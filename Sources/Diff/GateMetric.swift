import Foundation
import Units

/// What a gate metric measures, which decides the units a threshold may use and how values print.
public enum GateMetricUnit: String, Sendable, Codable {
    /// A plain count (goroutines, objects, GC cycles). Thresholds take no unit.
    case count
    /// Bytes. Thresholds take `B`, `kB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`, `TB`/`TiB` (all powers of 1024, as `go tool pprof`
    /// prints them).
    case bytes
    /// Nanoseconds. Thresholds take the duration units `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`, `w`.
    case nanoseconds
    /// Bytes per second. Thresholds take byte units, optionally followed by `/s`.
    case bytesPerSecond
    /// Events per second. Thresholds take no unit or `/s`.
    case perSecond
    /// Seconds (execution-trace figures). A threshold without a unit is seconds; duration units work too.
    case seconds
}

/// The A and B values of one metric, for gate evaluation.
public struct GateMetricValue: Sendable, Equatable {
    /// Value in snapshot A (0 for metrics that exist only between the snapshots, such as rates).
    public var a: Double
    /// Value in snapshot B (or over the interval A→B for interval metrics).
    public var b: Double
    /// Unit of both values.
    public var unit: GateMetricUnit

    /// Creates a value.
    public init(a: Double, b: Double, unit: GateMetricUnit = .count) {
        self.a = a
        self.b = b
        self.unit = unit
    }
}

/// How gate values print: the metric's unit decides; bytes and durations as every table prints them (``ValueFormatter``).
enum GateFormat {
    static func value(_ v: Double, unit: GateMetricUnit) -> String {
        switch unit {
        case .count, .perSecond:
            let suffix = unit == .perSecond ? "/s" : ""
            if v.rounded() == v && abs(v) < 1e15 { return String(Int64(v)) + suffix }
            return String(format: "%.2f", v) + suffix
        case .bytes: return bytes(v)
        case .bytesPerSecond: return bytes(v) + "/s"
        case .nanoseconds: return duration(v)
        case .seconds: return duration(v * 1e9)
        }
    }

    /// pprof-style byte label (B, kB, MB, GB, 1024 steps), the same text as the profile tables.
    static func bytes(_ v: Double) -> String { ValueFormatter.format(v, unit: "bytes") }

    /// pprof-style duration label (ns, us, ms, s, hrs), the same text as the profile tables.
    static func duration(_ ns: Double) -> String { ValueFormatter.format(ns, unit: "nanoseconds") }
}
