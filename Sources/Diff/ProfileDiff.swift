import Profiles

/// Which sample type (`Sample.values` column) to compare, as pprof's `-sample_index` takes it.
public enum SampleIndexSelector: Sendable, Hashable, CustomStringConvertible {
    /// A column number, e.g. `3`.
    case index(Int)
    /// A sample type name, e.g. `inuse_space` (an `inuse_` prefix may be omitted by the profile).
    case name(String)

    /// Parses a `--sample-index` argument: a decimal number is an index, anything else a name.
    public init(_ argument: String) {
        if let i = Int(argument) { self = .index(i) } else { self = .name(argument) }
    }

    /// The argument as pprof would take it.
    public var description: String {
        switch self {
        case .index(let i): String(i)
        case .name(let n): n
        }
    }
}

/// How samples are grouped into rows, like pprof's `-functions` (default) and `-lines`.
public enum ProfileDiffGranularity: String, Sendable, Hashable, CaseIterable {
    /// One row per function name (inlined functions are rows of their own).
    case functions
    /// One row per (function, file, line).
    case lines
}

/// Why two profiles cannot be compared; the first sentences match pprof's messages.
public enum ProfileDiffError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The profiles share no sample type name (e.g. a heap profile against a goroutine profile).
    case noCommonSampleTypes(base: [String], current: [String])
    /// The period types differ (e.g. CPU against heap sampling).
    case incompatiblePeriodTypes(base: Profile.ValueType?, current: Profile.ValueType?)
    /// A sample type present in both has different units.
    case incompatibleSampleTypes(base: [Profile.ValueType], current: [Profile.ValueType])
    /// The `-sample_index` selector does not name one of the common sample types.
    case sampleIndex(SampleTypeSelectionError)
    /// A profile refers to a location or function id it does not define (only possible for
    /// profiles built by hand; decoded profiles are validated).
    case danglingReference(profile: String, what: String, id: UInt64)

    /// One sentence naming what is incompatible.
    public var description: String {
        switch self {
        case .noCommonSampleTypes(let base, let current):
            "profiles have empty common sample type list: the base has [\(base.joined(separator: " "))] and the current profile has [\(current.joined(separator: " "))]"
        case .incompatiblePeriodTypes(let base, let current):
            "incompatible period types \(base?.description ?? "none") and \(current?.description ?? "none")"
        case .incompatibleSampleTypes(let base, let current):
            "incompatible sample types [\(base.map(\.description).joined(separator: " "))] and [\(current.map(\.description).joined(separator: " "))]"
        case .sampleIndex(let error):
            error.description
        case .danglingReference(let profile, let what, let id):
            "the \(profile) profile refers to \(what) id \(id), which it does not define"
        }
    }
}

/// Per-function (or per-line) flat and cumulative values of two profiles and their difference,
/// with the numbers `go tool pprof -top -nodecount=0 -sample_index=X -diff_base=A B` prints.
public struct ProfileDiff: Sendable, Hashable {
    /// The compared sample type, e.g. `inuse_space`/`bytes`.
    public var sampleType: Profile.ValueType
    /// Its position among the sample types both profiles have (pprof's resolved `-sample_index`).
    public var sampleIndex: Int
    /// Row grouping.
    public var granularity: ProfileDiffGranularity
    /// Sum of the base profile's values of `sampleType`.
    public var totalA: Int64
    /// Sum of the current profile's values of `sampleType`.
    public var totalB: Int64
    /// Rows sorted by |flat delta| descending, then name, then |cum delta| descending (pprof's order).
    public var entries: [Entry]

    /// Creates a diff from precomputed values.
    public init(
        sampleType: Profile.ValueType, sampleIndex: Int, granularity: ProfileDiffGranularity,
        totalA: Int64, totalB: Int64, entries: [Entry]
    ) {
        self.sampleType = sampleType
        self.sampleIndex = sampleIndex
        self.granularity = granularity
        self.totalA = totalA
        self.totalB = totalB
        self.entries = entries
    }

