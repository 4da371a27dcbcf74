/// A decoded `perftools.profiles.Profile` (profile.proto), with every string index resolved.
///
/// Modelled after google/pprof's `profile.Profile`: samples refer to locations by id, locations
/// to mappings and (through their lines) to functions by id. Ids are only meaningful inside one
/// profile; compare profiles by content (function names, files, lines), never by id.
public struct Profile: Sendable, Hashable {
    /// One (type, unit) pair per entry of every `Sample.values`, e.g. `inuse_space`/`bytes`.
    public var sampleTypes: [ValueType]
    /// The samples, in file order.
    public var samples: [Sample]
    /// Binary mappings; `mappings[0]` is conventionally the main binary.
    public var mappings: [Mapping]
    /// Program locations referenced by the samples.
    public var locations: [Location]
    /// Functions referenced by the locations' lines.
    public var functions: [Function]
    /// Regular expression: frames fully matching it are dropped with their callees (empty if unset).
    public var dropFrames: String
    /// Regular expression: frames matching it are kept even if they match `dropFrames` (empty if unset).
    public var keepFrames: String
    /// Collection time in nanoseconds since the Unix epoch (0 if unset).
    public var timeNanos: Int64
    /// Duration of the collection in nanoseconds (0 if unset).
    public var durationNanos: Int64
    /// The kind of events between sampled occurrences, if set.
    public var periodType: ValueType?
    /// Number of events between sampled occurrences (0 if unset).
    public var period: Int64
    /// Free-form comments.
    public var comments: [String]
    /// The preferred sample type's `type` name (empty if unset: clients then use the last type).
    public var defaultSampleType: String
    /// Documentation URL for the profile (empty if unset).
    public var docURL: String

    /// Creates a profile; every field defaults to empty.
    public init(
        sampleTypes: [ValueType] = [], samples: [Sample] = [], mappings: [Mapping] = [],
        locations: [Location] = [], functions: [Function] = [], dropFrames: String = "",
        keepFrames: String = "", timeNanos: Int64 = 0, durationNanos: Int64 = 0,
        periodType: ValueType? = nil, period: Int64 = 0, comments: [String] = [],
        defaultSampleType: String = "", docURL: String = ""
    ) {
        self.sampleTypes = sampleTypes
        self.samples = samples
        self.mappings = mappings
        self.locations = locations
        self.functions = functions
        self.dropFrames = dropFrames
        self.keepFrames = keepFrames
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
        self.periodType = periodType
        self.period = period
        self.comments = comments
        self.defaultSampleType = defaultSampleType
        self.docURL = docURL
    }

    /// A sample type or period type: what is measured and in which unit.
    public struct ValueType: Sendable, Hashable, Codable, CustomStringConvertible {
        /// What is measured, e.g. `alloc_space`, `goroutine`, `cpu`.
        public var type: String
        /// Its unit, e.g. `bytes`, `count`, `nanoseconds`.
        public var unit: String

        /// Creates a value type.
        public init(type: String, unit: String) {
            self.type = type
            self.unit = unit
        }

        /// `type/unit`, as pprof prints it.
        public var description: String { "\(type)/\(unit)" }
    }

    /// One sampled stack with its values and labels.
    public struct Sample: Sendable, Hashable {
        /// Location ids, leaf first (`locationIDs[0]` is where the event happened). May be empty.
        public var locationIDs: [UInt64]
        /// One value per `Profile.sampleTypes` entry.
        public var values: [Int64]
        /// Labels in file order (a key may repeat).
        public var labels: [Label]

        /// Creates a sample.
        public init(locationIDs: [UInt64], values: [Int64], labels: [Label] = []) {
            self.locationIDs = locationIDs
            self.values = values
            self.labels = labels
        }
    }

    /// A sample label: a key with either a string or a number (with an optional unit).
    public struct Label: Sendable, Hashable {
        /// The label key, e.g. `bytes` or `worker`; keys starting with `pprof::` are pprof's own.
        public var key: String
        /// The label value.
        public var value: Value

        /// The value of a label.
        public enum Value: Sendable, Hashable {
            /// A string label, e.g. `worker=leaky`.
            case string(String)
            /// A numeric label with its unit (empty when unspecified), e.g. `bytes=65536`.
            case number(Int64, unit: String)
        }

        /// Creates a label.
        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }

        /// A string label.
        public static func string(_ key: String, _ value: String) -> Label {
            Label(key: key, value: .string(value))
        }

