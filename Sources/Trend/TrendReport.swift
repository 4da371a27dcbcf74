import Diff
import Foundation

/// The `gbsnap trend --format json` document, schema `gbsnap.trend/v1` (every key is documented in
/// `docs/trend-json.md`). Values a point lacks (the snapshots there did not hold the kind) are `null`.
public struct TrendReport: Encodable, Sendable {
    /// `gbsnap.trend/v1`.
    public var schema = TrendReport.currentSchema
    /// The schema id.
    public static let currentSchema = "gbsnap.trend/v1"
    /// Target name.
    public var target: String
    /// The window asked for and the snapshots' own span.
    public var window: Window
    /// Every snapshot read, oldest first.
    public var snapshots: [SnapshotRef]
    /// The times series values refer to: one per snapshot, or per run of consecutive snapshots when there are
    /// more than the point cap (each value is then the mean over its run).
    public var points: [Point]
    /// Where the target restarted.
    public var restarts: [Restart]
    /// The series, each with one value per point.
    public var series: Series
    /// Steady growers, most certain and largest first.
    public var growers: [Grower]
    /// Notes that did not stop the trend.
    public var warnings: [String]
    /// `--fail-on` outcomes in the order given.
    public var gates: [Gate] = []

    /// What a series measures.
    public enum Family: String, Codable, Sendable, Hashable {
        /// A kind's total at its sample type.
        case total
        /// A function's flat value.
        case flat
        /// A function's cumulative value.
        case cum
        /// A goroutine group's count.
        case group = "goroutine_group"
        /// A runtime figure (goroutine count, memstats).
        case runtime

        /// Totals and runtime figures sum up many functions or groups.
        public var isAggregate: Bool { self == .total || self == .runtime }
    }

    /// The time window.
    public struct Window: Encodable, Sendable {
        /// Start asked for (`--since`, or the default), nil for no bound.
        public var since: Date?
        /// End asked for (`--until`), nil for no bound.
        public var until: Date?
        /// `--last N`, when given.
        public var last: Int?
        /// Time of the first snapshot read.
        public var first: Date?
        /// Time of the last snapshot read.
        public var lastSnapshot: Date?

        /// Creates a window.
        public init(since: Date?, until: Date?, last: Int?, first: Date? = nil, lastSnapshot: Date? = nil) {
            self.since = since
            self.until = until
            self.last = last
            self.first = first
            self.lastSnapshot = lastSnapshot
        }

        enum CodingKeys: String, CodingKey { case since, until, last, first, lastSnapshot = "last_snapshot" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(since.map(SnapshotDiffReport.formatTime), forKey: .since)
            try c.encode(until.map(SnapshotDiffReport.formatTime), forKey: .until)
            try c.encode(last, forKey: .last)
            try c.encode(first.map(SnapshotDiffReport.formatTime), forKey: .first)
            try c.encode(lastSnapshot.map(SnapshotDiffReport.formatTime), forKey: .lastSnapshot)
        }
    }

    /// One snapshot read.
    public struct SnapshotRef: Encodable, Sendable {
        /// Snapshot id.
        public var id: String
        /// When it was taken.
        public var takenAt: Date
        /// Process lifetime it belongs to (0, then +1 at every restart).
        public var segment: Int
        /// Kinds read from it.
        public var kinds: [String]