    /// `totalB - totalA`.
    public var totalDelta: Int64 { totalB &- totalA }

    /// One row: a function (or a source line) with its values in both profiles.
    public struct Entry: Sendable, Hashable {
        /// The row name as pprof prints it: the function name, with ` file:line` for line granularity.
        public var name: String
        /// The function name (empty when the location is not symbolized).
        public var function: String
        /// The source file (line granularity only; empty otherwise).
        public var file: String
        /// The line number (line granularity only; 0 otherwise).
        public var line: Int64
        /// Value where this row is the leaf, in the base profile.
        public var flatA: Int64
        /// Value where this row is the leaf, in the current profile.
        public var flatB: Int64
        /// Value of stacks containing this row (once per stack), in the base profile.
        public var cumA: Int64
        /// Value of stacks containing this row (once per stack), in the current profile.
        public var cumB: Int64

        /// Creates a row.
        public init(name: String, function: String, file: String = "", line: Int64 = 0,
                    flatA: Int64, flatB: Int64, cumA: Int64, cumB: Int64) {
            self.name = name
            self.function = function
            self.file = file
            self.line = line
            self.flatA = flatA
            self.flatB = flatB
            self.cumA = cumA
            self.cumB = cumB
        }

        /// `flatB - flatA`.
        public var flatDelta: Int64 { flatB &- flatA }
        /// `cumB - cumA`.
        public var cumDelta: Int64 { cumB &- cumA }
    }

    /// Compares `base` (A) with `current` (B) the way `go tool pprof -diff_base=A B` does.
    ///
    /// Only sample types present in both (by name, in B's order) are considered, and `sampleIndex`
    /// is resolved among those; nil picks B's `default_sample_type` (else A's), else the last type.
    /// Values are summed with wrapping arithmetic, so hostile inputs cannot trap.
    public static func compute(
        base: Profile, current: Profile, sampleIndex: SampleIndexSelector? = nil,
        granularity: ProfileDiffGranularity = .functions
    ) throws(ProfileDiffError) -> ProfileDiff {
        let selection = try selectSampleType(base: base, current: current, sampleIndex: sampleIndex)
        var nodes = NodeTable(granularity: granularity)
        let mapA = try nodes.mapLocations(of: base, name: "base")
        let mapB = try nodes.mapLocations(of: current, name: "current")
        var stats = NodeStats(count: nodes.count)
        let totalA = try stats.accumulate(base, map: mapA, column: selection.columnA, into: .a, name: "base")
        let totalB = try stats.accumulate(current, map: mapB, column: selection.columnB, into: .b, name: "current")

        var entries: [Entry] = []
        entries.reserveCapacity(nodes.count)
        for i in 0..<nodes.count {
            guard stats.flatA[i] != 0 || stats.flatB[i] != 0 || stats.cumA[i] != 0 || stats.cumB[i] != 0 else { continue }
            let key = nodes.keys[i]
            entries.append(Entry(
                name: nodes.printableNames[i], function: key.function, file: key.file, line: key.line,
                flatA: stats.flatA[i], flatB: stats.flatB[i], cumA: stats.cumA[i], cumB: stats.cumB[i]))
        }
        entries.sort(by: pprofOrder)
        return ProfileDiff(
            sampleType: selection.type, sampleIndex: selection.index, granularity: granularity,
            totalA: totalA, totalB: totalB, entries: entries)
    }

    /// pprof's `FlatNameOrder`: |flat| descending, then name (bytewise), then |cum| descending.
    static func pprofOrder(_ l: Entry, _ r: Entry) -> Bool {
        let lf = l.flatDelta.magnitude, rf = r.flatDelta.magnitude
        if lf != rf { return lf > rf }
        if l.name != r.name { return l.name.utf8.lexicographicallyPrecedes(r.name.utf8) }
        return l.cumDelta.magnitude > r.cumDelta.magnitude
    }

    struct SampleTypeSelection {
        var type: Profile.ValueType
        var index: Int
        var columnA: Int
        var columnB: Int
    }

