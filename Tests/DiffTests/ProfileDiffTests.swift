import GBSnapTestSupport
import Foundation
import Profiles
import Testing
@testable import Diff

/// Fixtures, synthetic profiles and the `go tool pprof -top` oracle for the profile diff tests.
enum ProfileDiffSupport {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/samples")

    static func path(_ relative: String) -> String { samples.appendingPathComponent(relative).path }

    static func profile(_ relative: String) throws -> Profile {
        try ProfileDecoder().decode([UInt8](try Data(contentsOf: samples.appendingPathComponent(relative))))
    }

    /// pprof's `-top` in raw units for every node (no node dropped), parsed.
    static func pprofTop(
        base: String?, current: String, sampleIndex: SampleIndexSelector?, unit: String,
        granularity: ProfileDiffGranularity, baseFlag: String = "-diff_base"
    ) async throws -> GoPprof.Top {
        var args: [String] = []
        switch unit {
        case "bytes": args.append("-unit=B")
        case "nanoseconds": args.append("-unit=ns")
        default: break
        }
        if granularity == .lines { args.append("-lines") }
        if let sampleIndex { args.append("-sample_index=\(sampleIndex)") }
        if let base { args.append("\(baseFlag)=\(base)") }
        args.append(current)
        return try await GoPprof.top(args)
    }

    static func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gbsnap-diff-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Checks every row pprof prints against `diff`, and that `diff` has no other nonzero row.
    static func expectAgreement(_ diff: ProfileDiff, _ top: GoPprof.Top, _ label: String) {
        #expect(top.type == diff.sampleType.type, "\(label): sample type")
        var mine: [String: (flat: Int64, cum: Int64)] = [:]
        for entry in diff.entries where entry.flatDelta != 0 || entry.cumDelta != 0 {
            mine[entry.name] = (entry.flatDelta, entry.cumDelta)
        }
        #expect(!top.rows.isEmpty || mine.isEmpty, "\(label): pprof printed no rows")
        for (name, theirs) in top.rows {
            let ours = mine[name] ?? (0, 0)
            #expect(ours.flat == theirs.flat && ours.cum == theirs.cum,
                    "\(label): \(name) flat/cum ours \(ours) pprof \(theirs)")
        }
        for name in mine.keys where top.rows[name] == nil {
            Issue.record("\(label): \(name) has \(mine[name]!) but pprof does not list it")
        }
    }

    /// A deterministic random heap-like profile: recursion, inlining, unsymbolized frames,
    /// labels, zero and stack-less samples.
    static func synthetic(seed: UInt64, samples: Int, functions: Int = 60) -> Profile {
        var state = seed | 1
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var profile = Profile(
            sampleTypes: [.init(type: "alloc_objects", unit: "count"), .init(type: "alloc_space", unit: "bytes"),
                          .init(type: "inuse_objects", unit: "count"), .init(type: "inuse_space", unit: "bytes")],
            mappings: [.init(id: 1, memoryStart: 0x400000, memoryLimit: 0x900000, filename: "/usr/local/bin/synthetic", hasFunctions: true)],
            timeNanos: 1_764_000_000_000_000_000, periodType: .init(type: "space", unit: "bytes"), period: 524288)
        for f in 1...functions {
            // Ids deliberately differ between seeds (content, not ids, must match across profiles).
            profile.functions.append(.init(
                id: UInt64(f) * 3 + (seed % 3), name: "pkg\(f % 7).fn\(f)", filename: "/src/pkg\(f % 7)/f.go", startLine: Int64(f)))
        }
        let locationCount = functions * 3
        for l in 1...locationCount {
            var location = Profile.Location(id: UInt64(l) + seed % 5, mappingID: 1, address: UInt64(0x400000 + l * 16))
            switch l % 11 {
            case 0: break  // unsymbolized
            case 1, 2:
                location.lines = [
                    .init(functionID: profile.functions[next(functions)].id, line: Int64(next(50) + 1)),
                    .init(functionID: profile.functions[next(functions)].id, line: Int64(next(50) + 1)),
                ]
            default:
                location.lines = [.init(functionID: profile.functions[(l - 1) % functions].id, line: Int64(l % 40 + 1))]
            }
            profile.locations.append(location)
        }
        for _ in 0..<samples {
            var ids: [UInt64] = []
            if next(40) != 0 {
                for _ in 0..<(1 + next(12)) {
                    ids.append(profile.locations[next(locationCount)].id)
                }
                if next(5) == 0, let first = ids.first { ids.append(first) }  // recursion
            }
            let objects = Int64(next(4) == 0 ? 0 : next(100))
            let inuse = Int64(next(objects == 0 ? 1 : Int(objects) + 1))
            let size = Int64(8 << next(10))
            var labels: [Profile.Label] = [.number("bytes", size)]
            if next(4) == 0 { labels.append(.string("worker", "w\(next(3))")) }
            profile.samples.append(.init(locationIDs: ids, values: [objects, objects * size, inuse, inuse * size], labels: labels))
        }
        return profile
    }
}

