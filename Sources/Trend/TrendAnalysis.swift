import Diff
import Foundation
import Profiles

/// How `finish` bounds and judges the series.
public struct TrendOptions: Sendable {
    /// When a series counts as a grower.
    public var criteria = GrowthCriteria()
    /// Function and group series kept in the report besides the growers, per kind (nil: all).
    public var limit: Int? = 20
    /// `--fail-on` gates.
    public var gates: [FailOnGate] = []

    /// The defaults.
    public init(criteria: GrowthCriteria = GrowthCriteria(), limit: Int? = 20, gates: [FailOnGate] = []) {
        self.criteria = criteria
        self.limit = limit
        self.gates = gates
    }
}

extension TrendBuilder {
    /// Smallest growth that counts, per unit, before the share-of-total floor: 1 MiB, 10 (goroutines,
    /// objects, events), 100 ms.
    public static func absoluteFloor(unit: String) -> Double {
        switch unit {
        case "bytes": 1_048_576
        case "nanoseconds": 100_000_000
        default: 10
        }
    }

    /// Sample types and figures that only ever go up while a process lives (cumulative counters): shown as
    /// series, never ranked as growers (their growth is the passing of time, not a leak).
    public static func isCumulative(kind: String, name: String) -> Bool {
        let captureKind = CaptureKind(rawValue: kind)  // nil for the `goroutines` series
        if name.hasPrefix("alloc_") || captureKind == .allocs && name.hasPrefix("alloc") { return true }
        if captureKind == .block || captureKind == .mutex { return true }
        return captureKind == .vars && (name == "gc_cycles" || name == "gc_pause_total")
    }

    /// The report: every series as points, the growers ranked, gates evaluated.
    public func finish(target: String, window: TrendReport.Window, options: TrendOptions = TrendOptions()) throws -> TrendReport {
        var window = window
        window.first = snapshots.first?.takenAt
        window.lastSnapshot = snapshots.last?.takenAt
        let criteria = options.criteria

        var totals: [TrendReport.Line] = []
        var runtime: [TrendReport.Line] = []
        var growers: [TrendReport.Grower] = []
        var functionCandidates: [String: [(score: Double, index: Int)]] = [:]
        var groupCandidates: [(score: Double, index: Int)] = []
        var growerSeries = Set<Int>()
        var assessments: [Int: GrowthAssessment] = [:]

        for (i, s) in series.enumerated() where s.key.family != .cum {
            let points = self.points(s)
            let values = points.map { $0.value.isNaN ? nil : $0.value }
            let key = s.key
            switch key.family {
            case .total: totals.append(.init(kind: key.kind, name: key.name, unit: s.unit, values: values))
            case .runtime: runtime.append(.init(kind: key.kind, name: key.name, unit: s.unit, values: values))
            case .flat: functionCandidates[key.kind, default: []].append((values.compactMap { $0 }.max() ?? 0, i))
            case .group: groupCandidates.append((values.compactMap { $0 }.max() ?? 0, i))
            case .cum: continue  // shown beside their flat series below, never ranked
            }
            let cumulative = Self.isCumulative(kind: key.kind, name: key.family == .flat ? sampleTypes[key.kind]?.type ?? "" : key.name)
            guard !cumulative else { continue }
            // A goroutine profile's flat values all sit in runtime.gopark; its growth is ranked as goroutine groups.
            if key.family == .flat && [.goroutine, .goroutineleak].contains(CaptureKind(rawValue: key.kind)) { continue }
            // Functions and groups must be a visible share of their kind; totals and runtime figures of themselves.
            let scaleKind = key.family == .group ? "goroutines" : key.kind
            let scale = key.family == .flat || key.family == .group ? (kindMax[scaleKind] ?? 0) : (values.compactMap { $0 }.max() ?? 0)
            let floor = max(Self.absoluteFloor(unit: s.unit), key.family == .flat || key.family == .group ? scale * 0.01 : 0)
            guard GrowthDetector.mayGrow(points, minimumDelta: floor),
                  let a = GrowthDetector.assess(points, noiseShare: criteria.noiseShare),
                  GrowthDetector.isGrower(a, minimumDelta: floor, criteria: criteria)
            else { continue }
            assessments[i] = a
            growerSeries.insert(i)
            growers.append(grower(s, a, score: GrowthDetector.score(a, scale: scale > 0 ? scale : a.last)))
        }
        // Functions and goroutine groups (what to fix) before the totals and runtime figures they drive.
        growers.sort { l, r in
            if l.series.isAggregate != r.series.isAggregate { return !l.series.isAggregate }
            return l.score != r.score ? l.score > r.score : l.name < r.name
        }

        // Keep the growers' series and the largest ones, bounded.
        var functions: [TrendReport.FunctionLine] = []
        var omitted = 0
        for kind in functionCandidates.keys.sorted() {
            let ranked = functionCandidates[kind, default: []].sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
            for (rank, c) in ranked.enumerated() {
                guard growerSeries.contains(c.index) || options.limit.map({ rank < $0 }) ?? true else { omitted += 1; continue }
                let s = series[c.index]
                let cum = seriesIndex[SeriesKey(family: .cum, kind: kind, name: s.key.name)].map { points(series[$0]) } ?? []
                functions.append(.init(kind: kind, name: s.key.name, unit: s.unit, flat: points(s).map(Self.optional),
                                       cum: cum.map(Self.optional)))
            }
        }
        var groups: [TrendReport.GroupLine] = []
        for (rank, c) in groupCandidates.sorted(by: { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }).enumerated() {
            guard growerSeries.contains(c.index) || options.limit.map({ rank < $0 }) ?? true else { omitted += 1; continue }
            let s = series[c.index]
            guard let meta = groupMeta[s.key.name] else { continue }
            groups.append(.init(signature: meta.signature, createdBy: meta.createdBy, labels: meta.labels, state: Self.state(meta),
                                name: Self.groupName(meta), values: points(s).map(Self.optional)))
        }

        let pointRefs = buckets.map { TrendReport.Point(takenAt: $0.time, snapshots: $0.count, segment: $0.segment) }
        var report = TrendReport(
            target: target, window: window, snapshots: snapshots, points: pointRefs, restarts: restarts,
            series: .init(totals: totals, runtime: runtime, functions: functions, goroutineGroups: groups, omitted: omitted),
            growers: growers, warnings: warnings)
        let metrics = gateMetrics(totals: totals, runtime: runtime, growers: growers)
        let outcomes = try options.gates.map { gate in
            let overWindow = gate.metric == "growers.count" || gate.metric.hasSuffix(".slope_per_hour")
            return try gate.evaluate(metrics: metrics, sides: overWindow
                ? ("at the start", "over the window") : ("at the first snapshot", "at the last snapshot"))
        }
        report.gates = outcomes.map { .init(expression: $0.gate.expression, tripped: $0.tripped, observed: $0.observed, message: $0.message) }
        return report
    }