        enum CodingKeys: String, CodingKey { case id, takenAt = "taken_at", segment, kinds }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(SnapshotDiffReport.formatTime(takenAt), forKey: .takenAt)
            try c.encode(segment, forKey: .segment)
            try c.encode(kinds, forKey: .kinds)
        }
    }

    /// The time of one series value.
    public struct Point: Encodable, Sendable {
        /// Time of the last snapshot of the point.
        public var takenAt: Date
        /// How many snapshots the point stands for.
        public var snapshots: Int
        /// Process lifetime.
        public var segment: Int

        enum CodingKeys: String, CodingKey { case takenAt = "taken_at", snapshots, segment }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(SnapshotDiffReport.formatTime(takenAt), forKey: .takenAt)
            try c.encode(snapshots, forKey: .snapshots)
            try c.encode(segment, forKey: .segment)
        }
    }

    /// A restart of the target between two consecutive snapshots.
    public struct Restart: Encodable, Sendable, Equatable {
        /// The last snapshot of the old process.
        public var after: String
        /// The first snapshot of the new process.
        public var before: String
        /// What showed it (start time, uptime, counters or goroutine ids going back).
        public var reasons: [String]
    }

    /// Every series.
    public struct Series: Encodable, Sendable {
        /// Per kind, its total at the sample type read.
        public var totals: [Line]
        /// Goroutine count and memstats figures.
        public var runtime: [Line]
        /// Functions: the growers and the largest ones per kind (all with `--all`).
        public var functions: [FunctionLine]
        /// Goroutine groups: the growers and the largest ones (all with `--all`).
        public var goroutineGroups: [GroupLine]
        /// How many function and group series were left out (`--all` includes them).
        public var omitted: Int

        enum CodingKeys: String, CodingKey { case totals, runtime, functions, omitted, goroutineGroups = "goroutine_groups" }
    }

    /// A total or runtime series.
    public struct Line: Encodable, Sendable {
        /// The kind (`heap`), or `vars` / `goroutines` for runtime figures.
        public var kind: String
        /// The sample type (totals) or the figure (`heap_inuse`, `heap_objects`, `gc_cycles`, `gc_pause_total`, `goroutines`).
        public var name: String
        /// `bytes`, `count`, `nanoseconds`, ...
        public var unit: String
        /// One value per point.
        public var values: [Double?]
    }

    /// A function's flat and cum series.
    public struct FunctionLine: Encodable, Sendable {
        /// The kind.
        public var kind: String
        /// The function name as pprof prints it.
        public var name: String
        /// Unit of the kind's sample type.
        public var unit: String
        /// Flat value per point.
        public var flat: [Double?]
        /// Cum value per point.
        public var cum: [Double?]
    }

    /// A goroutine group's count series.
    public struct GroupLine: Encodable, Sendable {
        /// Function names leaf first.
        public var signature: [String]
        /// `created by` function.
        public var createdBy: String?
        /// Goroutine labels.
        public var labels: [String: String]
        /// The most common state over the window.
        public var state: String?
        /// The name tables print.
        public var name: String
        /// Count per point.
        public var values: [Double?]

        enum CodingKeys: String, CodingKey { case signature, labels, state, name, values, createdBy = "created_by" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(signature, forKey: .signature)
            try c.encode(createdBy, forKey: .createdBy)
            try c.encode(labels, forKey: .labels)
            try c.encode(state, forKey: .state)
            try c.encode(name, forKey: .name)
            try c.encode(values, forKey: .values)
        }
    }

    /// A steady grower.
    public struct Grower: Encodable, Sendable {
        /// `function`, `goroutine_group`, `total` or `runtime`.
        public var series: Family
        /// The kind (`heap`, `goroutines`, `vars`).
        public var kind: String
        /// Function name, group name as tables print it, sample type (totals) or figure (runtime).
        public var name: String
        /// Unit of the values.
        public var unit: String
        /// First value in the window.
        public var first: Double
        /// Last value in the window.
        public var last: Double
        /// Growth within process lifetimes (restarts excluded).
        public var netDelta: Double
        /// Theil–Sen slope per hour.
        public var slopePerHour: Double
        /// Share of steps that did not fall.
        public var consistency: Double
        /// Kendall's tau within segments.
        public var tau: Double
        /// Snapshots (points) with a non-zero value.
        public var seenIn: Int
        /// Points with a value.
        public var points: Int
        /// Rank key (certainty × size).
        public var score: Double
        /// For goroutine groups: the stack, leaf first.
        public var signature: [String]?
        /// For goroutine groups: the state most goroutines were in.
        public var state: String?
        /// For goroutine groups: the usual cause, as `gbsnap diff` names it.
        public var hint: String?

        enum CodingKeys: String, CodingKey {
            case series, kind, name, unit, first, last, consistency, tau, points, score, signature, state, hint
            case netDelta = "net_delta", slopePerHour = "slope_per_hour", seenIn = "seen_in"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(series == .flat ? "function" : series.rawValue, forKey: .series)
            try c.encode(kind, forKey: .kind)
            try c.encode(name, forKey: .name)
            try c.encode(unit, forKey: .unit)
            try c.encode(first, forKey: .first)
            try c.encode(last, forKey: .last)
            try c.encode(netDelta, forKey: .netDelta)
            try c.encode(slopePerHour, forKey: .slopePerHour)
            try c.encode((consistency * 1000).rounded() / 1000, forKey: .consistency)
            try c.encode((tau * 1000).rounded() / 1000, forKey: .tau)
            try c.encode(seenIn, forKey: .seenIn)
            try c.encode(points, forKey: .points)
            try c.encode(score, forKey: .score)
            try c.encode(signature, forKey: .signature)
            try c.encode(state, forKey: .state)
            try c.encode(hint, forKey: .hint)
        }
    }

    /// One `--fail-on` outcome.
    public struct Gate: Encodable, Sendable {
        /// The expression.
        public var expression: String
        /// Whether it tripped.
        public var tripped: Bool
        /// The compared quantity.
        public var observed: Double
        /// One line.
        public var message: String
    }

    /// Pretty, key-sorted JSON (NaN and infinities never occur: missing values are null).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
