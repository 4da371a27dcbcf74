import ArchiveIO

/// Why a profile.proto could not be decoded: what is wrong, in which field, at which byte.
public struct ProfileDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        /// The input has no bytes.
        case emptyInput
        /// The gzip envelope is corrupt or truncated (zlib's message).
        case corruptGzip(String)
        /// Inflating would produce more than the limit (a decompression bomb, or just too big).
        case inflatedSizeExceedsLimit(limit: Int)
        /// A varint runs past the end of its message.
        case truncatedVarint
        /// A varint is longer than 10 bytes or overflows 64 bits.
        case overlongVarint
        /// A length prefix points past the end of the enclosing message.
        case lengthPastEnd(length: UInt64, remaining: Int)
        /// A fixed32/fixed64 value runs past the end of its message.
        case truncatedFixed(width: Int)
        /// A field key has field number 0 or one above 2^29-1.
        case invalidFieldNumber(UInt64)
        /// A wire type that profile.proto never uses (groups) or that does not exist (6, 7).
        case unsupportedWireType(Int)
        /// A known field encoded with the wrong wire type.
        case wireTypeMismatch(field: UInt64, wireType: Int)
        /// A string index outside the string table.
        case stringIndexOutOfRange(index: Int64, tableSize: Int)
        /// `string_table[0]` is not the empty string.
        case firstStringNotEmpty
        /// A mapping, location or function with the reserved id 0.
        case zeroID
        /// Two mappings, locations or functions share an id.
        case duplicateID(UInt64)
        /// A sample refers to a location id that no location has.
        case unknownLocationID(UInt64)
        /// A line refers to a function id that no function has.
        case unknownFunctionID(UInt64)
        /// A location refers to a mapping id that no mapping has.
        case unknownMappingID(UInt64)
        /// A sample has a different number of values than the profile has sample types.
        case valueCountMismatch(values: Int, sampleTypes: Int)
    }

    /// What is wrong.
    public var reason: Reason
    /// Where, as a field path such as `Profile.sample[12].location_id` (just `Profile` for the envelope).
    public var context: String
    /// Byte offset in the (inflated) protobuf message, when known.
    public var offset: Int?

    /// Creates an error.
    public init(_ reason: Reason, context: String = "", offset: Int? = nil) {
        self.reason = reason
        self.context = context
        self.offset = offset
    }

    /// Prefixes the field path with `component` (errors are built leaf first, then wrapped).
    func within(_ component: String) -> ProfileDecodingError {
        var copy = self
        copy.context = context.isEmpty ? component : component + "." + context
        return copy
    }

    /// One sentence: what is wrong, in which field, at which byte.
    public var description: String {
        let what: String
        switch reason {
        case .emptyInput: what = "the input is empty"
        case .corruptGzip(let message): what = "the gzip envelope is corrupt (\(message))"
        case .inflatedSizeExceedsLimit(let limit):
            what = "it inflates to more than \(limit) bytes (decompression bomb or oversized profile)"
        case .truncatedVarint: what = "a varint is truncated"
        case .overlongVarint: what = "a varint is longer than 10 bytes or overflows 64 bits"
        case .lengthPastEnd(let length, let remaining):
            what = "a length of \(length) bytes runs past the end of the message (\(remaining) bytes left)"
        case .truncatedFixed(let width): what = "a \(width)-byte fixed-width value is truncated"
        case .invalidFieldNumber(let field): what = "field number \(field) is invalid"
        case .unsupportedWireType(let wire): what = "wire type \(wire) is not supported"
        case .wireTypeMismatch(let field, let wire): what = "field \(field) has the wrong wire type \(wire)"
        case .stringIndexOutOfRange(let index, let size):
            what = "string index \(index) is outside the string table of \(size) entries"
        case .firstStringNotEmpty: what = "string_table[0] is not the empty string"
        case .zeroID: what = "an entry uses the reserved id 0"
        case .duplicateID(let id): what = "id \(id) is used twice"
        case .unknownLocationID(let id): what = "location id \(id) does not exist"
        case .unknownFunctionID(let id): what = "function id \(id) does not exist"
        case .unknownMappingID(let id): what = "mapping id \(id) does not exist"
        case .valueCountMismatch(let values, let types):
            what = "a sample has \(values) values but the profile has \(types) sample types"
        }
        var text = "malformed profile.proto: \(what)"
        if !context.isEmpty { text += " in \(context)" }
        if let offset { text += " at byte offset \(offset)" }
        return text
    }
}