    func grower(_ s: SeriesData, _ a: GrowthAssessment, score: Double) -> TrendReport.Grower {
        var g = TrendReport.Grower(
            series: s.key.family, kind: s.key.kind, name: s.key.name, unit: s.unit, first: a.first, last: a.last,
            netDelta: a.netDelta, slopePerHour: a.slopePerHour, consistency: a.consistency, tau: a.tau, seenIn: a.seen,
            points: a.points, score: score)
        if s.key.family == .group, let meta = groupMeta[s.key.name] {
            g.name = Self.groupName(meta)
            g.signature = meta.signature
            g.state = Self.state(meta)
            g.hint = LeakHeuristics.hint(signature: meta.signature, state: g.state, leaked: meta.leaked, grew: true)
        }
        return g
    }

    /// Gate metrics of a trend: `growers.count`; per total and runtime figure its first and last value
    /// (`heap`, `heap.inuse_space`, `goroutines`, `heap_inuse`, ...) and `NAME.slope_per_hour`.
    func gateMetrics(totals: [TrendReport.Line], runtime: [TrendReport.Line], growers: [TrendReport.Grower]) -> [String: GateMetricValue] {
        var metrics: [String: GateMetricValue] = ["growers.count": GateMetricValue(a: 0, b: Double(growers.count))]
        func add(_ name: String, _ line: TrendReport.Line) {
            let unit = SnapshotDiff.gateUnit(line.unit)
            let present = line.values.compactMap { $0 }
            guard let first = present.first, let last = present.last else { return }
            metrics[name] = GateMetricValue(a: first, b: last, unit: unit)
            let points = zip(buckets, line.values).map { TrendPoint(time: $0.time.timeIntervalSince1970, value: $1 ?? .nan, segment: $0.segment) }
            let slope = GrowthDetector.assess(points)?.slopePerHour ?? 0
            metrics["\(name).slope_per_hour"] = GateMetricValue(a: 0, b: slope, unit: unit)
        }
        for line in totals {
            add(line.kind, line)
            add("\(line.kind).\(line.name)", line)
        }
        for line in runtime { add(line.name, line) }
        return metrics
    }

    static func optional(_ p: TrendPoint) -> Double? { p.value.isNaN ? nil : p.value }

    static func state(_ meta: GroupMeta) -> String? {
        meta.states.max { l, r in l.value != r.value ? l.value < r.value : l.key > r.key }?.key
    }

    static func groupName(_ meta: GroupMeta) -> String {
        var name = GoroutineGrowth.describe(signature: meta.signature, createdBy: meta.createdBy)
        if !meta.labels.isEmpty {
            name += " {" + meta.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}"
        }
        return name
    }
}
