import Diff
import Foundation
import Profiles

/// Reads the snapshots of one target oldest first, one at a time, and keeps only the series: per kind the
/// total, per function flat and cum, per goroutine group the count, and the runtime figures from vars.
/// Memory grows with the number of distinct functions and groups, and with at most ``maxPoints`` points per
/// series: beyond that, consecutive snapshots share a point (their mean), and a restart always starts a new one.
public struct TrendBuilder {
    /// Kinds a trend reads: the pprof kinds, the goroutine dumps and vars (traces and custom endpoints are not).
    public static let readableKinds = SnapshotDiff.comparableKinds
    /// Default cap on points per series.
    public static let defaultMaxPoints = 480

    /// What one snapshot holds, for ``add(_:)``: ids for messages and a loader for the bytes of each kind.
    public typealias Snapshot = SnapshotDiffInput.Side

    /// Which kinds to read (nil: every readable kind).
    public var kinds: Set<CaptureKind>?
    /// `--sample-index`: applied to every profile kind it fits; the others use pprof's default.
    public var sampleIndex: SampleIndexSelector?
    let decoder: ProfileDecoder
    let bucketSize: Int

    private(set) var snapshots: [TrendReport.SnapshotRef] = []
    private(set) var restarts: [TrendReport.Restart] = []
    private(set) var warnings: [String] = []
    var buckets: [Bucket] = []
    var seriesIndex: [SeriesKey: Int] = [:]
    var series: [SeriesData] = []
    /// Sample type chosen per kind at its first snapshot; every later snapshot is read at the same type.
    var sampleTypes: [String: Profile.ValueType] = [:]
    /// Kind -> largest total seen (the scale a function's growth is measured against).
    var kindMax: [String: Double] = [:]
    var groupMeta: [String: GroupMeta] = [:]
    var previousVars: ExpVars?
    var previousMaxIDs: [Int]?
    var previousTime: Date?
    var previousID: String?
    var segment = 0

    /// Creates a builder for about `plannedSnapshots` snapshots (it decides how many share a point).
    public init(plannedSnapshots: Int, kinds: Set<CaptureKind>? = nil, sampleIndex: SampleIndexSelector? = nil,
                maxPoints: Int = TrendBuilder.defaultMaxPoints, maxInflatedBytes: Int = SnapshotDiff.defaultMaxInflatedBytes) {
        self.kinds = kinds
        self.sampleIndex = sampleIndex
        decoder = ProfileDecoder(maxInflatedBytes: maxInflatedBytes)
        bucketSize = max(1, (plannedSnapshots + max(1, maxPoints) - 1) / max(1, maxPoints))
    }

    struct SeriesKey: Hashable {
        var family: TrendReport.Family
        var kind: String
        var name: String
    }

    struct SeriesData {
        var key: SeriesKey
        var unit: String
        /// What must be present in a snapshot for the series to have a value there (a kind, `goroutines` or `vars`).
        var presence: String
        /// Sum of values per bucket.
        var sums: [Double] = []
    }

    struct Bucket {
        var time: Date
        var count = 0
        var present: [String: Int] = [:]
        var segment: Int
        var firstSnapshot: Int
    }

    struct GroupMeta {
        var signature: [String]
        var createdBy: String?
        var labels: [String: String]
        var states: [String: Int] = [:]
        var leaked = false
    }

