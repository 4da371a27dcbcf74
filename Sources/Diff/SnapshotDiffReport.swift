import Foundation

/// The `gbsnap diff --format json` document, schema `gbsnap.diff/v1` (every key is documented in
/// `docs/diff-json.md`). Optional sections are written as `null` when absent, so the key set is stable.
public struct SnapshotDiffReport: Codable, Sendable, Equatable {
    /// `gbsnap.diff/v1`.
    public var schema: String
    /// Snapshot A (the base).
    public var a: Snapshot
    /// Snapshot B.
    public var b: Snapshot
    /// Notes that did not stop the diff (different targets, kinds held by one side only, ...).
    public var warnings: [String]
    /// Profile diffs keyed by kind (`heap`, `goroutine`, ...).
    public var profiles: [String: ProfileDiffJSON]
    /// Goroutine growth, or nil when neither dumps nor goroutine profiles are in both snapshots.
    public var goroutines: Goroutines?
    /// Runtime statistics delta, or nil when one snapshot has no `vars`.
    public var runtime: RuntimeStatsDelta?
    /// Both execution traces summarised, or nil when they are not in both snapshots (or one is too old to read).
    public var trace: TraceComparison?
    /// `--fail-on` outcomes in the order given.
    public var gates: [Gate]

    /// Identity of one snapshot.
    public struct Snapshot: Codable, Sendable, Equatable {
        /// Snapshot id.
        public var id: String
        /// Target name.
        public var target: String
        /// When it was taken (ISO 8601, UTC, in JSON).
        public var takenAt: Date

        /// Creates a value.
        public init(id: String, target: String, takenAt: Date) {
            self.id = id
            self.target = target
            self.takenAt = takenAt
        }

        enum CodingKeys: String, CodingKey { case id, target, takenAt = "taken_at" }

        /// Decodes `taken_at` from ISO 8601 text.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            target = try c.decode(String.self, forKey: .target)
            let text = try c.decode(String.self, forKey: .takenAt)
            guard let date = SnapshotDiffReport.parseTime(text) else {
                throw DecodingError.dataCorruptedError(forKey: .takenAt, in: c, debugDescription: "\"\(text)\" is not ISO 8601")
            }
            takenAt = date
        }

        /// Encodes `taken_at` as ISO 8601 UTC text with fractional seconds when present.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(target, forKey: .target)
            try c.encode(SnapshotDiffReport.formatTime(takenAt), forKey: .takenAt)
        }
    }

    /// Goroutine growth and where it came from.
    public struct Goroutines: Codable, Sendable, Equatable {
        /// `stacks` (debug=2 dumps), `goroutine-text` (debug=1) or `goroutine` (profile.proto).
        public var source: String
        /// The growth; its keys (`total_a`, `total_b`, `groups`) sit beside `source` in JSON.
        public var growth: GoroutineGrowth

        /// Creates a value.
        public init(source: String, growth: GoroutineGrowth) {
            self.source = source
            self.growth = growth
        }

        enum CodingKeys: String, CodingKey { case source }

        /// Decodes `source` and the growth's keys from one object.
        public init(from decoder: any Decoder) throws {
            source = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .source)
            growth = try GoroutineGrowth(from: decoder)
        }

        /// Encodes `source` and the growth's keys into one object.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(source, forKey: .source)
            try growth.encode(to: encoder)
        }
    }

    /// One `--fail-on` outcome.
    public struct Gate: Codable, Sendable, Equatable {
        /// The expression as written.
        public var expression: String
        /// The metric it reads.
        public var metric: String
        /// The metric in A.
        public var a: Double
        /// The metric in B.
        public var b: Double
        /// The compared quantity (A, B, delta or delta percent); nil when infinite (growth from zero in %).
        public var observed: Double?
        /// Whether the gate tripped.
        public var tripped: Bool
        /// One line, e.g. `gate "goroutines.delta>10" tripped: goroutines grew by 25 (9 -> 34)`.
        public var message: String

        /// The JSON form of an outcome.
        public init(_ outcome: GateOutcome) {
            expression = outcome.gate.expression
            metric = outcome.gate.metric
            a = outcome.value.a
            b = outcome.value.b
            observed = outcome.observed.isFinite ? outcome.observed : nil
            tripped = outcome.tripped
            message = outcome.message
        }

        enum CodingKeys: String, CodingKey { case expression, metric, a, b, observed, tripped, message }

        /// Encodes every key, `observed` as `null` when infinite.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(expression, forKey: .expression)
            try c.encode(metric, forKey: .metric)
            try c.encode(a, forKey: .a)
            try c.encode(b, forKey: .b)
            try c.encode(observed, forKey: .observed)
            try c.encode(tripped, forKey: .tripped)
            try c.encode(message, forKey: .message)
        }
    }

    /// Creates a report.
    public init(schema: String = SnapshotDiff.schema, a: Snapshot, b: Snapshot, warnings: [String],
                profiles: [String: ProfileDiffJSON], goroutines: Goroutines?, runtime: RuntimeStatsDelta?,
                trace: TraceComparison? = nil, gates: [Gate]) {
        self.schema = schema
        self.a = a
        self.b = b
        self.warnings = warnings
        self.profiles = profiles
        self.goroutines = goroutines
        self.runtime = runtime
        self.trace = trace
        self.gates = gates
    }

    enum CodingKeys: String, CodingKey { case schema, a, b, warnings, profiles, goroutines, runtime, trace, gates }

    /// Encodes every key, with `null` for absent sections.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(a, forKey: .a)
        try c.encode(b, forKey: .b)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(profiles, forKey: .profiles)
        try c.encode(goroutines, forKey: .goroutines)
        try c.encode(runtime, forKey: .runtime)
        try c.encode(trace, forKey: .trace)
        try c.encode(gates, forKey: .gates)
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// ISO 8601 UTC text, with fractional seconds only when the time has them (every report writes times so).
    public static func formatTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
        f.formatOptions = whole ? [.withInternetDateTime] : [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func parseTime(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
