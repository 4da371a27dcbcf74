import Foundation
import Profiles

/// Runtime statistics from two `/debug/vars` snapshots: memory, GC and allocation rates between them.
public struct RuntimeStatsDelta: Sendable, Equatable, Codable {
    /// One statistic in A and in B.
    public struct Pair: Sendable, Equatable, Codable {
        /// Value in A.
        public var a: UInt64
        /// Value in B.
        public var b: UInt64
        /// `b - a` (negative when it decreased).
        public var delta: Int64

        /// Creates a pair; the delta saturates at the `Int64` range.
        public init(a: UInt64, b: UInt64) {
            self.a = a
            self.b = b
            delta = b >= a ? Int64(clamping: b - a) : -Int64(clamping: a - b)
        }
    }

    /// GC pauses that happened between the snapshots, read from the `PauseNs` ring.
    public struct Pauses: Sendable, Equatable, Codable {
        /// GC cycles completed between A and B (`NumGC_b - NumGC_a`).
        public var cycles: UInt64
        /// Pauses read from the ring: `min(cycles, 256)`.
        public var available: Int
        /// Pauses that had already been overwritten in the 256-entry ring (`cycles - available`).
        public var lost: UInt64
        /// Total pause time between A and B from `PauseTotalNs` (exact even when pauses were lost).
        public var totalNs: UInt64
        /// Median of the available pauses (nearest rank); nil when none.
        public var p50Ns: UInt64?
        /// 99th percentile of the available pauses (nearest rank); nil when none.
        public var p99Ns: UInt64?
        /// Longest available pause; nil when none.
        public var maxNs: UInt64?
        /// The available pauses, oldest first.
        public var pausesNs: [UInt64]

        enum CodingKeys: String, CodingKey {
            case cycles, available, lost
            case totalNs = "total_ns", p50Ns = "p50_ns", p99Ns = "p99_ns", maxNs = "max_ns", pausesNs = "pauses_ns"
        }

