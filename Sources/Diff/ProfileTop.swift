import Profiles

/// Flat and cumulative values per function of one profile at one sample type: the numbers
/// `go tool pprof -top -nodecount=0 -sample_index=X` prints. `gbsnap trend` reads one of these per
/// snapshot; rows are keyed the same way as ``ProfileDiff`` rows, so a trend and a diff name functions alike.
public struct ProfileTop: Sendable, Hashable {
    /// The sample type read, e.g. `inuse_space`/`bytes`.
    public var sampleType: Profile.ValueType
    /// Sum of all samples at that type.
    public var total: Int64
    /// One row per function (or line) with a non-zero flat or cum value, in no particular order.
    public var rows: [Row]

    /// One function (or source line).
    public struct Row: Sendable, Hashable {
        /// The row name as pprof prints it.
        public var name: String
        /// Value where this row is the leaf.
        public var flat: Int64
        /// Value of stacks containing this row (once per stack).
        public var cum: Int64
    }

    /// Reads `profile` at `sampleType` (a name or index as pprof's `-sample_index` takes it; nil is pprof's default).
    public static func compute(
        _ profile: Profile, sampleType selector: SampleIndexSelector? = nil, granularity: ProfileDiffGranularity = .functions
    ) throws(ProfileDiffError) -> ProfileTop {
        let index: Int
        do {
            index = try profile.sampleTypeIndex(selector?.description)
        } catch {
            throw .sampleIndex(error)
        }
        var nodes = NodeTable(granularity: granularity)
        let map = try nodes.mapLocations(of: profile, name: "profile")
        var stats = NodeStats(count: nodes.count)
        let total = try stats.accumulate(profile, map: map, column: index, into: .b, name: "profile")
        var rows: [Row] = []
        rows.reserveCapacity(nodes.count)
        for i in 0..<nodes.count where stats.flatB[i] != 0 || stats.cumB[i] != 0 {
            rows.append(Row(name: nodes.printableNames[i], flat: stats.flatB[i], cum: stats.cumB[i]))
        }
        return ProfileTop(sampleType: profile.sampleTypes[index], total: total, rows: rows)
    }
}
