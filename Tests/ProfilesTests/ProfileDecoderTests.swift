import GBSnapTestSupport
import ArchiveIO
import Foundation
import Testing
@testable import Profiles

/// Fixture access and the `go tool pprof` oracle for the profile.proto tests.
enum ProfileTestSupport {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/samples")

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: samples.appendingPathComponent(relative)))
    }

    /// Every binary profile among the samples, relative to the samples directory.
    static let profileFiles = [
        "go1.19/allocs-a.pb.gz", "go1.19/cpu-3s.pb.gz", "go1.19/goroutine-a.pb.gz", "go1.19/goroutine-b.pb.gz",
        "go1.19/goroutine-delta-4s.pb.gz", "go1.19/heap-a.pb.gz", "go1.19/heap-b.pb.gz",
        "go1.19/pprof-cli/heap.diff_base.merged.pb.gz",
        "go1.27/allocs-gc-run.pb.gz", "go1.27/cpu.pb.gz", "go1.27/goroutine-a.pb.gz", "go1.27/goroutine-b.pb.gz",
        "go1.27/goroutineleak-a.pb.gz", "go1.27/goroutineleak-b.pb.gz", "go1.27/heap-a.pb.gz", "go1.27/heap-b.pb.gz",
        "go1.27/heap-gc-a.pb.gz", "go1.27/heap-gc-b.pb.gz",
    ]

    /// The sample rows of `go tool pprof -raw`: values and location ids, in order.
    static func rawSamples(_ raw: String) -> [(values: [Int64], locations: [UInt64])] {
        var rows: [(values: [Int64], locations: [UInt64])] = []
        var inSamples = false
        for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Samples:") { inSamples = true; continue }
            if line.hasPrefix("Locations") { break }
            guard inSamples, let colon = line.firstIndex(of: ":") else { continue }
            let valuePart = line[..<colon].split(separator: " ")
            let values = valuePart.compactMap { Int64($0) }
            guard !values.isEmpty, values.count == valuePart.count else { continue }
            let ids = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            rows.append((values, ids))
        }
        return rows
    }

    static func shownByPprof(_ samples: [Profile.Sample]) -> [Profile.Sample] {
        samples.filter { !$0.locationIDs.isEmpty && $0.values.contains { $0 != 0 } }
    }

    static func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gbsnap-profile-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try Data(bytes).write(to: url)
        return url
    }
}

@Suite struct ProfileDecoderTests {
    let decoder = ProfileDecoder()