        /// A numeric label.
        public static func number(_ key: String, _ value: Int64, unit: String = "") -> Label {
            Label(key: key, value: .number(value, unit: unit))
        }
    }

    /// A mapped binary or shared object.
    public struct Mapping: Sendable, Hashable {
        /// Unique nonzero id within the profile.
        public var id: UInt64
        /// Start address of the mapping in memory.
        public var memoryStart: UInt64
        /// End address (exclusive) of the mapping in memory.
        public var memoryLimit: UInt64
        /// Offset in the binary of `memoryStart`.
        public var fileOffset: UInt64
        /// Path of the binary.
        public var filename: String
        /// Build id of the binary (empty if unknown).
        public var buildID: String
        /// Whether locations in the mapping carry function names.
        public var hasFunctions: Bool
        /// Whether locations carry file names.
        public var hasFilenames: Bool
        /// Whether locations carry line numbers.
        public var hasLineNumbers: Bool
        /// Whether locations carry inlined frames.
        public var hasInlineFrames: Bool

        /// Creates a mapping.
        public init(
            id: UInt64, memoryStart: UInt64 = 0, memoryLimit: UInt64 = 0, fileOffset: UInt64 = 0,
            filename: String = "", buildID: String = "", hasFunctions: Bool = false,
            hasFilenames: Bool = false, hasLineNumbers: Bool = false, hasInlineFrames: Bool = false
        ) {
            self.id = id
            self.memoryStart = memoryStart
            self.memoryLimit = memoryLimit
            self.fileOffset = fileOffset
            self.filename = filename
            self.buildID = buildID
            self.hasFunctions = hasFunctions
            self.hasFilenames = hasFilenames
            self.hasLineNumbers = hasLineNumbers
            self.hasInlineFrames = hasInlineFrames
        }
    }

    /// A program location: an address and the source lines it belongs to.
    public struct Location: Sendable, Hashable {
        /// Unique nonzero id within the profile.
        public var id: UInt64
        /// The mapping containing the address, 0 when unknown.
        public var mappingID: UInt64
        /// Instruction address (0 when unknown).
        public var address: UInt64
        /// Source lines, innermost first: with inlining, each entry was inlined into the next one,
        /// and the last entry is the function that really holds the address.
        public var lines: [Line]
        /// Whether the frames were folded into others by a linker.
        public var isFolded: Bool

        /// Creates a location.
        public init(id: UInt64, mappingID: UInt64 = 0, address: UInt64 = 0, lines: [Line] = [], isFolded: Bool = false) {
            self.id = id
            self.mappingID = mappingID
            self.address = address
            self.lines = lines
            self.isFolded = isFolded
        }
    }

    /// A source line inside a location.
    public struct Line: Sendable, Hashable {
        /// The function, by id (0 when unknown).
        public var functionID: UInt64
        /// Line number (0 when unknown).
        public var line: Int64
        /// Column number (0 when unknown).
        public var column: Int64

        /// Creates a line.
        public init(functionID: UInt64, line: Int64 = 0, column: Int64 = 0) {
            self.functionID = functionID
            self.line = line
            self.column = column
        }
    }

    /// A function.
    public struct Function: Sendable, Hashable {
        /// Unique nonzero id within the profile.
        public var id: UInt64
        /// Human-readable name, e.g. `net/http.(*conn).serve`.
        public var name: String
        /// Name as identified by the system (e.g. a mangled C++ name).
        public var systemName: String
        /// Source file.
        public var filename: String
        /// Line where the function starts (0 when unknown).
        public var startLine: Int64

        /// Creates a function.
        public init(id: UInt64, name: String, systemName: String = "", filename: String = "", startLine: Int64 = 0) {
            self.id = id
            self.name = name
            self.systemName = systemName
            self.filename = filename
            self.startLine = startLine
        }
    }
}

extension Profile {
    /// The index of the sample type pprof would pick with `-sample_index=selector`
    /// (`nil` selects the default type: `defaultSampleType` when it names a type, else the last one).
    ///
    /// A selector is a decimal index or a type name; an `inuse_` prefix may be omitted from the
    /// profile's type name, as pprof accepts for legacy profiles.
    public func sampleTypeIndex(_ selector: String?) throws(SampleTypeSelectionError) -> Int {
        guard !sampleTypes.isEmpty else { throw .noSampleTypes }
        guard let selector, !selector.isEmpty else {
            if !defaultSampleType.isEmpty, let i = sampleTypes.firstIndex(where: { $0.type == defaultSampleType }) {
                return i
            }
            return sampleTypes.count - 1
        }
        if let i = Int(selector) {
            guard i >= 0 && i < sampleTypes.count else {
                throw .outOfRange(selector: selector, count: sampleTypes.count)
            }
            return i
        }
        let noInuse = selector.hasPrefix("inuse_") ? String(selector.dropFirst(6)) : selector
        if let i = sampleTypes.firstIndex(where: { $0.type == selector || $0.type == noInuse }) {
            return i
        }
        throw .unknownType(selector: selector, available: sampleTypes.map(\.type))
    }
}

/// Why a `-sample_index` selector does not pick a sample type; messages match pprof's.
public enum SampleTypeSelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The profile has no sample types at all.
    case noSampleTypes
    /// A numeric selector outside `0..<count`.
    case outOfRange(selector: String, count: Int)
    /// A name that is not one of the profile's sample types.
    case unknownType(selector: String, available: [String])

    /// One sentence naming the selector and what is wrong.
    public var description: String {
        switch self {
        case .noSampleTypes:
            "the profile has no sample types, so no sample index can be chosen"
        case .outOfRange(let selector, let count):
            "sample_index \(selector) is outside the range [0..\(count - 1)]"
        case .unknownType(let selector, let available):
            "sample_index \"\(selector)\" must be one of: [\(available.joined(separator: " "))]"
        }
    }
}

/// Maps profile ids (of locations, functions or mappings) to array positions.
///
/// Go writes ids 1...n in order, which this answers with arithmetic; any other numbering falls
/// back to a dictionary.
public struct ProfileIDLookup: Sendable {
    private let dense: Bool
    private let count: Int
    private let table: [UInt64: Int]

    /// Builds the lookup for `ids` (positions are indices into `ids`). Later duplicates are ignored.
    public init(ids: [UInt64]) {
        var dense = true
        for (i, id) in ids.enumerated() where id != UInt64(i) + 1 {
            dense = false
            break
        }
        self.dense = dense
        self.count = ids.count
        if dense {
            table = [:]
        } else {
            var t = [UInt64: Int](minimumCapacity: ids.count)
            for (i, id) in ids.enumerated() where t[id] == nil { t[id] = i }
            table = t
        }
    }

    /// The position of `id`, or nil if no entry has that id.
    @inline(__always)
    public subscript(id id: UInt64) -> Int? {
        if dense {
            return id >= 1 && id <= UInt64(count) ? Int(id - 1) : nil
        }
        return table[id]
    }
}