        /// Encodes every key, with `null` for absent percentiles, so the JSON schema is stable.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(cycles, forKey: .cycles)
            try c.encode(available, forKey: .available)
            try c.encode(lost, forKey: .lost)
            try c.encode(totalNs, forKey: .totalNs)
            try c.encode(p50Ns, forKey: .p50Ns)
            try c.encode(p99Ns, forKey: .p99Ns)
            try c.encode(maxNs, forKey: .maxNs)
            try c.encode(pausesNs, forKey: .pausesNs)
        }
    }

    /// Seconds between the snapshots (`takenAtB - takenAtA`).
    public var seconds: Double
    /// `HeapInuse`: bytes in in-use heap spans.
    public var heapInuse: Pair
    /// `HeapAlloc`: bytes of allocated heap objects.
    public var heapAlloc: Pair
    /// `HeapObjects`: live heap objects.
    public var heapObjects: Pair
    /// `Sys`: bytes obtained from the OS.
    public var sys: Pair
    /// `NumGC`: completed GC cycles.
    public var numGC: Pair
    /// `NumForcedGC`: GC cycles forced by the application.
    public var numForcedGC: Pair
    /// `PauseTotalNs`: cumulative stop-the-world pause time.
    public var pauseTotalNs: Pair
    /// `TotalAlloc`: cumulative bytes allocated.
    public var totalAlloc: Pair
    /// `Mallocs`: cumulative objects allocated.
    public var mallocs: Pair
    /// Pauses between A and B; nil when the process restarted (counters went backwards).
    public var pauses: Pauses?
    /// Bytes allocated per second between A and B; nil when the interval is not positive or the process restarted.
    public var allocBytesPerSecond: Double?
    /// Objects allocated per second between A and B; nil as for `allocBytesPerSecond`.
    public var mallocsPerSecond: Double?
    /// Cumulative counters (`NumGC`, `TotalAlloc`, `Mallocs`) decreased: B is a different process than A.
    public var restarted: Bool
    /// Problems worth reporting, e.g. `B was taken before A`.
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case seconds, sys, pauses, restarted, warnings, mallocs
        case heapInuse = "heap_inuse", heapAlloc = "heap_alloc", heapObjects = "heap_objects", numGC = "num_gc"
        case numForcedGC = "num_forced_gc", pauseTotalNs = "pause_total_ns", totalAlloc = "total_alloc"
        case allocBytesPerSecond = "alloc_bytes_per_second", mallocsPerSecond = "mallocs_per_second"
    }

    /// Encodes every key, with `null` for absent values (no pauses after a restart, no rates), so the JSON
    /// schema is stable.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(heapInuse, forKey: .heapInuse)
        try c.encode(heapAlloc, forKey: .heapAlloc)
        try c.encode(heapObjects, forKey: .heapObjects)
        try c.encode(sys, forKey: .sys)
        try c.encode(numGC, forKey: .numGC)
        try c.encode(numForcedGC, forKey: .numForcedGC)
        try c.encode(pauseTotalNs, forKey: .pauseTotalNs)
        try c.encode(totalAlloc, forKey: .totalAlloc)
        try c.encode(mallocs, forKey: .mallocs)
        try c.encode(pauses, forKey: .pauses)
        try c.encode(allocBytesPerSecond, forKey: .allocBytesPerSecond)
        try c.encode(mallocsPerSecond, forKey: .mallocsPerSecond)
        try c.encode(restarted, forKey: .restarted)
        try c.encode(warnings, forKey: .warnings)
    }

    /// Computes the delta. Throws ``RuntimeStatsError`` when either snapshot has no `memstats`.
    public static func compute(a: ExpVars, takenAtA: Date, b: ExpVars, takenAtB: Date) throws -> RuntimeStatsDelta {
        guard let ma = a.memStats else { throw RuntimeStatsError.missingMemStats(snapshot: "A") }
        guard let mb = b.memStats else { throw RuntimeStatsError.missingMemStats(snapshot: "B") }
        return compute(a: ma, takenAtA: takenAtA, b: mb, takenAtB: takenAtB)
    }

    /// How the warning about counters going back starts (a diff reports restarts once, in its own words).
    public static let restartWarningPrefix = "cumulative counters went backwards"

    /// Computes the delta from two `memstats` values.
    public static func compute(a: GoMemStats, takenAtA: Date, b: GoMemStats, takenAtB: Date) -> RuntimeStatsDelta {
        let seconds = takenAtB.timeIntervalSince(takenAtA)
        var warnings: [String] = []
        // Counters only go back in time order: A newer than B is a reversed pair, not a restart.
        let (older, newer) = seconds < 0 ? (b, a) : (a, b)
        let restarted = newer.numGC < older.numGC || newer.totalAlloc < older.totalAlloc || newer.mallocs < older.mallocs
        if restarted {
            warnings.append(Self.restartWarningPrefix + " (NumGC \(older.numGC) -> \(newer.numGC)): "
                + "the process restarted between the snapshots, so pauses and rates are not computed")
        }
        if seconds < 0 {
            warnings.append("snapshot A is newer than snapshot B (\(-seconds) s): pauses and rates are not computed")
        } else if seconds == 0 {
            warnings.append("snapshots A and B were taken at the same time: rates are not computed")
        }
        var pauses: Pauses?
        if !restarted && seconds >= 0 {
            pauses = pausesBetween(a: a, b: b)
            if let p = pauses, p.lost > 0, b.pauseNs.count != 256 {
                warnings.append("memstats of snapshot B has no 256-entry PauseNs ring (\(b.pauseNs.count) entries): "
                    + "the \(p.cycles) pauses between the snapshots are not in the percentiles (the total counts them)")
            } else if let p = pauses, p.lost > 0 {
                warnings.append("\(p.cycles) GC cycles ran between the snapshots but the PauseNs ring keeps only the "
                    + "last 256: \(p.lost) pauses are not in the percentiles (the total still counts them)")
            }
        }
        let rate = !restarted && seconds > 0
        return RuntimeStatsDelta(
            seconds: seconds,
            heapInuse: Pair(a: a.heapInuse, b: b.heapInuse),
            heapAlloc: Pair(a: a.heapAlloc, b: b.heapAlloc),
            heapObjects: Pair(a: a.heapObjects, b: b.heapObjects),
            sys: Pair(a: a.sys, b: b.sys),
            numGC: Pair(a: a.numGC, b: b.numGC),
            numForcedGC: Pair(a: a.numForcedGC, b: b.numForcedGC),
            pauseTotalNs: Pair(a: a.pauseTotalNs, b: b.pauseTotalNs),
            totalAlloc: Pair(a: a.totalAlloc, b: b.totalAlloc),
            mallocs: Pair(a: a.mallocs, b: b.mallocs),
            pauses: pauses,
            allocBytesPerSecond: rate ? Double(b.totalAlloc - a.totalAlloc) / seconds : nil,
            mallocsPerSecond: rate ? Double(b.mallocs - a.mallocs) / seconds : nil,
            restarted: restarted,
            warnings: warnings)
    }

    /// Pauses of GC cycles `numGC_a ..< numGC_b`: cycle `n` (0-based) is stored at `PauseNs[n % 256]`, so the most
    /// recent is at `(NumGC + 255) % 256`; only the last 256 survive.
    static func pausesBetween(a: GoMemStats, b: GoMemStats) -> Pauses {
        let cycles = b.numGC - a.numGC
        let ring = b.pauseNs
        let available = ring.count == 256 ? Int(min(cycles, 256)) : 0
        var values: [UInt64] = []
        values.reserveCapacity(available)
        if available > 0 {
            for n in (b.numGC - UInt64(available))..<b.numGC {
                values.append(ring[Int(n % 256)])
            }
        }
        let sorted = values.sorted()
        func rank(_ q: Double) -> UInt64? {
            guard !sorted.isEmpty else { return nil }
            let index = Int((q * Double(sorted.count)).rounded(.up)) - 1
            return sorted[max(0, min(sorted.count - 1, index))]
        }
        return Pauses(
            cycles: cycles, available: available, lost: cycles - UInt64(available),
            totalNs: b.pauseTotalNs >= a.pauseTotalNs ? b.pauseTotalNs - a.pauseTotalNs : 0,
            p50Ns: rank(0.50), p99Ns: rank(0.99), maxNs: sorted.last, pausesNs: values)
    }

    /// Values for `--fail-on` gates. Snapshot values: `memstats.heap_inuse`, `memstats.heap_alloc`, `memstats.heap_objects`, `memstats.sys` (A and B);
    /// `gc.count`, `gc.forced`, `gc.pause_total` (cumulative, A and B); interval values (A = 0, B = the value):
    /// `gc.pause_p50`, `gc.pause_p99`, `gc.pause_max`, `alloc_rate` (bytes/s), `malloc_rate` (objects/s).
    public var gateMetrics: [String: GateMetricValue] {
        func pair(_ p: Pair, _ unit: GateMetricUnit) -> GateMetricValue {
            GateMetricValue(a: Double(p.a), b: Double(p.b), unit: unit)
        }
        var metrics: [String: GateMetricValue] = [
            "memstats.heap_inuse": pair(heapInuse, .bytes),
            "memstats.heap_alloc": pair(heapAlloc, .bytes),
            "memstats.heap_objects": pair(heapObjects, .count),
            "memstats.sys": pair(sys, .bytes),
            "gc.count": pair(numGC, .count),
            "gc.forced": pair(numForcedGC, .count),
            "gc.pause_total": pair(pauseTotalNs, .nanoseconds),
        ]
        if let p = pauses {
            metrics["gc.pause_p50"] = GateMetricValue(a: 0, b: Double(p.p50Ns ?? 0), unit: .nanoseconds)
            metrics["gc.pause_p99"] = GateMetricValue(a: 0, b: Double(p.p99Ns ?? 0), unit: .nanoseconds)
            metrics["gc.pause_max"] = GateMetricValue(a: 0, b: Double(p.maxNs ?? 0), unit: .nanoseconds)
        }
        if let r = allocBytesPerSecond { metrics["alloc_rate"] = GateMetricValue(a: 0, b: r, unit: .bytesPerSecond) }
        if let r = mallocsPerSecond { metrics["malloc_rate"] = GateMetricValue(a: 0, b: r, unit: .perSecond) }
        return metrics
    }

    /// A readable table of the statistics, pause percentiles and rates.
    public func renderText() -> String {
        func row(_ name: String, _ p: Pair, _ unit: GateMetricUnit) -> String {
            let delta = GateFormat.value(Double(p.delta), unit: unit)
            return name.padding(toLength: 16, withPad: " ", startingAt: 0)
                + pad(GateFormat.value(Double(p.a), unit: unit), 14) + pad(GateFormat.value(Double(p.b), unit: unit), 14)
                + pad(p.delta > 0 ? "+" + delta : delta, 14) + "\n"
        }
        var out = "runtime stats (expvar memstats), \(String(format: "%.1f", seconds)) s apart\n"
        out += "stat".padding(toLength: 16, withPad: " ", startingAt: 0) + pad("A", 14) + pad("B", 14) + pad("delta", 14) + "\n"
        out += row("heap in use", heapInuse, .bytes)
        out += row("heap alloc", heapAlloc, .bytes)
        out += row("heap objects", heapObjects, .count)
        out += row("sys", sys, .bytes)
        out += row("GC cycles", numGC, .count)
        out += row("forced GCs", numForcedGC, .count)
        out += row("GC pause total", pauseTotalNs, .nanoseconds)
        if let p = pauses {
            if p.available > 0 {
                out += "GC pauses A->B: \(p.cycles) cycles, p50 \(GateFormat.duration(Double(p.p50Ns ?? 0)))"
                    + ", p99 \(GateFormat.duration(Double(p.p99Ns ?? 0))), max \(GateFormat.duration(Double(p.maxNs ?? 0)))"
                    + ", total \(GateFormat.duration(Double(p.totalNs)))"
                if p.lost > 0 { out += " (\(p.lost) pauses lost from the 256-entry ring)" }
                out += "\n"
            } else {
                out += "GC pauses A->B: \(p.cycles) cycles\n"
            }
        }
        if let r = allocBytesPerSecond, let m = mallocsPerSecond {
            out += "allocation rate: \(GateFormat.bytes(r))/s, \(String(format: "%.1f", m)) objects/s\n"
        }
        for warning in warnings { out += "warning: \(warning)\n" }
        return out
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }
}

/// Why runtime stats could not be compared.
public enum RuntimeStatsError: Error, Equatable, CustomStringConvertible {
    /// The expvar document of one snapshot has no `memstats`.
    case missingMemStats(snapshot: String)

    /// One sentence naming the input and the problem.
    public var description: String {
        switch self {
        case let .missingMemStats(snapshot):
            return "vars of snapshot \(snapshot) have no memstats object, so runtime stats cannot be compared"
        }
    }
}