    @Test func decodesAGo127HeapProfileWithEveryHeaderField() throws {
        let profile = try decoder.decode(ProfileTestSupport.bytes("go1.27/heap-gc-b.pb.gz"))
        #expect(profile.sampleTypes.map(\.description) == [
            "alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes",
        ])
        #expect(profile.periodType == Profile.ValueType(type: "space", unit: "bytes"))
        #expect(profile.period == 524288)
        #expect(profile.mappings.count == 5)
        #expect(profile.locations.count == 22)
        #expect(profile.functions.count == 22)
        #expect(profile.timeNanos > 1_700_000_000_000_000_000)
        #expect(profile.defaultSampleType == "")
        #expect(profile.mappings[0].buildID == "b79cfe3ecb88fddb59005194c97d3ce8ba5a42ad")
        #expect(profile.mappings[0].hasFunctions)
        #expect(profile.functions.contains { $0.name == "main.retainBuffers" && $0.filename == "/tmp/gbsnapdemo127/main.go" && $0.startLine > 0 })
        // Every heap sample carries the numeric `bytes` label.
        #expect(profile.samples.allSatisfy { s in s.labels.contains { $0.key == "bytes" } })
        #expect(try profile.sampleTypeIndex(nil) == 3)
    }

    @Test func decodesNegativeValuesAndStringLabelsOfADeltaProfile() throws {
        let profile = try decoder.decode(ProfileTestSupport.bytes("go1.19/goroutine-delta-4s.pb.gz"))
        #expect(profile.durationNanos > 3_900_000_000)
        #expect(profile.samples.map { $0.values } == [[10], [-1], [-1], [1], [1]])
        #expect(profile.samples.filter { $0.locationIDs.isEmpty }.map(\.values) == [[-1]])
        #expect(profile.samples[0].labels == [.string("worker", "leaky")])
    }

    @Test func decodesSamplesWithoutStacksAndInlinedLines() throws {
        let goroutines = try decoder.decode(ProfileTestSupport.bytes("go1.27/goroutine-b.pb.gz"))
        #expect(goroutines.samples.contains { $0.locationIDs.isEmpty })
        let cpu = try decoder.decode(ProfileTestSupport.bytes("go1.27/cpu.pb.gz"))
        #expect(cpu.sampleTypes.map(\.description) == ["samples/count", "cpu/nanoseconds"])
        #expect(cpu.periodType == Profile.ValueType(type: "cpu", unit: "nanoseconds"))
        #expect(cpu.period == 10_000_000)
    }

    @Test(arguments: ProfileTestSupport.profileFiles)
    func agreesWithGoToolPprofRaw(file: String) async throws {
        let profile = try decoder.decode(ProfileTestSupport.bytes(file))
        let raw = try await GoPprof.output(["-raw", ProfileTestSupport.samples.appendingPathComponent(file).path])
        let rows = ProfileTestSupport.rawSamples(raw)
        // pprof drops samples whose values are all zero and samples without a stack.
        let shown = ProfileTestSupport.shownByPprof(profile.samples)
        #expect(rows.count == shown.count)
        #expect(rows.map(\.values) == shown.map(\.values))
        #expect(rows.map(\.locations.count) == shown.map(\.locationIDs.count))
    }

    @Test(arguments: ProfileTestSupport.profileFiles)
    func roundTripsThroughTheEncoder(file: String) throws {
        let profile = try decoder.decode(ProfileTestSupport.bytes(file))
        let encoded = try ProfileEncoder.encode(profile)
        #expect(Gzip.hasGzipMagic(encoded))
        #expect(try decoder.decode(encoded) == profile)
        #expect(try decoder.decode(ProfileEncoder.encode(profile, compressed: false)) == profile)
    }

    @Test func goToolPprofReadsWhatTheEncoderWrites() async throws {
        let profile = Self.handMade()
        let url = try ProfileTestSupport.temporaryFile("encoded.pb.gz", try ProfileEncoder.encode(profile))
        defer { try? FileManager.default.removeItem(at: url) }
        let raw = try await GoPprof.output(["-raw", url.path])
        let rows = ProfileTestSupport.rawSamples(raw)
        #expect(rows.map(\.values) == ProfileTestSupport.shownByPprof(profile.samples).map(\.values))
        #expect(rows.count == 2)
        #expect(raw.contains("PeriodType: space bytes"))
        #expect(raw.contains("worker:[leaky]"))
        #expect(raw.contains("bytes:[4096]"))
        #expect(raw.contains("main.inner"))
        #expect(raw.contains("main.outer"))
    }

    /// A small profile with an inlined frame, labels, a stack-less sample and a negative value.
    static func handMade() -> Profile {
        Profile(
            sampleTypes: [.init(type: "alloc_space", unit: "bytes"), .init(type: "inuse_space", unit: "bytes")],
            samples: [
                .init(locationIDs: [1, 2], values: [4096, 1024], labels: [.number("bytes", 4096), .string("worker", "leaky")]),
                .init(locationIDs: [2], values: [100, -7]),
                .init(locationIDs: [], values: [5, 5]),
            ],
            mappings: [.init(id: 1, memoryStart: 0x400000, memoryLimit: 0x800000, filename: "/bin/demo", buildID: "abc", hasFunctions: true)],
            locations: [
                .init(id: 1, mappingID: 1, address: 0x401000, lines: [.init(functionID: 1, line: 10), .init(functionID: 2, line: 20)]),
                .init(id: 2, mappingID: 1, address: 0x402000, lines: [.init(functionID: 3, line: 30, column: 4)]),
            ],
            functions: [
                .init(id: 1, name: "main.inner", filename: "/src/main.go", startLine: 9),
                .init(id: 2, name: "main.outer", filename: "/src/main.go", startLine: 19),
                .init(id: 3, name: "main.main", systemName: "main.main", filename: "/src/main.go"),
            ],
            timeNanos: 1_764_000_000_000_000_000, durationNanos: 5, periodType: .init(type: "space", unit: "bytes"),
            period: 524288, comments: ["made by hand"], defaultSampleType: "inuse_space", docURL: "https://example.com/doc")
    }

    @Test func everyFieldOfAHandMadeProfileRoundTrips() throws {
        let profile = Self.handMade()
        #expect(try decoder.decode(ProfileEncoder.encode(profile)) == profile)
        #expect(try profile.sampleTypeIndex(nil) == 1)
    }
}

