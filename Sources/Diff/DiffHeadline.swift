import Profiles

/// The first lines of every rendering of a diff: one line per compared kind that answers "what grew" before any
/// table (totals A → B, delta, relative change, the top growers named inline), the goroutine growth with its leak
/// suspects, the runtime stats, and the warnings in one block.
public struct DiffHeadline: Sendable, Equatable {
    /// Whether a line reports growth, shrinkage or neither (for colour in terminals and HTML).
    public enum Tone: String, Sendable, Equatable {
        case growth, shrink, neutral
    }

    /// One headline line.
    public struct Line: Sendable, Equatable {
        /// The section it summarizes: a profile kind, `goroutines` or `runtime`.
        public var section: String
        /// The whole line, e.g. `heap inuse_space 3.25MB → 12.92MB (+9.66MB, +297%): +5.51MB Foo.Marshal, …`.
        public var text: String
        /// Growth, shrink or neutral.
        public var tone: Tone
    }

    /// The lines, profiles first (in report order), then goroutines, then runtime stats.
    public var lines: [Line]
    /// The diff's warnings, as given.
    public var warnings: [String]

    /// How many growers are named on a profile or goroutine line.
    public static let namedGrowers = 3

    /// Builds the headline of a diff.
    public init(_ result: SnapshotDiffResult) {
        var lines: [Line] = []
        // The goroutine profile's line would repeat the goroutine growth line (its flat growth is runtime.gopark).
        for c in result.profiles where !(c.kind == .goroutine && result.goroutines != nil) { lines.append(Self.profileLine(c)) }
        if let g = result.goroutines { lines.append(Self.goroutineLine(g)) }
        if let rt = result.runtime { lines.append(Self.runtimeLine(rt)) }
        if let t = result.trace {
            let grew = t.gateMetric("trace.sched_latency_seconds.p99").map { $0.b - $0.a } ?? 0
            lines.append(Line(section: "trace", text: t.headline, tone: Self.tone(grew)))
        }
        self.lines = lines
        self.warnings = result.report.warnings
    }

    /// `heap inuse_space 3.25MB → 12.92MB (+9.66MB, +297%): +5.51MB InternalRaftRequest.Marshal, …`. The named
    /// functions are those with the largest flat change in the direction of the total (growers when it grew).
    static func profileLine(_ c: ProfileComparison) -> Line {
        let d = c.diff
        let unit = d.sampleType.unit
        var text = "\(SnapshotDiffRender.title(c)) \(ValueFormatter.format(d.totalA, unit: unit)) → "
            + "\(ValueFormatter.format(d.totalB, unit: unit)) (\(ValueFormatter.format(d.totalDelta, unit: unit, signed: true))"
            + ", \(relativeChange(Double(d.totalA), Double(d.totalB))))"
        let shrinking = d.totalDelta < 0
        let movers = movers(c, shrinking: shrinking)
        if !movers.isEmpty {
            let named = movers.prefix(namedGrowers).map {
                "\(ValueFormatter.format($0.value, unit: unit, signed: true)) \(shortName($0.name))"
            }
            text += ": " + named.joined(separator: ", ") + (movers.count > namedGrowers ? ", …" : "")
        } else if d.totalDelta == 0 {
            text += ": no change"
        }
        return Line(section: c.kind.rawValue, text: text, tone: tone(Double(d.totalDelta)))
    }

    /// The functions to name for a profile, largest change first. Goroutine profiles end every stack in
    /// `runtime.gopark`, so there the first non-runtime frames are named by cum, one per distinct change.
    static func movers(_ c: ProfileComparison, shrinking: Bool) -> [(name: String, value: Int64)] {
        let moved = { (v: Int64) in shrinking ? v < 0 : v > 0 }
        guard c.kind == .goroutine || c.kind == .goroutineleak else {
            return c.diff.entries.filter { moved($0.flatDelta) }.map { ($0.name, $0.flatDelta) }
        }
        var seen: Set<Int64> = []
        return c.diff.entries.filter { moved($0.cumDelta) && !$0.name.hasPrefix("runtime.") }
            .sorted { $0.cumDelta.magnitude > $1.cumDelta.magnitude }
            .filter { seen.insert($0.cumDelta).inserted }
            .map { ($0.name, $0.cumDelta) }
    }