    /// Reads one snapshot's artifacts (newer than every one before). Any artifact that cannot be read fails
    /// the trend with ``SnapshotDiffError/badArtifact(snapshot:artifact:kind:problem:)``, as a diff does.
    public mutating func add(_ snapshot: Snapshot) throws {
        let held = Set(snapshot.kinds).filter { Self.readableKinds.contains($0) && (kinds?.contains($0) ?? true) }
        func parsed<T>(_ kind: CaptureKind, _ parse: ([UInt8]) throws -> T) throws -> T {
            let data: [UInt8]
            do { data = try snapshot.load(kind) } catch {
                throw SnapshotDiffError.badArtifact(snapshot: snapshot.id, artifact: snapshot.artifactName(kind), kind: kind,
                                                    problem: "cannot be read: \(error)")
            }
            guard !data.isEmpty else {
                throw SnapshotDiffError.badArtifact(snapshot: snapshot.id, artifact: snapshot.artifactName(kind), kind: kind,
                                                    problem: "it is empty (0 bytes)")
            }
            do { return try parse(data) } catch {
                throw SnapshotDiffError.badArtifact(snapshot: snapshot.id, artifact: snapshot.artifactName(kind), kind: kind,
                                                    problem: "\(error)")
            }
        }

        // Everything is parsed before anything is recorded, so a bad artifact leaves the builder as it was.
        var tops: [(CaptureKind, ProfileTop)] = []
        var goroutineProfile: Profile?
        for kind in SnapshotDiff.profileKinds where held.contains(kind) {
            let profile = try parsed(kind) { try decoder.decode($0) }
            if kind == .goroutine { goroutineProfile = profile }
            tops.append((kind, try top(of: profile, kind: kind, snapshot: snapshot.id)))
        }
        var groups: [GoroutineGroupInput]?
        var maxIDs: [Int]?
        if held.contains(.stacks) {
            let stacks = try parsed(.stacks) { try GoroutineDump.groupStacks($0) }
            groups = GoroutineGroupInput.groups(from: stacks)
            maxIDs = stacks.map(\.maxID)
        } else if held.contains(.goroutineText) {
            groups = GoroutineGroupInput.groups(from: try parsed(.goroutineText) { try GoroutineProfileText.parse($0) })
        } else if held.contains(.goroutine) {
            let profile = try goroutineProfile ?? parsed(.goroutine) { try decoder.decode($0) }
            groups = SnapshotDiff.goroutineGroups(profile)
        }
        let vars = held.contains(.vars) ? try parsed(.vars) { try ExpVars.parse($0) } : nil

        // A restart starts a new segment and a new point.
        var reasons: [String] = []
        if let previousTime, snapshot.takenAt >= previousTime {
            if let older = previousVars, let vars,
               let r = RestartDetection.fromVars(older: older, newer: vars, seconds: snapshot.takenAt.timeIntervalSince(previousTime)) {
                reasons.append(r)
            }
            if let older = previousMaxIDs, let maxIDs, let r = RestartDetection.fromGoroutineIDs(older: older, newer: maxIDs) {
                reasons.append(r)
            }
        }
        if !reasons.isEmpty, let previousID {
            segment += 1
            restarts.append(TrendReport.Restart(after: previousID, before: snapshot.id, reasons: reasons))
        }
        let index = snapshots.count
        snapshots.append(TrendReport.SnapshotRef(id: snapshot.id, takenAt: snapshot.takenAt, segment: segment,
                                                 kinds: held.sorted().map(\.rawValue)))
        if buckets.isEmpty || buckets[buckets.count - 1].count >= bucketSize || buckets[buckets.count - 1].segment != segment {
            buckets.append(Bucket(time: snapshot.takenAt, segment: segment, firstSnapshot: index))
        }
        let b = buckets.count - 1
        buckets[b].count += 1
        buckets[b].time = snapshot.takenAt

        for (captureKind, top) in tops {
            let kind = captureKind.rawValue
            buckets[b].present[kind, default: 0] += 1
            let unit = top.sampleType.unit
            add(.total, kind, top.sampleType.type, unit: unit, presence: kind, value: Double(top.total), bucket: b)
            kindMax[kind] = max(kindMax[kind] ?? 0, Double(top.total))
            for row in top.rows {
                if row.flat != 0 { add(.flat, kind, row.name, unit: unit, presence: kind, value: Double(row.flat), bucket: b) }
                add(.cum, kind, row.name, unit: unit, presence: kind, value: Double(row.cum), bucket: b)
            }
        }
        if let groups {
            buckets[b].present["goroutines", default: 0] += 1
            var total = 0
            for g in groups {
                total += g.count
                let key = Self.groupKey(g)
                var meta = groupMeta[key] ?? GroupMeta(signature: g.signature, createdBy: g.createdBy, labels: g.labels)
                if let state = g.state { meta.states[state, default: 0] += g.count }
                meta.leaked = meta.leaked || g.leaked
                groupMeta[key] = meta
                add(.group, "goroutines", key, unit: "count", presence: "goroutines", value: Double(g.count), bucket: b)
            }
            add(.runtime, "goroutines", "goroutines", unit: "count", presence: "goroutines", value: Double(total), bucket: b)
            kindMax["goroutines"] = max(kindMax["goroutines"] ?? 0, Double(total))
        }
        if let m = vars?.memStats {
            let vars = CaptureKind.vars.rawValue
            buckets[b].present[vars, default: 0] += 1
            for (name, unit, value) in [
                ("heap_inuse", "bytes", Double(m.heapInuse)), ("heap_objects", "count", Double(m.heapObjects)),
                ("gc_cycles", "count", Double(m.numGC)), ("gc_pause_total", "nanoseconds", Double(m.pauseTotalNs)),
            ] {
                add(.runtime, vars, name, unit: unit, presence: vars, value: value, bucket: b)
            }
        }
        previousVars = vars ?? previousVars
        previousMaxIDs = maxIDs ?? previousMaxIDs
        previousTime = snapshot.takenAt
        previousID = snapshot.id
    }