@Suite struct ProfileWireFormatTests {
    let decoder = ProfileDecoder()

    // Minimal hand-written messages: sample_type {type: 1, unit: 2}, string table ["", "t", "u"].
    static let stringTable: [UInt8] = [0x32, 0x00, 0x32, 0x01, 0x74, 0x32, 0x01, 0x75]
    static let sampleType: [UInt8] = [0x0A, 0x04, 0x08, 0x01, 0x10, 0x02]
    static let function: [UInt8] = [0x2A, 0x04, 0x08, 0x01, 0x10, 0x01]            // id 1, name "t"
    static let location: [UInt8] = [0x22, 0x06, 0x08, 0x01, 0x22, 0x02, 0x08, 0x01] // id 1, line {function 1}

    func decode(_ parts: [UInt8]...) throws(ProfileDecodingError) -> Profile {
        try ProfileDecoder.decodeMessage(parts.flatMap { $0 })
    }

    @Test func stringTableMayComeLastOrFirst() throws {
        let last = try decode(Self.sampleType, Self.stringTable)
        let first = try decode(Self.stringTable, Self.sampleType)
        #expect(last.sampleTypes == [Profile.ValueType(type: "t", unit: "u")])
        #expect(first == last)
    }

    @Test func packedAndUnpackedRepeatedFieldsDecodeAlike() throws {
        let packed: [UInt8] = [0x12, 0x07, 0x0A, 0x03, 0x01, 0x01, 0x01, 0x10, 0x07]
        let unpacked: [UInt8] = [0x12, 0x08, 0x08, 0x01, 0x08, 0x01, 0x08, 0x01, 0x10, 0x07]
        let mixed: [UInt8] = [0x12, 0x09, 0x0A, 0x02, 0x01, 0x01, 0x08, 0x01, 0x12, 0x01, 0x07]
        let a = try decode(Self.sampleType, packed, Self.function, Self.location, Self.stringTable)
        let b = try decode(Self.sampleType, unpacked, Self.function, Self.location, Self.stringTable)
        let c = try decode(Self.sampleType, mixed, Self.function, Self.location, Self.stringTable)
        #expect(a.samples == [Profile.Sample(locationIDs: [1, 1, 1], values: [7])])
        #expect(b == a)
        #expect(c == a)
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        let unknown: [UInt8] = [
            0xA0, 0x06, 0x05,                                     // field 100 varint
            0xA1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,                   // field 100 fixed64
            0xA2, 0x06, 0x02, 0xFF, 0xFF,                         // field 100 bytes
            0xA5, 0x06, 1, 2, 3, 4,                               // field 100 fixed32
        ]
        let plain = try decode(Self.sampleType, Self.stringTable)
        #expect(try decode(unknown, Self.sampleType, unknown, Self.stringTable) == plain)
    }