    /// `goroutines 120 → 160 (+40, +33%), 2 leak suspects (+40): +38 watchStream.recvLoop [chan receive], …`.
    static func goroutineLine(_ g: GoroutineGrowth) -> Line {
        let delta = g.totalB - g.totalA
        var text = "goroutines \(g.totalA) → \(g.totalB) (\(GoroutineGrowth.signed(delta)), "
            + "\(relativeChange(Double(g.totalA), Double(g.totalB))))"
        let suspects = g.suspects
        if suspects.isEmpty {
            text += ", no leak suspects"
        } else {
            let grew = suspects.reduce(0) { $0 + $1.delta }
            text += ", \(suspects.count) leak suspect\(suspects.count == 1 ? "" : "s") (\(GoroutineGrowth.signed(grew)))"
        }
        // Suspects first: they are what a reader acts on; then the other growing groups.
        let growing = suspects.filter { $0.delta > 0 } + g.groups.filter { !$0.suspect && $0.delta > 0 }
        if !growing.isEmpty {
            let named = growing.prefix(namedGrowers).map { group in
                "\(GoroutineGrowth.signed(group.delta)) \(shortName(group.signature.first ?? "<no stack>"))"
                    + (group.state.map { " [\($0)]" } ?? "")
            }
            text += ": " + named.joined(separator: ", ") + (growing.count > namedGrowers ? ", …" : "")
        }
        return Line(section: "goroutines", text: text, tone: suspects.isEmpty ? tone(Double(delta)) : .growth)
    }

    /// `runtime heap in use 12MB → 30MB (+18MB), 14 GC cycles, pause total +2.1ms, allocating 1.2MB/s over 5m`.
    static func runtimeLine(_ rt: RuntimeStatsDelta) -> Line {
        let h = rt.heapInuse
        var parts = ["heap in use \(ValueFormatter.format(Int64(clamping: h.a), unit: "bytes")) → "
            + "\(ValueFormatter.format(Int64(clamping: h.b), unit: "bytes")) (\(ValueFormatter.format(h.delta, unit: "bytes", signed: true)))"]
        if rt.restarted {
            parts.append("the process restarted in between")
        } else {
            parts.append("\(rt.numGC.delta) GC cycle\(rt.numGC.delta == 1 ? "" : "s")")
            parts.append("pause total \(ValueFormatter.format(rt.pauseTotalNs.delta, unit: "nanoseconds", signed: true))"
                + (rt.pauses?.p99Ns.map { " (p99 \(ValueFormatter.format(Int64(clamping: $0), unit: "nanoseconds")))" } ?? ""))
            if let rate = rt.allocBytesPerSecond {
                parts.append("allocating \(ValueFormatter.format(Int64(rate.rounded()), unit: "bytes"))/s")
            }
        }
        return Line(section: "runtime", text: "runtime " + parts.joined(separator: ", ")
            + " over \(durationText(rt.seconds))", tone: tone(Double(h.delta)))
    }

    /// `+297%`, `-12%`, `+0.4%`, `0%`, or `new` when A is zero.
    public static func relativeChange(_ a: Double, _ b: Double) -> String {
        if a == b { return "0%" }
        guard a != 0 else { return "new" }
        let p = (b - a) / abs(a) * 100
        let sign = p > 0 ? "+" : "-"
        let m = abs(p)
        let digits = m >= 10 ? String(Int(m.rounded())) : ValueFormatter.oneDecimal(m)
        return sign + digits + "%"
    }

    /// A function name without its import path and receiver decoration, as a person says it:
    /// `go.etcd.io/etcd/etcdserverpb.(*InternalRaftRequest).Marshal` → `InternalRaftRequest.Marshal`,
    /// `bufio.NewReaderSize` stays, `main.leak.func1` stays.
    public static func shortName(_ name: String) -> String {
        // The path ends at the last '/' before any '(' or space (a receiver or a file:line suffix).
        let stop = name.firstIndex { $0 == "(" || $0 == " " } ?? name.endIndex
        var rest = Substring(name)
        if let slash = name[..<stop].lastIndex(of: "/") { rest = name[name.index(after: slash)...] }
        // `pkg.(*T).M` / `pkg.(T).M` → `T.M`; generic brackets stay.
        if let open = rest.range(of: ".("), let close = rest[open.upperBound...].firstIndex(of: ")") {
            var receiver = rest[open.upperBound..<close]
            if receiver.hasPrefix("*") { receiver = receiver.dropFirst() }
            return String(receiver) + String(rest[rest.index(after: close)...])
        }
        return String(rest)
    }

    static func tone(_ delta: Double) -> Tone { delta > 0 ? .growth : delta < 0 ? .shrink : .neutral }

    /// `65s` → `1m5s`, `3600s` → `1h0m`.
    static func durationText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        if s < 86400 { return "\(s / 3600)h\(s % 3600 / 60)m" }
        return "\(s / 86400)d\(s % 86400 / 3600)h"
    }
}

extension ValueFormatter {
    /// `%.1f` for a non-negative value, without Foundation.
    static func oneDecimal(_ v: Double) -> String {
        let tenths = Int64((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