@Suite struct ProfileDiffOracleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var base: String
        var current: String
        var sampleIndex: SampleIndexSelector?
        var granularity: ProfileDiffGranularity = .functions
        var testDescription: String {
            "\(base) → \(current) [\(sampleIndex?.description ?? "default"), \(granularity.rawValue)]"
        }
    }

    static let cases: [Case] = [
        Case(base: "go1.27/heap-gc-a.pb.gz", current: "go1.27/heap-gc-b.pb.gz", sampleIndex: nil),
        Case(base: "go1.27/heap-gc-a.pb.gz", current: "go1.27/heap-gc-b.pb.gz", sampleIndex: .index(0)),
        Case(base: "go1.27/heap-gc-a.pb.gz", current: "go1.27/heap-gc-b.pb.gz", sampleIndex: .name("alloc_space")),
        Case(base: "go1.27/heap-gc-a.pb.gz", current: "go1.27/heap-gc-b.pb.gz", sampleIndex: .name("inuse_objects")),
        Case(base: "go1.27/heap-gc-a.pb.gz", current: "go1.27/heap-gc-b.pb.gz", sampleIndex: nil, granularity: .lines),
        Case(base: "go1.27/heap-a.pb.gz", current: "go1.27/heap-b.pb.gz", sampleIndex: nil),
        Case(base: "go1.27/heap-a.pb.gz", current: "go1.27/heap-b.pb.gz", sampleIndex: .name("alloc_space"), granularity: .lines),
        Case(base: "go1.19/heap-a.pb.gz", current: "go1.19/heap-b.pb.gz", sampleIndex: .name("inuse_space")),
        Case(base: "go1.19/heap-a.pb.gz", current: "go1.19/heap-b.pb.gz", sampleIndex: .index(1)),
        Case(base: "go1.19/allocs-a.pb.gz", current: "go1.19/heap-b.pb.gz", sampleIndex: nil),
        Case(base: "go1.27/heap-gc-b.pb.gz", current: "go1.27/allocs-gc-run.pb.gz", sampleIndex: nil),
        Case(base: "go1.19/heap-a.pb.gz", current: "go1.27/heap-gc-b.pb.gz", sampleIndex: .name("alloc_objects")),
        Case(base: "go1.19/goroutine-a.pb.gz", current: "go1.19/goroutine-b.pb.gz", sampleIndex: nil),
        Case(base: "go1.19/goroutine-a.pb.gz", current: "go1.19/goroutine-delta-4s.pb.gz", sampleIndex: nil),
        Case(base: "go1.27/goroutine-a.pb.gz", current: "go1.27/goroutine-b.pb.gz", sampleIndex: nil),
        Case(base: "go1.27/goroutine-a.pb.gz", current: "go1.27/goroutine-b.pb.gz", sampleIndex: nil, granularity: .lines),
        Case(base: "go1.27/goroutineleak-a.pb.gz", current: "go1.27/goroutineleak-b.pb.gz", sampleIndex: nil),
        Case(base: "go1.19/cpu-3s.pb.gz", current: "go1.27/cpu.pb.gz", sampleIndex: .name("cpu")),
    ]

    @Test(arguments: cases)
    func perFunctionNumbersEqualGoToolPprof(_ c: Case) async throws {
        let base = try ProfileDiffSupport.profile(c.base)
        let current = try ProfileDiffSupport.profile(c.current)
        let diff = try ProfileDiff.compute(base: base, current: current, sampleIndex: c.sampleIndex, granularity: c.granularity)
        let top = try await ProfileDiffSupport.pprofTop(
            base: ProfileDiffSupport.path(c.base), current: ProfileDiffSupport.path(c.current),
            sampleIndex: c.sampleIndex, unit: diff.sampleType.unit, granularity: c.granularity)
        ProfileDiffSupport.expectAgreement(diff, top, c.testDescription)
        // With -diff_base pprof's total is the base profile's total.
        #expect(top.total == diff.totalA)
    }

    @Test(arguments: [(UInt64(11), UInt64(12), ProfileDiffGranularity.functions), (21, 22, .lines), (31, 32, .functions)])
    func syntheticProfilesAgreeWithGoToolPprof(seedA: UInt64, seedB: UInt64, granularity: ProfileDiffGranularity) async throws {
        let a = ProfileDiffSupport.synthetic(seed: seedA, samples: 3000)
        let b = ProfileDiffSupport.synthetic(seed: seedB, samples: 4000)
        let pathA = try ProfileDiffSupport.temporaryFile("syn-\(seedA).pb.gz", ProfileEncoder.encode(a))
        let pathB = try ProfileDiffSupport.temporaryFile("syn-\(seedB).pb.gz", ProfileEncoder.encode(b))
        defer {
            try? FileManager.default.removeItem(atPath: pathA)
            try? FileManager.default.removeItem(atPath: pathB)
        }
        for index in [nil, SampleIndexSelector.index(0), .name("alloc_space")] {
            let diff = try ProfileDiff.compute(base: a, current: b, sampleIndex: index, granularity: granularity)
            #expect(diff.entries.contains { $0.name == "[synthetic]" } || granularity == .lines)
            let top = try await ProfileDiffSupport.pprofTop(
                base: pathA, current: pathB, sampleIndex: index, unit: diff.sampleType.unit, granularity: granularity)
            ProfileDiffSupport.expectAgreement(diff, top, "synthetic \(seedA)→\(seedB) \(index?.description ?? "default")")
        }
    }

    /// `-base` merges identical stacks into one `b - a` sample; per-row numbers are the same as
    /// with `-diff_base` (only pprof's percentage base differs).
    @Test func perFunctionNumbersAlsoEqualGoToolPprofWithBase() async throws {
        let a = ProfileDiffSupport.synthetic(seed: 51, samples: 2000)
        let b = ProfileDiffSupport.synthetic(seed: 52, samples: 2500)
        let pathA = try ProfileDiffSupport.temporaryFile("base-51.pb.gz", ProfileEncoder.encode(a))
        let pathB = try ProfileDiffSupport.temporaryFile("base-52.pb.gz", ProfileEncoder.encode(b))
        defer {
            try? FileManager.default.removeItem(atPath: pathA)
            try? FileManager.default.removeItem(atPath: pathB)
        }
        let pairs = [
            (a, b, pathA, pathB),
            (try ProfileDiffSupport.profile("go1.27/heap-gc-a.pb.gz"), try ProfileDiffSupport.profile("go1.27/heap-gc-b.pb.gz"),
             ProfileDiffSupport.path("go1.27/heap-gc-a.pb.gz"), ProfileDiffSupport.path("go1.27/heap-gc-b.pb.gz")),
        ]
        for (base, current, basePath, currentPath) in pairs {
            let diff = try ProfileDiff.compute(base: base, current: current)
            let top = try await ProfileDiffSupport.pprofTop(
                base: basePath, current: currentPath, sampleIndex: nil, unit: diff.sampleType.unit,
                granularity: .functions, baseFlag: "-base")
            ProfileDiffSupport.expectAgreement(diff, top, "-base \(currentPath)")
        }
    }

    @Test func theMergedDiffProfileShowsTheSameTableInGoToolPprof() async throws {
        let base = try ProfileDiffSupport.profile("go1.27/heap-gc-a.pb.gz")
        let current = try ProfileDiffSupport.profile("go1.27/heap-gc-b.pb.gz")
        let merged = try DiffProfileBuilder.build(base: base, current: current)
        #expect(merged.samples.contains { $0.labels.first == .string("pprof::base", "true") && $0.values.allSatisfy { $0 <= 0 } })
        let path = try ProfileDiffSupport.temporaryFile("merged.pb.gz", ProfileEncoder.encode(merged))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for index in [SampleIndexSelector.name("inuse_space"), .name("alloc_objects")] {
            let diff = try ProfileDiff.compute(base: base, current: current, sampleIndex: index)
            let top = try await ProfileDiffSupport.pprofTop(
                base: nil, current: path, sampleIndex: index, unit: diff.sampleType.unit, granularity: .functions)
            ProfileDiffSupport.expectAgreement(diff, top, "merged \(index)")
            #expect(top.total == diff.totalA)
        }
    }

    @Test func theMergedDiffProfileHasTheSamplesPprofProtoWrote() throws {
        let merged = try DiffProfileBuilder.build(
            base: ProfileDiffSupport.profile("go1.19/heap-a.pb.gz"), current: ProfileDiffSupport.profile("go1.19/heap-b.pb.gz"))
        let recorded = try ProfileDiffSupport.profile("go1.19/pprof-cli/heap.diff_base.merged.pb.gz")
        func summary(_ p: Profile) -> [String] {
            p.samples.map { s in
                "\(s.values) \(s.labels.map { "\($0.key)=\($0.value)" }.sorted()) \(s.locationIDs.count)"
            }.sorted()
        }
        #expect(summary(merged) == summary(recorded))
        #expect(merged.sampleTypes == recorded.sampleTypes)
        #expect(merged.periodType == recorded.periodType)
        #expect(merged.period == recorded.period)
        #expect(merged.timeNanos == recorded.timeNanos)
    }

    @Test func theMergedDiffProfileOfSyntheticProfilesShowsTheSameTable() async throws {
        let a = ProfileDiffSupport.synthetic(seed: 41, samples: 2000)
        let b = ProfileDiffSupport.synthetic(seed: 42, samples: 2000)
        let merged = try DiffProfileBuilder.build(base: a, current: b)
        let path = try ProfileDiffSupport.temporaryFile("merged-syn.pb.gz", ProfileEncoder.encode(merged))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let diff = try ProfileDiff.compute(base: a, current: b, granularity: .lines)
        let top = try await ProfileDiffSupport.pprofTop(base: nil, current: path, sampleIndex: nil, unit: "bytes", granularity: .lines)
        ProfileDiffSupport.expectAgreement(diff, top, "merged synthetic")
    }
}