/// Decodes profile.proto data (gzipped or raw) into a `Profile`.
///
/// Accepts everything google/pprof's parser accepts from the binary format: fields in any order
/// (the string table may come last), packed and unpacked repeated scalars, unknown fields
/// (skipped), negative values. Every malformed input yields a `ProfileDecodingError`.
public struct ProfileDecoder: Sendable {
    /// The largest inflated size accepted, in bytes; larger gzip payloads are refused.
    public var maxInflatedBytes: Int

    /// Creates a decoder refusing to inflate more than `maxInflatedBytes` (default 1 GiB).
    public init(maxInflatedBytes: Int = 1 << 30) {
        self.maxInflatedBytes = maxInflatedBytes
    }

    /// Decodes `data`: inflated first when it starts with the gzip magic, else read as protobuf.
    public func decode(_ data: [UInt8]) throws(ProfileDecodingError) -> Profile {
        guard !data.isEmpty else { throw ProfileDecodingError(.emptyInput, context: "Profile") }
        if Gzip.hasGzipMagic(data) {
            let inflated: [UInt8]
            do {
                inflated = try Gzip.inflate(data, limit: maxInflatedBytes)
            } catch {
                if case .outputLimitExceeded(let limit) = error.code {
                    throw ProfileDecodingError(.inflatedSizeExceedsLimit(limit: limit), context: "gzip envelope")
                }
                throw ProfileDecodingError(.corruptGzip(error.description), context: "gzip envelope")
            }
            guard !inflated.isEmpty else { throw ProfileDecodingError(.emptyInput, context: "Profile") }
            return try Self.decodeMessage(inflated)
        }
        return try Self.decodeMessage(data)
    }

    /// Decodes an uncompressed serialized `Profile` message.
    public static func decodeMessage(_ bytes: [UInt8]) throws(ProfileDecodingError) -> Profile {
        var result: Result<Profile, ProfileDecodingError> = .success(Profile())
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var parser = ProfileMessageParser(base: base, count: buffer.count)
            do throws(ProfileDecodingError) {
                result = .success(try parser.parse())
            } catch {
                result = .failure(error.within("Profile"))
            }
        }
        return try result.get()
    }
}

/// Two passes over the top-level message: the string table first (Go writes it last), then
/// everything else with strings resolved on the fly.
struct ProfileMessageParser {
    let base: UnsafePointer<UInt8>
    let count: Int
    var strings: [String] = []

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    mutating func parse() throws(ProfileDecodingError) -> Profile {
        var reader = ProtobufReader(base: base, start: 0, end: count)
        var stringCount = 0
        var sampleCount = 0, locationCount = 0, functionCount = 0
        // Pass 1: validate the top-level framing, count entries, and collect the string table.
        while !reader.isAtEnd {
            let (field, wire) = try reader.readKey()
            if field == 6 {
                let range = try reader.readBytesField(field, wire)
                if stringCount == 0 && !range.isEmpty {
                    throw ProfileDecodingError(.firstStringNotEmpty, context: "string_table[0]", offset: range.lowerBound)
                }
                strings.append(reader.string(range))
                stringCount += 1
            } else {
                if wire == .lengthDelimited {
                    switch field {
                    case 2: sampleCount += 1
                    case 4: locationCount += 1
                    case 5: functionCount += 1
                    default: break
                    }
                }
                try reader.skip(wire)
            }
        }
        if strings.isEmpty { strings = [""] }

        var profile = Profile()
        profile.samples.reserveCapacity(sampleCount)
        profile.locations.reserveCapacity(locationCount)
        profile.functions.reserveCapacity(functionCount)
        var commentIndices: [UInt64] = []
        reader = ProtobufReader(base: base, start: 0, end: count)
        while !reader.isAtEnd {
            let (field, wire) = try reader.readKey()
            switch field {
            case 1:
                let range = try reader.readBytesField(field, wire)
                do { profile.sampleTypes.append(try valueType(range)) } catch {
                    throw error.within("sample_type[\(profile.sampleTypes.count)]")
                }
            case 2:
                let range = try reader.readBytesField(field, wire)
                do { profile.samples.append(try sample(range)) } catch {
                    throw error.within("sample[\(profile.samples.count)]")
                }
            case 3:
                let range = try reader.readBytesField(field, wire)
                do { profile.mappings.append(try mapping(range)) } catch {
                    throw error.within("mapping[\(profile.mappings.count)]")
                }
            case 4:
                let range = try reader.readBytesField(field, wire)
                do { profile.locations.append(try location(range)) } catch {
                    throw error.within("location[\(profile.locations.count)]")
                }
            case 5:
                let range = try reader.readBytesField(field, wire)
                do { profile.functions.append(try function(range)) } catch {
                    throw error.within("function[\(profile.functions.count)]")
                }
            case 6:
                _ = try reader.readBytesField(field, wire)
            case 7:
                profile.dropFrames = try string(reader.readVarintField(field, wire), reader.pos, "drop_frames")
            case 8:
                profile.keepFrames = try string(reader.readVarintField(field, wire), reader.pos, "keep_frames")
            case 9:
                profile.timeNanos = Int64(bitPattern: try reader.readVarintField(field, wire))
            case 10:
                profile.durationNanos = Int64(bitPattern: try reader.readVarintField(field, wire))
            case 11:
                let range = try reader.readBytesField(field, wire)
                do { profile.periodType = try valueType(range) } catch { throw error.within("period_type") }
            case 12:
                profile.period = Int64(bitPattern: try reader.readVarintField(field, wire))
            case 13:
                do { try reader.readRepeatedVarint(field, wire) { commentIndices.append($0) } } catch {
                    throw error.within("comment")
                }
            case 14:
                profile.defaultSampleType = try string(reader.readVarintField(field, wire), reader.pos, "default_sample_type")
            case 15:
                profile.docURL = try string(reader.readVarintField(field, wire), reader.pos, "doc_url")
            default:
                try reader.skip(wire)
            }
        }
        for (i, index) in commentIndices.enumerated() {
            profile.comments.append(try string(index, nil, "comment[\(i)]"))
        }
        try validate(profile)
        return profile
    }