    /// pprof's `CompatibilizeSampleTypes` + `compatible` + `SampleIndexByName` on the merged profile.
    static func selectSampleType(
        base: Profile, current: Profile, sampleIndex: SampleIndexSelector?
    ) throws(ProfileDiffError) -> SampleTypeSelection {
        let baseNames = Set(base.sampleTypes.map(\.type))
        let commonB = current.sampleTypes.filter { baseNames.contains($0.type) }
        guard !commonB.isEmpty else {
            throw .noCommonSampleTypes(base: base.sampleTypes.map(\.type), current: current.sampleTypes.map(\.type))
        }
        let commonNames = Set(commonB.map(\.type))
        let commonA = base.sampleTypes.filter { commonNames.contains($0.type) }
        let emptyType = Profile.ValueType(type: "", unit: "")
        if (base.periodType ?? emptyType) != (current.periodType ?? emptyType) {
            throw .incompatiblePeriodTypes(base: base.periodType, current: current.periodType)
        }
        guard commonA == commonB else {
            throw .incompatibleSampleTypes(base: commonA, current: commonB)
        }
        let merged = Profile(
            sampleTypes: commonB,
            defaultSampleType: current.defaultSampleType.isEmpty ? base.defaultSampleType : current.defaultSampleType)
        let index: Int
        do {
            index = try merged.sampleTypeIndex(sampleIndex?.description)
        } catch {
            throw .sampleIndex(error)
        }
        let type = commonB[index]
        // Both profiles have the type (commonA == commonB); take the first column with that name.
        let columnA = base.sampleTypes.firstIndex(of: type) ?? 0
        let columnB = current.sampleTypes.firstIndex(of: type) ?? 0
        return SampleTypeSelection(type: type, index: index, columnA: columnA, columnB: columnB)
    }
}

/// The identity of a row, after pprof's `Aggregate` has cleared what the granularity ignores.
struct NodeKey: Hashable {
    var function: String
    var file: String
    var line: Int64
    /// Mapping file, used only when the frame has no function name (as pprof's `NodeInfo.Objfile`).
    var objfile: String
}

/// Interns rows shared by both profiles and maps each location to its rows.
struct NodeTable {
    let granularity: ProfileDiffGranularity
    var keys: [NodeKey] = []
    var printableNames: [String] = []
    var index: [NodeKey: Int] = [:]
    var count: Int { keys.count }

    init(granularity: ProfileDiffGranularity) {
        self.granularity = granularity
    }

    mutating func intern(_ key: NodeKey) -> Int {
        if let i = index[key] { return i }
        let i = keys.count
        keys.append(key)
        printableNames.append(Self.printableName(key))
        index[key] = i
        return i
    }

    /// pprof's `NodeInfo.PrintableName` for a node without address.
    static func printableName(_ key: NodeKey) -> String {
        var parts: [String] = []
        if !key.function.isEmpty { parts.append(key.function) }
        if key.line != 0 {
            parts.append("\(key.file):\(key.line)")
        } else if !key.file.isEmpty {
            parts.append(key.file)
        } else if !key.function.isEmpty {
            // The function name is all there is.
        } else if !key.objfile.isEmpty {
            let base = key.objfile.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? key.objfile
            parts.append("[\(base)]")
        } else {
            parts.append("<unknown>")
        }
        return parts.joined(separator: " ")
    }