@Suite struct ProfileDiffSemanticsTests {
    @Test func heapGrowthMatchesTheRecordedPprofTable() throws {
        let diff = try ProfileDiff.compute(
            base: ProfileDiffSupport.profile("go1.27/heap-gc-a.pb.gz"),
            current: ProfileDiffSupport.profile("go1.27/heap-gc-b.pb.gz"))
        #expect(diff.sampleType == Profile.ValueType(type: "inuse_space", unit: "bytes"))
        #expect(diff.sampleIndex == 3)
        #expect(diff.entries.prefix(2).map(\.name) == ["main.retainBuffers", "main.makeRecords"])
        #expect(diff.entries[0].flatDelta == 13_943_462)
        #expect(diff.entries[1].flatDelta == 2_097_408)
        #expect(ValueFormatter.format(diff.entries[0].flatDelta, unit: "bytes") == "13.30MB")
        #expect(diff.totalA == 524_528)
        #expect(diff.totalB &- diff.totalA == diff.totalDelta)
    }

    @Test func goroutineGrowthMatchesTheRecordedPprofTable() throws {
        let diff = try ProfileDiff.compute(
            base: ProfileDiffSupport.profile("go1.27/goroutine-a.pb.gz"),
            current: ProfileDiffSupport.profile("go1.27/goroutine-b.pb.gz"))
        let byName = Dictionary(diff.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(diff.entries.first?.name == "runtime.gopark")
        #expect(byName["runtime.gopark"]?.flatDelta == 32)
        #expect(byName["main.leakyWorker"]?.cumDelta == 25)
        #expect(byName["main.leakLocal.func1"]?.cumDelta == 7)
        #expect(diff.totalA == 11)
    }

    @Test func cumCountsARecursiveFunctionOncePerStack() throws {
        let profile = Profile(
            sampleTypes: [.init(type: "samples", unit: "count")],
            samples: [.init(locationIDs: [1, 2, 2, 2, 3], values: [5])],
            locations: [.init(id: 1, lines: [.init(functionID: 1)]), .init(id: 2, lines: [.init(functionID: 2)]),
                        .init(id: 3, lines: [.init(functionID: 2), .init(functionID: 3)])],
            functions: [.init(id: 1, name: "leaf"), .init(id: 2, name: "rec"), .init(id: 3, name: "main")])
        let diff = try ProfileDiff.compute(base: Profile(sampleTypes: profile.sampleTypes), current: profile)
        let rows = Dictionary(diff.entries.map { ($0.name, ($0.flatB, $0.cumB)) }, uniquingKeysWith: { a, _ in a })
        #expect(rows["leaf"]! == (5, 5))
        #expect(rows["rec"]! == (0, 5))
        #expect(rows["main"]! == (0, 5))
        #expect(diff.entries.map(\.name) == ["leaf", "main", "rec"])
    }

    @Test func defaultSampleTypeComesFromTheCurrentProfileThenTheBase() throws {
        var heap = try ProfileDiffSupport.profile("go1.19/heap-b.pb.gz")
        let allocs = try ProfileDiffSupport.profile("go1.19/allocs-a.pb.gz")
        #expect(allocs.defaultSampleType == "alloc_space")
        #expect(try ProfileDiff.compute(base: allocs, current: heap).sampleType.type == "alloc_space")
        #expect(try ProfileDiff.compute(base: heap, current: heap).sampleType.type == "inuse_space")
        heap.defaultSampleType = "inuse_objects"
        #expect(try ProfileDiff.compute(base: allocs, current: heap).sampleType.type == "inuse_objects")
        // Legacy selectors: `inuse_space` also selects a type named `space`.
        let legacy = Profile(sampleTypes: [.init(type: "objects", unit: "count"), .init(type: "space", unit: "bytes")])
        #expect(try ProfileDiff.compute(base: legacy, current: legacy, sampleIndex: .name("inuse_space")).sampleIndex == 1)
    }

    @Test func sampleIndexOutOfRangeIsPprofsMessage() throws {
        let heap = try ProfileDiffSupport.profile("go1.27/heap-gc-b.pb.gz")
        let error = try #require(throws: ProfileDiffError.self) {
            try ProfileDiff.compute(base: heap, current: heap, sampleIndex: .index(9))
        }
        let recorded = try String(contentsOfFile: ProfileDiffSupport.path("go1.27/pprof-cli/err.sample_index_out_of_range.txt"), encoding: .utf8)
        #expect(error.description == recorded.trimmingCharacters(in: .whitespacesAndNewlines))
        let unknown = try #require(throws: ProfileDiffError.self) {
            try ProfileDiff.compute(base: heap, current: heap, sampleIndex: .name("bogus"))
        }
        #expect(unknown.description == "sample_index \"bogus\" must be one of: [alloc_objects alloc_space inuse_objects inuse_space]")
        #expect(throws: ProfileDiffError.sampleIndex(.outOfRange(selector: "-1", count: 4))) {
            try ProfileDiff.compute(base: heap, current: heap, sampleIndex: .index(-1))
        }
    }

    @Test func heapAgainstGoroutineHasNoCommonSampleType() throws {
        let heap = try ProfileDiffSupport.profile("go1.27/heap-gc-a.pb.gz")
        let goroutine = try ProfileDiffSupport.profile("go1.27/goroutine-b.pb.gz")
        let error = try #require(throws: ProfileDiffError.self) { try ProfileDiff.compute(base: heap, current: goroutine) }
        #expect(error == .noCommonSampleTypes(base: ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"], current: ["goroutine"]))
        let recorded = try String(contentsOfFile: ProfileDiffSupport.path("go1.27/pprof-cli/err.incompatible_types.txt"), encoding: .utf8)
        #expect(error.description.hasPrefix(recorded.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(throws: ProfileDiffError.self) { try DiffProfileBuilder.build(base: heap, current: goroutine) }
        #expect(throws: ProfileDiffError.self) { try FoldedStacks.render(base: heap, current: goroutine) }
    }

    @Test func differentUnitsOrPeriodTypesAreIncompatible() throws {
        let a = Profile(sampleTypes: [.init(type: "delay", unit: "nanoseconds")], periodType: .init(type: "contentions", unit: "count"))
        var b = a
        b.sampleTypes = [.init(type: "delay", unit: "microseconds")]
        #expect(throws: ProfileDiffError.incompatibleSampleTypes(base: a.sampleTypes, current: b.sampleTypes)) {
            try ProfileDiff.compute(base: a, current: b)
        }
        var c = a
        c.periodType = .init(type: "cpu", unit: "nanoseconds")
        let error = try #require(throws: ProfileDiffError.self) { try ProfileDiff.compute(base: a, current: c) }
        #expect(error.description == "incompatible period types contentions/count and cpu/nanoseconds")
    }

    @Test func danglingIdsInHandBuiltProfilesAreErrorsNotCrashes() throws {
        let types = [Profile.ValueType(type: "n", unit: "count")]
        let missingLocation = Profile(sampleTypes: types, samples: [.init(locationIDs: [7], values: [1])])
        #expect(throws: ProfileDiffError.danglingReference(profile: "current", what: "location", id: 7)) {
            try ProfileDiff.compute(base: Profile(sampleTypes: types), current: missingLocation)
        }
        let missingFunction = Profile(sampleTypes: types, locations: [.init(id: 1, lines: [.init(functionID: 3)])])
        #expect(throws: ProfileDiffError.danglingReference(profile: "base", what: "function", id: 3)) {
            try ProfileDiff.compute(base: missingFunction, current: Profile(sampleTypes: types))
        }
        #expect(throws: ProfileDiffError.danglingReference(profile: "base", what: "function", id: 3)) {
            try FoldedStacks.render(base: missingFunction, current: Profile(sampleTypes: types))
        }
    }

    @Test func emptyProfilesDiffToNothing() throws {
        let empty = Profile(sampleTypes: [.init(type: "goroutine", unit: "count")])
        let diff = try ProfileDiff.compute(base: empty, current: empty)
        #expect(diff.entries.isEmpty)
        #expect(diff.totalA == 0 && diff.totalB == 0)
        #expect(try FoldedStacks.render(base: empty, current: empty) == "")
    }
}