    mutating func top(of profile: Profile, kind: CaptureKind, snapshot: String) throws -> ProfileTop {
        if let type = sampleTypes[kind.rawValue] {
            guard profile.sampleTypes.contains(type) else {
                throw SnapshotDiffError.badArtifact(
                    snapshot: snapshot, artifact: kind.rawValue, kind: kind,
                    problem: "it has no sample type \(type.type)/\(type.unit), which the earlier snapshots of the window have")
            }
            return try ProfileTop.compute(profile, sampleType: .name(type.type))
        }
        var selector = sampleIndex
        if let s = selector, (try? profile.sampleTypeIndex(s.description)) == nil {
            let chosen = (try? ProfileTop.compute(profile))?.sampleType.type ?? "its default"
            warnings.append("--sample-index \(s) does not fit \(kind); \(kind) uses \(chosen)")
            selector = nil
        }
        let top = try ProfileTop.compute(profile, sampleType: selector)
        sampleTypes[kind.rawValue] = top.sampleType
        return top
    }

    mutating func add(_ family: TrendReport.Family, _ kind: String, _ name: String, unit: String, presence: String,
                      value: Double, bucket: Int) {
        let key = SeriesKey(family: family, kind: kind, name: name)
        let i: Int
        if let found = seriesIndex[key] {
            i = found
        } else {
            i = series.count
            seriesIndex[key] = i
            series.append(SeriesData(key: key, unit: unit, presence: presence))
        }
        if series[i].sums.count <= bucket {
            series[i].sums.append(contentsOf: repeatElement(0, count: bucket + 1 - series[i].sums.count))
        }
        series[i].sums[bucket] += value
    }

    static func groupKey(_ g: GoroutineGroupInput) -> String {
        var key = g.signature.joined(separator: "\n") + "\n|" + (g.createdBy ?? "")
        for (k, v) in g.labels.sorted(by: { $0.key < $1.key }) { key += "\n\(k)=\(v)" }
        return key
    }

    /// The points of a series: per bucket the mean over the snapshots that held what it measures (NaN when none did).
    func points(_ s: SeriesData) -> [TrendPoint] {
        buckets.enumerated().map { j, bucket in
            let n = bucket.present[s.presence] ?? 0
            let sum = j < s.sums.count ? s.sums[j] : 0
            return TrendPoint(time: bucket.time.timeIntervalSince1970, value: n > 0 ? sum / Double(n) : .nan, segment: bucket.segment)
        }
    }
}