    @inline(__always)
    func string(_ index: UInt64, _ offset: Int?, _ context: String = "") throws(ProfileDecodingError) -> String {
        guard index < UInt64(strings.count) else {
            throw ProfileDecodingError(
                .stringIndexOutOfRange(index: Int64(bitPattern: index), tableSize: strings.count),
                context: context, offset: offset)
        }
        return strings[Int(index)]
    }

    func valueType(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.ValueType {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var result = Profile.ValueType(type: "", unit: "")
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1: result.type = try string(r.readVarintField(field, wire), r.pos, "type")
            case 2: result.unit = try string(r.readVarintField(field, wire), r.pos, "unit")
            default: try r.skip(wire)
            }
        }
        return result
    }

    func sample(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.Sample {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var locationIDs: [UInt64] = []
        var values: [Int64] = []
        var labels: [Profile.Label] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1:
                if wire == .lengthDelimited, locationIDs.isEmpty {
                    // Packed (the usual case): size the array once.
                    do {
                        let payload = try r.readLengthDelimited()
                        locationIDs = try r.packedVarints(payload) { $0 }
                    } catch {
                        throw error.within("location_id")
                    }
                } else {
                    do { try r.readRepeatedVarint(field, wire) { locationIDs.append($0) } } catch {
                        throw error.within("location_id")
                    }
                }
            case 2:
                if wire == .lengthDelimited, values.isEmpty {
                    do {
                        let payload = try r.readLengthDelimited()
                        values = try r.packedVarints(payload) { Int64(bitPattern: $0) }
                    } catch {
                        throw error.within("value")
                    }
                } else {
                    do { try r.readRepeatedVarint(field, wire) { values.append(Int64(bitPattern: $0)) } } catch {
                        throw error.within("value")
                    }
                }
            case 3:
                let payload = try r.readBytesField(field, wire)
                do {
                    if let l = try label(payload) { labels.append(l) }
                } catch { throw error.within("label[\(labels.count)]") }
            default:
                try r.skip(wire)
            }
        }
        return Profile.Sample(locationIDs: locationIDs, values: values, labels: labels)
    }

    /// A label; nil for a label with neither a string nor a number, which pprof drops as well.
    func label(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.Label? {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var key: UInt64 = 0, str: UInt64 = 0, num: UInt64 = 0, unit: UInt64 = 0
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1: key = try r.readVarintField(field, wire)
            case 2: str = try r.readVarintField(field, wire)
            case 3: num = try r.readVarintField(field, wire)
            case 4: unit = try r.readVarintField(field, wire)
            default: try r.skip(wire)
            }
        }
        let keyString = try string(key, range.lowerBound, "key")
        if str != 0 {
            return Profile.Label(key: keyString, value: .string(try string(str, range.lowerBound, "str")))
        }
        if num != 0 || unit != 0 {
            return Profile.Label(
                key: keyString,
                value: .number(Int64(bitPattern: num), unit: try string(unit, range.lowerBound, "num_unit")))
        }
        return nil
    }

    func mapping(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.Mapping {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var m = Profile.Mapping(id: 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1: m.id = try r.readVarintField(field, wire)
            case 2: m.memoryStart = try r.readVarintField(field, wire)
            case 3: m.memoryLimit = try r.readVarintField(field, wire)
            case 4: m.fileOffset = try r.readVarintField(field, wire)
            case 5: m.filename = try string(r.readVarintField(field, wire), r.pos, "filename")
            case 6: m.buildID = try string(r.readVarintField(field, wire), r.pos, "build_id")
            case 7: m.hasFunctions = try r.readVarintField(field, wire) != 0
            case 8: m.hasFilenames = try r.readVarintField(field, wire) != 0
            case 9: m.hasLineNumbers = try r.readVarintField(field, wire) != 0
            case 10: m.hasInlineFrames = try r.readVarintField(field, wire) != 0
            default: try r.skip(wire)
            }
        }
        return m
    }

    func location(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.Location {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var l = Profile.Location(id: 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1: l.id = try r.readVarintField(field, wire)
            case 2: l.mappingID = try r.readVarintField(field, wire)
            case 3: l.address = try r.readVarintField(field, wire)
            case 4:
                let payload = try r.readBytesField(field, wire)
                do { l.lines.append(try line(payload)) } catch { throw error.within("line[\(l.lines.count)]") }
            case 5: l.isFolded = try r.readVarintField(field, wire) != 0
            default: try r.skip(wire)
            }
        }
        return l
    }

    func line(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.Line {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var line = Profile.Line(functionID: 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1: line.functionID = try r.readVarintField(field, wire)
            case 2: line.line = Int64(bitPattern: try r.readVarintField(field, wire))
            case 3: line.column = Int64(bitPattern: try r.readVarintField(field, wire))
            default: try r.skip(wire)
            }
        }
        return line
    }

    func function(_ range: Range<Int>) throws(ProfileDecodingError) -> Profile.Function {
        var r = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
        var f = Profile.Function(id: 0, name: "")
        while !r.isAtEnd {
            let (field, wire) = try r.readKey()
            switch field {
            case 1: f.id = try r.readVarintField(field, wire)
            case 2: f.name = try string(r.readVarintField(field, wire), r.pos, "name")
            case 3: f.systemName = try string(r.readVarintField(field, wire), r.pos, "system_name")
            case 4: f.filename = try string(r.readVarintField(field, wire), r.pos, "filename")
            case 5: f.startLine = Int64(bitPattern: try r.readVarintField(field, wire))
            default: try r.skip(wire)
            }
        }
        return f
    }

    /// The cross-reference checks of pprof's `CheckValid`.
    func validate(_ profile: Profile) throws(ProfileDecodingError) {
        let mappings = try Self.uniqueIDs(profile.mappings.map(\.id), "mapping")
        let functions = try Self.uniqueIDs(profile.functions.map(\.id), "function")
        let locations = try Self.uniqueIDs(profile.locations.map(\.id), "location")
        for (i, location) in profile.locations.enumerated() {
            if location.mappingID != 0, mappings[id: location.mappingID] == nil {
                throw ProfileDecodingError(.unknownMappingID(location.mappingID), context: "location[\(i)].mapping_id")
            }
            for (j, line) in location.lines.enumerated() where functions[id: line.functionID] == nil {
                throw ProfileDecodingError(
                    .unknownFunctionID(line.functionID), context: "location[\(i)].line[\(j)].function_id")
            }
        }
        let typeCount = profile.sampleTypes.count
        for (i, sample) in profile.samples.enumerated() {
            if sample.values.count != typeCount {
                throw ProfileDecodingError(
                    .valueCountMismatch(values: sample.values.count, sampleTypes: typeCount), context: "sample[\(i)].value")
            }
            for id in sample.locationIDs where locations[id: id] == nil {
                throw ProfileDecodingError(.unknownLocationID(id), context: "sample[\(i)].location_id")
            }
        }
    }

    static func uniqueIDs(_ ids: [UInt64], _ what: String) throws(ProfileDecodingError) -> ProfileIDLookup {
        let lookup = ProfileIDLookup(ids: ids)
        for (i, id) in ids.enumerated() {
            if id == 0 { throw ProfileDecodingError(.zeroID, context: "\(what)[\(i)].id") }
            if lookup[id: id] != i { throw ProfileDecodingError(.duplicateID(id), context: "\(what)[\(i)].id") }
        }
        return lookup
    }
}