@Suite struct ProfileDiffRenderingTests {
    static let types = [Profile.ValueType(type: "inuse_space", unit: "bytes")]
    static let functions: [Profile.Function] = [.init(id: 1, name: "main.leaf"), .init(id: 2, name: "main.main"), .init(id: 3, name: "inl")]
    static let locations: [Profile.Location] = [
        .init(id: 1, lines: [.init(functionID: 3), .init(functionID: 1)]), .init(id: 2, lines: [.init(functionID: 2)]),
    ]
    static let a = Profile(sampleTypes: types, samples: [.init(locationIDs: [1, 2], values: [1024]), .init(locationIDs: [2], values: [10])],
                           locations: locations, functions: functions)
    static let b = Profile(sampleTypes: types, samples: [.init(locationIDs: [1, 2], values: [3072]), .init(locationIDs: [], values: [4])],
                           locations: locations, functions: functions)

    @Test func foldedStacksAreRootFirstWithInlinedFrames() throws {
        #expect(try FoldedStacks.render(base: Self.a, current: Self.b) == "<no stack> 4\nmain.main -10\nmain.main;main.leaf;inl 2048\n")
        #expect(try FoldedStacks.render(base: Self.a, current: Self.b, values: .base) == "main.main 10\nmain.main;main.leaf;inl 1024\n")
        #expect(try FoldedStacks.render(base: Self.a, current: Self.b, values: .current) == "<no stack> 4\nmain.main;main.leaf;inl 3072\n")
        #expect(try FoldedStacks.render(base: Self.a, current: Self.b, values: .pair)
            == "<no stack> 0 4\nmain.main 10 0\nmain.main;main.leaf;inl 1024 3072\n")
    }

    @Test func unsymbolizedFramesFoldAsAddressesAndDiffAsTheBinaryName() throws {
        let profile = Profile(
            sampleTypes: Self.types, samples: [.init(locationIDs: [1, 2], values: [64])],
            mappings: [.init(id: 1, filename: "/usr/bin/app")],
            locations: [.init(id: 1, mappingID: 1, address: 0x4010a0), .init(id: 2, lines: [.init(functionID: 2)])],
            functions: Self.functions)
        let empty = Profile(sampleTypes: Self.types)
        #expect(try FoldedStacks.render(base: empty, current: profile) == "main.main;0x4010a0 64\n")
        let diff = try ProfileDiff.compute(base: empty, current: profile)
        #expect(diff.entries.map(\.name) == ["[app]", "main.main"])
        let lines = try ProfileDiff.compute(base: empty, current: Self.b, granularity: .lines)
        #expect(lines.entries.first?.name == "inl")
    }

    @Test func jsonHasExactlyTheDocumentedSnakeCaseKeys() throws {
        let diff = try ProfileDiff.compute(base: Self.a, current: Self.b)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(ProfileDiffJSON(diff)), as: UTF8.self)
        #expect(json == """
            {"functions":[{"cum_a":1024,"cum_b":3072,"cum_delta":2048,"flat_a":1024,"flat_b":3072,"flat_delta":2048,"name":"inl"},\
            {"cum_a":1034,"cum_b":3072,"cum_delta":2038,"flat_a":10,"flat_b":0,"flat_delta":-10,"name":"main.main"},\
            {"cum_a":1024,"cum_b":3072,"cum_delta":2048,"flat_a":0,"flat_b":0,"flat_delta":0,"name":"main.leaf"}],\
            "sample_type":"inuse_space","total_a":1034,"total_b":3076,"unit":"bytes"}
            """)
        #expect(try JSONDecoder().decode(ProfileDiffJSON.self, from: Data(json.utf8)) == ProfileDiffJSON(diff))
    }

    @Test func textTableHasTotalsAndHumanUnits() throws {
        let diff = try ProfileDiff.compute(base: Self.a, current: Self.b)
        let text = TopTable.render(diff, title: "heap", bounds: TableBounds(limit: 2, all: true))
        #expect(text == """
            == heap ==
            Type: inuse_space (bytes), granularity: functions
            Total A: 1.01kB, total B: 3kB, delta: +1.99kB
                 flat A      flat B      flat Δ       cum A       cum B       cum Δ  name
                    1kB         3kB        +2kB         1kB         3kB        +2kB  inl
                    10B           0        -10B      1.01kB         3kB     +1.99kB  main.main
            (1 more row: --limit 0 shows all)

            """)
        #expect(TopTable.render(diff).split(separator: "\n").count == 3 + 3)
    }

    static let scaledValues: [(Int64, String, String)] = [
        (Int64(13_943_462), "bytes", "13.30MB"), (524_528, "bytes", "512.23kB"), (-524_288, "bytes", "-512kB"),
        (1023, "bytes", "1023B"), (0, "bytes", "0"), (1_500_000, "nanoseconds", "1.50ms"), (2_000_000_000, "nanoseconds", "2s"),
        (32, "count", "32"), (-3, "count", "-3"), (1_073_741_824 * 3, "bytes", "3GB"),
    ]

    @Test(arguments: 0..<scaledValues.count)
    func valuesAreScaledLikePprof(index: Int) {
        let (value, unit, expected) = Self.scaledValues[index]
        #expect(ValueFormatter.format(value, unit: unit) == expected)
    }

    @Test func signedFormattingMarksGrowth() {
        #expect(ValueFormatter.format(2048, unit: "bytes", signed: true) == "+2kB")
        #expect(ValueFormatter.format(-2048, unit: "bytes", signed: true) == "-2kB")
        #expect(ValueFormatter.format(0, unit: "count", signed: true) == "0")
        #expect(ValueFormatter.format(5, unit: "count", signed: true) == "+5")
    }

    @Test func sampleIndexSelectorParsesNumbersAndNames() {
        #expect(SampleIndexSelector("3") == .index(3))
        #expect(SampleIndexSelector("inuse_space") == .name("inuse_space"))
        #expect(SampleIndexSelector("-1").description == "-1")
    }
}