    /// For each location of `profile`: the rows of its lines, innermost first, flattened.
    mutating func mapLocations(of profile: Profile, name: String) throws(ProfileDiffError) -> LocationMap {
        let functionLookup = ProfileIDLookup(ids: profile.functions.map(\.id))
        let mappingLookup = ProfileIDLookup(ids: profile.mappings.map(\.id))
        var functionNodes = [Int](repeating: -1, count: profile.functions.count)
        var starts: [Int32] = []
        starts.reserveCapacity(profile.locations.count + 1)
        var nodes: [Int32] = []
        nodes.reserveCapacity(profile.locations.count * 2)
        for location in profile.locations {
            starts.append(Int32(truncatingIfNeeded: nodes.count))
            let objfile = mappingLookup[id: location.mappingID].map { profile.mappings[$0].filename } ?? ""
            if location.lines.isEmpty {
                nodes.append(Int32(intern(NodeKey(function: "", file: "", line: 0, objfile: objfile))))
                continue
            }
            for line in location.lines {
                guard let fi = functionLookup[id: line.functionID] else {
                    throw .danglingReference(profile: name, what: "function", id: line.functionID)
                }
                let function = profile.functions[fi]
                switch granularity {
                case .functions:
                    if functionNodes[fi] < 0 {
                        functionNodes[fi] = intern(NodeKey(
                            function: function.name, file: "", line: 0,
                            objfile: function.name.isEmpty ? objfile : ""))
                    }
                    nodes.append(Int32(functionNodes[fi]))
                case .lines:
                    nodes.append(Int32(intern(NodeKey(
                        function: function.name, file: function.filename, line: line.line,
                        objfile: function.name.isEmpty ? objfile : ""))))
                }
            }
        }
        starts.append(Int32(truncatingIfNeeded: nodes.count))
        return LocationMap(lookup: ProfileIDLookup(ids: profile.locations.map(\.id)), starts: starts, nodes: nodes)
    }
}

/// Location id -> rows, as flat arrays (no per-location allocation).
struct LocationMap {
    let lookup: ProfileIDLookup
    let starts: [Int32]
    let nodes: [Int32]
}

/// Flat and cum accumulators for both profiles.
struct NodeStats {
    enum Side { case a, b }
    var flatA: [Int64], flatB: [Int64], cumA: [Int64], cumB: [Int64]
    /// Per row, the serial of the last sample that added to its cum (counts recursion once).
    var seen: [Int]
    var serial = 0

    init(count: Int) {
        flatA = [Int64](repeating: 0, count: count)
        flatB = flatA
        cumA = flatA
        cumB = flatA
        seen = [Int](repeating: 0, count: count)
    }

    /// Adds every sample of `profile` at `column`; returns the total.
    mutating func accumulate(
        _ profile: Profile, map: LocationMap, column: Int, into side: Side, name: String
    ) throws(ProfileDiffError) -> Int64 {
        var total: Int64 = 0
        var flat = side == .a ? flatA : flatB
        var cum = side == .a ? cumA : cumB
        if side == .a { flatA = [] ; cumA = [] } else { flatB = []; cumB = [] }
        defer {
            if side == .a { flatA = flat; cumA = cum } else { flatB = flat; cumB = cum }
        }
        try map.starts.withUnsafeBufferPointer { starts throws(ProfileDiffError) in
            try map.nodes.withUnsafeBufferPointer { nodes throws(ProfileDiffError) in
                try seen.withUnsafeMutableBufferPointer { seen throws(ProfileDiffError) in
                    try flat.withUnsafeMutableBufferPointer { flat throws(ProfileDiffError) in
                        try cum.withUnsafeMutableBufferPointer { cum throws(ProfileDiffError) in
                            for sample in profile.samples {
                                guard column < sample.values.count else { continue }
                                let v = sample.values[column]
                                guard v != 0 else { continue }
                                total &+= v
                                serial += 1
                                var leaf = -1
                                for id in sample.locationIDs {
                                    guard let li = map.lookup[id: id] else {
                                        throw .danglingReference(profile: name, what: "location", id: id)
                                    }
                                    let start = Int(starts[li]), end = Int(starts[li + 1])
                                    if leaf < 0 && end > start { leaf = Int(nodes[start]) }
                                    for k in start..<end {
                                        let node = Int(nodes[k])
                                        if seen[node] != serial {
                                            seen[node] = serial
                                            cum[node] &+= v
                                        }
                                    }
                                }
                                if leaf >= 0 { flat[leaf] &+= v }
                            }
                        }
                    }
                }
            }
        }
        return total
    }
}
