import Profiles

/// The JSON form of one profile kind's diff: `{"sample_type", "unit", "total_a", "total_b",
/// "functions": [{"name", "flat_a", "flat_b", "flat_delta", "cum_a", "cum_b", "cum_delta"}]}`.
///
/// Values are in the profile's raw unit (`unit`), never scaled.
public struct ProfileDiffJSON: Codable, Sendable, Hashable {
    /// The compared sample type, e.g. `inuse_space`.
    public var sampleType: String
    /// Its unit, e.g. `bytes`.
    public var unit: String
    /// Total of the base snapshot.
    public var totalA: Int64
    /// Total of the current snapshot.
    public var totalB: Int64
    /// Rows in pprof order (|flat delta| descending).
    public var functions: [Function]

    /// One row.
    public struct Function: Codable, Sendable, Hashable {
        /// Function name (with ` file:line` for line granularity).
        public var name: String
        /// Flat value in A.
        public var flatA: Int64
        /// Flat value in B.
        public var flatB: Int64
        /// `flat_b - flat_a`.
        public var flatDelta: Int64
        /// Cumulative value in A.
        public var cumA: Int64
        /// Cumulative value in B.
        public var cumB: Int64
        /// `cum_b - cum_a`.
        public var cumDelta: Int64

        /// Creates a row.
        public init(name: String, flatA: Int64, flatB: Int64, flatDelta: Int64, cumA: Int64, cumB: Int64, cumDelta: Int64) {
            self.name = name
            self.flatA = flatA
            self.flatB = flatB
            self.flatDelta = flatDelta
            self.cumA = cumA
            self.cumB = cumB
            self.cumDelta = cumDelta
        }

        enum CodingKeys: String, CodingKey {
            case name
            case flatA = "flat_a"
            case flatB = "flat_b"
            case flatDelta = "flat_delta"
            case cumA = "cum_a"
            case cumB = "cum_b"
            case cumDelta = "cum_delta"
        }
    }

    /// Creates the JSON form from raw fields.
    public init(sampleType: String, unit: String, totalA: Int64, totalB: Int64, functions: [Function]) {
        self.sampleType = sampleType
        self.unit = unit
        self.totalA = totalA
        self.totalB = totalB
        self.functions = functions
    }

    /// The JSON form of `diff`.
    public init(_ diff: ProfileDiff) {
        self.init(
            sampleType: diff.sampleType.type, unit: diff.sampleType.unit, totalA: diff.totalA, totalB: diff.totalB,
            functions: diff.entries.map {
                Function(name: $0.name, flatA: $0.flatA, flatB: $0.flatB, flatDelta: $0.flatDelta,
                         cumA: $0.cumA, cumB: $0.cumB, cumDelta: $0.cumDelta)
            })
    }

    enum CodingKeys: String, CodingKey {
        case sampleType = "sample_type"
        case unit
        case totalA = "total_a"
        case totalB = "total_b"
        case functions
    }
}
