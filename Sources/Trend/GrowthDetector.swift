import Foundation

/// One value of a series: when, how much, and which process lifetime (segment) it belongs to.
public struct TrendPoint: Sendable, Equatable {
    /// Seconds since 1970.
    public var time: Double
    /// The value; NaN when the snapshot did not hold what the series measures.
    public var value: Double
    /// Segment number: it goes up by one at every restart of the target.
    public var segment: Int

    /// Creates a point.
    public init(time: Double, value: Double, segment: Int = 0) {
        self.time = time
        self.value = value
        self.segment = segment
    }
}

/// How a series moved over the window, measured only inside segments (a restart is never growth).
public struct GrowthAssessment: Sendable, Equatable {
    /// First value of the series.
    public var first: Double
    /// Last value of the series.
    public var last: Double
    /// Sum over segments of (last - first): the growth that happened within processes.
    public var netDelta: Double
    /// Theil–Sen slope (median of pairwise slopes within segments), per hour.
    public var slopePerHour: Double
    /// Share of steps (consecutive points in one segment) that did not fall, 0...1.
    public var consistency: Double
    /// Kendall's tau within segments (pooled Mann–Kendall S over the pairs), -1...1.
    public var tau: Double
    /// Mann–Kendall Z score of S (how unlikely the rise is as noise); 0 with fewer than 3 points.
    public var zScore: Double
    /// Points with a value (not NaN).
    public var points: Int
    /// Points with a non-zero value: the snapshots the series was seen in.
    public var seen: Int
}

/// When a series counts as a grower. The defaults are documented in docs/trend.md.
public struct GrowthCriteria: Sendable, Equatable {
    /// At least this many points inside segments of two or more points.
    public var minPoints = 5
    /// At least this share of steps did not fall (a fall within ``noiseShare`` of the range is not a fall).
    public var minConsistency = 0.6
    /// Kendall's tau at least this.
    public var minTau = 0.5
    /// Mann–Kendall Z at least this (one-sided p ≈ 0.01 for 2.33).
    public var minZ = 2.33
    /// Net growth at least this share of the series' first value (when that is not zero).
    public var minRelativeGrowth = 0.05
    /// Falls smaller than this share of the series' range count as "did not fall".
    public var noiseShare = 0.02

    /// The defaults.
    public init() {}
}

/// The pure statistics behind `gbsnap trend`: robust slope (Theil–Sen), monotonic consistency (Mann–Kendall,
/// share of non-falling steps), restarts as segment boundaries.
public enum GrowthDetector {
    /// Most pairs the Theil–Sen slope looks at; longer series are thinned evenly first (n² pairs otherwise).
    static let maxSlopePoints = 200

    /// Measures `points` (NaN values are skipped). Nil when fewer than two points have values.
    public static func assess(_ points: [TrendPoint], noiseShare: Double = GrowthCriteria().noiseShare) -> GrowthAssessment? {
        let valid = points.filter { !$0.value.isNaN }
        guard valid.count >= 2, let firstPoint = valid.first, let lastPoint = valid.last else { return nil }
        var segments: [[TrendPoint]] = []
        for p in valid {
            if let last = segments.last?.last, last.segment == p.segment { segments[segments.count - 1].append(p) } else { segments.append([p]) }
        }
        let lo = valid.map(\.value).min() ?? 0, hi = valid.map(\.value).max() ?? 0
        let tolerance = (hi - lo) * noiseShare

        var net = 0.0, steps = 0, nonFalling = 0
        var s = 0.0, pairs = 0.0, variance = 0.0
        var slopes: [Double] = []
        for seg in segments where seg.count >= 2 {
            net += seg[seg.count - 1].value - seg[0].value
            for i in 1..<seg.count {
                steps += 1
                if seg[i].value - seg[i - 1].value >= -tolerance { nonFalling += 1 }
            }
            // Kendall S (ties count 0; variance without tie correction) and the Theil–Sen pairs, over at most
            // maxSlopePoints evenly spaced points so a long series costs a bounded number of pairs.
            let thinned = thin(seg, to: maxSlopePoints)
            let n = Double(thinned.count)
            for i in 0..<thinned.count {
                for j in (i + 1)..<thinned.count {
                    let d = thinned[j].value - thinned[i].value
                    s += d > 0 ? 1 : d < 0 ? -1 : 0
                    if thinned[j].time > thinned[i].time { slopes.append(d / (thinned[j].time - thinned[i].time)) }
                }
            }
            pairs += n * (n - 1) / 2
            variance += n * (n - 1) * (2 * n + 5) / 18
        }
        let tau = pairs > 0 ? s / pairs : 0
        let z: Double
        if variance > 0, s != 0 { z = (s - (s > 0 ? 1 : -1)) / variance.squareRoot() } else { z = 0 }
        return GrowthAssessment(
            first: firstPoint.value, last: lastPoint.value, netDelta: net, slopePerHour: median(&slopes) * 3600,
            consistency: steps > 0 ? Double(nonFalling) / Double(steps) : 0, tau: tau, zScore: z,
            points: segments.filter { $0.count >= 2 }.reduce(0) { $0 + $1.count },
            seen: valid.filter { $0.value != 0 }.count)
    }

    /// A cheap first look (one pass): whether the growth inside segments reaches `minimumDelta`, so the
    /// quadratic statistics run only for series that could be growers.
    public static func mayGrow(_ points: [TrendPoint], minimumDelta: Double) -> Bool {
        var net = 0.0
        var start: TrendPoint?, previous: TrendPoint?
        for p in points where !p.value.isNaN {
            if let prev = previous, prev.segment != p.segment, let s = start {
                net += prev.value - s.value
                start = p
            }
            if start == nil { start = p }
            previous = p
        }
        if let s = start, let prev = previous { net += prev.value - s.value }
        return net > 0 && net >= minimumDelta
    }

    /// Whether `assessment` is steady growth of at least `minimumDelta` (the caller's floor in the series' unit).
    public static func isGrower(_ a: GrowthAssessment, minimumDelta: Double, criteria: GrowthCriteria = GrowthCriteria()) -> Bool {
        guard a.points >= criteria.minPoints, a.netDelta > 0, a.slopePerHour > 0,
              a.consistency >= criteria.minConsistency, a.tau >= criteria.minTau, a.zScore >= criteria.minZ,
              a.netDelta >= minimumDelta
        else { return false }
        return a.first <= 0 || a.netDelta >= abs(a.first) * criteria.minRelativeGrowth
    }

    /// Rank key: certainty (tau × consistency) times size (net growth as a share of `scale`).
    public static func score(_ a: GrowthAssessment, scale: Double) -> Double {
        max(0, a.tau) * a.consistency * (scale > 0 ? a.netDelta / scale : 0)
    }

    static func thin(_ points: [TrendPoint], to limit: Int) -> [TrendPoint] {
        guard points.count > limit else { return points }
        return (0..<limit).map { points[$0 * (points.count - 1) / (limit - 1)] }
    }

    static func median(_ values: inout [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        values.sort()
        let mid = values.count / 2
        return values.count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
    }
}