    @Test func labelsWithNeitherStringNorNumberAreDroppedLikePprof() throws {
        // sample { value: 1, label {key: 1} , label {key: 1, num: 3} }
        let sample: [UInt8] = [0x12, 0x0C, 0x10, 0x01, 0x1A, 0x02, 0x08, 0x01, 0x1A, 0x04, 0x08, 0x01, 0x18, 0x03]
        let profile = try decode(Self.sampleType, sample, Self.stringTable)
        #expect(profile.samples[0].labels == [.number("t", 3)])
    }

    @Test func emptyMessageIsAnEmptyProfile() throws {
        #expect(try ProfileDecoder.decodeMessage([]) == Profile())
        #expect(throws: ProfileDecodingError(.emptyInput, context: "Profile")) { try decoder.decode([]) }
    }

    /// (bytes, expected reason, expected context)
    static let malformed: [([UInt8], ProfileDecodingError.Reason, String)] = [
        ([0x08, 0x80], .truncatedVarint, "Profile"),
        ([0x48] + [UInt8](repeating: 0xFF, count: 10) + [0x01], .overlongVarint, "Profile"),
        ([0x48] + [UInt8](repeating: 0xFF, count: 9) + [0x02], .overlongVarint, "Profile"),
        ([0x12, 0x05, 0x00], .lengthPastEnd(length: 5, remaining: 1), "Profile"),
        ([0x12, 0x03, 0x10, 0x05, 0x80], .truncatedVarint, "Profile.sample[0]"),
        ([0x12, 0x02, 0x12, 0x05], .lengthPastEnd(length: 5, remaining: 0), "Profile.sample[0].value"),
        ([0x12, 0x02, 0x0A, 0x05], .lengthPastEnd(length: 5, remaining: 0), "Profile.sample[0].location_id"),
        ([0x12, 0x04, 0x0A, 0x02, 0x81, 0x80], .truncatedVarint, "Profile.sample[0].location_id"),
        ([0x12, 0x03, 0x10, 0x80, 0x80], .truncatedVarint, "Profile.sample[0].value"),
        ([0x12, 0x02, 0x1A, 0x05], .lengthPastEnd(length: 5, remaining: 0), "Profile.sample[0]"),
        ([0x00, 0x01], .invalidFieldNumber(0), "Profile"),
        ([0x0B], .unsupportedWireType(3), "Profile"),
        ([0x0E], .unsupportedWireType(6), "Profile"),
        ([0x79, 0x01, 0x02], .truncatedFixed(width: 8), "Profile"),
        ([0x7D, 0x01], .truncatedFixed(width: 4), "Profile"),
        ([0x4A, 0x00], .wireTypeMismatch(field: 9, wireType: 2), "Profile"),
        ([0x0A, 0x02, 0x08, 0x00, 0x0A, 0x01, 0x08], .truncatedVarint, "Profile.sample_type[1]"),
        ([0x38, 0x05], .stringIndexOutOfRange(index: 5, tableSize: 1), "Profile.drop_frames"),
        ([0x0A, 0x02, 0x08, 0x09], .stringIndexOutOfRange(index: 9, tableSize: 1), "Profile.sample_type[0].type"),
        ([0x68, 0x04], .stringIndexOutOfRange(index: 4, tableSize: 1), "Profile.comment[0]"),
        ([0x32, 0x01, 0x61], .firstStringNotEmpty, "Profile.string_table[0]"),
        ([0x2A, 0x00], .zeroID, "Profile.function[0].id"),
        ([0x1A, 0x00], .zeroID, "Profile.mapping[0].id"),
        ([0x22, 0x00], .zeroID, "Profile.location[0].id"),
        ([0x2A, 0x02, 0x08, 0x01, 0x2A, 0x02, 0x08, 0x01], .duplicateID(1), "Profile.function[1].id"),
        ([0x12, 0x02, 0x08, 0x03], .unknownLocationID(3), "Profile.sample[0].location_id"),
        ([0x22, 0x06, 0x08, 0x01, 0x22, 0x02, 0x08, 0x02], .unknownFunctionID(2), "Profile.location[0].line[0].function_id"),
        ([0x22, 0x04, 0x08, 0x01, 0x10, 0x04], .unknownMappingID(4), "Profile.location[0].mapping_id"),
        ([0x12, 0x02, 0x10, 0x01], .valueCountMismatch(values: 1, sampleTypes: 0), "Profile.sample[0].value"),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedInputIsATypedErrorNamingTheField(index: Int) throws {
        let (bytes, reason, context) = Self.malformed[index]
        let error = try #require(throws: ProfileDecodingError.self) { try ProfileDecoder.decodeMessage(bytes) }
        #expect(error.reason == reason)
        #expect(error.context == context)
        #expect(error.description.hasPrefix("malformed profile.proto: "))
        #expect(error.description.contains(context))
    }

    @Test func errorDescriptionsAreOneSentenceWithOffset() {
        let error = ProfileDecodingError(.lengthPastEnd(length: 5, remaining: 1), context: "Profile.sample[3]", offset: 12)
        #expect(error.description
            == "malformed profile.proto: a length of 5 bytes runs past the end of the message (1 bytes left) in Profile.sample[3] at byte offset 12")
    }

    @Test func corruptAndTruncatedGzipAreReported() throws {
        let good = try ProfileTestSupport.bytes("go1.27/heap-gc-b.pb.gz")
        let truncated = try #require(throws: ProfileDecodingError.self) { try decoder.decode(Array(good.prefix(good.count / 2))) }
        guard case .corruptGzip = truncated.reason else { Issue.record("expected corruptGzip, got \(truncated)"); return }
        let garbage: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0, 0, 0, 0, 0]
        let corrupt = try #require(throws: ProfileDecodingError.self) { try decoder.decode(garbage) }
        guard case .corruptGzip = corrupt.reason else { Issue.record("expected corruptGzip, got \(corrupt)"); return }
        #expect(corrupt.context == "gzip envelope")
    }

    @Test func aDecompressionBombIsRefusedAtTheLimit() throws {
        let bomb = try Gzip.deflate([UInt8](repeating: 0, count: 8 << 20), level: 9)
        #expect(bomb.count < 64 << 10)
        let small = ProfileDecoder(maxInflatedBytes: 1 << 20)
        let error = try #require(throws: ProfileDecodingError.self) { try small.decode(bomb) }
        #expect(error.reason == .inflatedSizeExceedsLimit(limit: 1 << 20))
        #expect(error.description.contains("inflates to more than 1048576 bytes"))
    }

    @Test func gzipOfAnEmptyMessageIsEmptyInput() throws {
        let empty = try Gzip.deflate([])
        #expect(throws: ProfileDecodingError(.emptyInput, context: "Profile")) { try decoder.decode(empty) }
    }

    @Test func everyTruncationAndByteFlipOfARealProfileFailsCleanly() throws {
        let message = try Gzip.inflate(ProfileTestSupport.bytes("go1.27/heap-gc-b.pb.gz"))
        var decodedPrefixes = 0
        for length in 0..<message.count {
            if (try? ProfileDecoder.decodeMessage(Array(message.prefix(length)))) != nil { decodedPrefixes += 1 }
        }
        // Prefixes ending on a top-level field boundary before the string table may still
        // decode; most must fail, none may trap.
        #expect(decodedPrefixes < message.count / 4)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var failures = 0
        for _ in 0..<3000 {
            var mutated = message
            for _ in 0..<3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                mutated[Int(state >> 33) % mutated.count] = UInt8(truncatingIfNeeded: state >> 17)
            }
            do { _ = try ProfileDecoder.decodeMessage(mutated) } catch { failures += 1 }
        }
        #expect(failures > 0)
    }
}
