import Foundation
import GBSnapTestSupport
import Testing

/// Choosing what to compare: `gbsnap diff TARGET`, selectors that skip what cannot compare, the
/// nearest pairs when nothing is in common, restarts, and did-you-mean for names.
@Suite struct SelectionCommandTests {
    static func sample(_ name: String) -> String { Samples.path("go1.27/\(name)") }

    /// A custom endpoint's body: a kind gbsnap archives but diff does not compare.
    static func trace(_ f: DiffFixture) throws -> String {
        let path = "\(f.tmp.path)/fgprof.bin"
        try Data("not a format gbsnap reads\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func diffOfOneTargetComparesTheNewestWithTheNewestEarlierSnapshotSharingAKind() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let trace = try Self.trace(f)
        let first = try await f.importSnapshot([Self.sample("heap-gc-a.pb.gz"), Self.sample("vars-a.json")], target: "svc", takenAt: "2026-11-27T02:00:00Z")
        _ = try await f.importSnapshot([trace], target: "svc", takenAt: "2026-11-27T02:00:30Z", kind: "custom")
        let second = try await f.importSnapshot([Self.sample("heap-gc-b.pb.gz"), Self.sample("vars-b.json")], target: "svc", takenAt: "2026-11-27T02:01:05Z")
        _ = try await f.importSnapshot([trace], target: "svc", takenAt: "2026-11-27T02:01:30Z", kind: "custom")

        func pair(_ args: [String]) async throws -> [String?] {
            let json = try await f.diffJSON(args)
            return [(json["a"] as? [String: Any])?["id"] as? String, (json["b"] as? [String: Any])?["id"] as? String]
        }
        await #expect(try pair(["svc"]) == [first, second])
        await #expect(try pair(["svc@latest"]) == [first, second])
        // README's idiom: in diff, latest~N counts only snapshots holding a kind diff compares.
        await #expect(try pair(["svc@latest~1", "svc@latest"]) == [first, second])
        await #expect(try pair(["svc@latest~1", "svc@latest", "--kind", "vars"]) == [first, second])
        // --schedule narrows both sides: imports are schedule "import", nothing is "nightly".
        let nightly = try await f.diff(["svc", "--schedule", "nightly"])
        #expect(nightly.status == 1)
        #expect(nightly.stderr.contains("has no snapshot with data of schedule \"nightly\" holding a kind diff compares"))
        let only = try await f.diff(["svc@latest~2", "svc@latest"])
        #expect(only.status == 1)
        #expect(only.stderr.contains("has only 2 snapshot(s) with data holding a kind diff compares (2 skipped: 2 holding only custom)"))
    }

    @Test func aPairWithNothingInCommonNamesTheNearestPairsThatCompare() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let heapA = try await f.importSnapshot([Self.sample("heap-gc-a.pb.gz")], target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let stacks = try await f.importSnapshot([Self.sample("goroutine-a.debug2.txt")], target: "svc", takenAt: "2026-11-27T02:00:30Z")
        let heapB = try await f.importSnapshot([Self.sample("heap-gc-b.pb.gz")], target: "svc", takenAt: "2026-11-27T02:01:05Z")
        let r = try await f.diff([stacks, heapB])
        #expect(r.status == 1)
        #expect(r.stderr.contains("have no kind in common"))
        #expect(r.stderr.contains("nearest pairs that compare: gbsnap diff \(heapA) \(heapB) (heap)"))
        // One argument with no earlier partner for the newest says so and names a pair that works.
        let lone = try await f.importSnapshot([Self.sample("goroutine-b.debug2.txt")], target: "svc", takenAt: "2026-11-27T02:02:00Z")
        let one = try await f.diff([lone])
        #expect(one.status == 0, "stacks pair with the earlier stacks snapshot: \(one.stderr)")
        let heapOnly = try await f.diff(["svc", "--kind", "allocs"])
        #expect(heapOnly.status == 1)
        #expect(heapOnly.stderr.contains("has no snapshot with data holding allocs"))
    }

    @Test func aDiffAcrossARestartSaysSoOnceAndAReversedPairIsNewerNotARestart() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        // The b samples are later in one process; importing them first makes the a samples a fresh process.
        let files = { (side: String) in ["heap-gc-\(side).pb.gz", "goroutine-\(side).debug2.txt", "vars-\(side).json"].map(Self.sample) }
        let before = try await f.importSnapshot(files("b"), target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let after = try await f.importSnapshot(files("a"), target: "svc", takenAt: "2026-11-27T03:00:00Z")
        let warnings = await (try f.diffJSON(["svc"])["warnings"] as? [String]) ?? []
        let restart = warnings.filter { $0.contains("restarted") }
        #expect(restart.count == 1, "\(warnings)")
        #expect(restart.first?.contains("memstats NumGC went back from 9 to 3") == true)
        #expect(restart.first?.contains("the highest goroutine id went back from 102 to 37") == true)
        let text = try await f.diff(["svc"])
        #expect(text.stdout.contains("the target restarted between snapshots \(before) and \(after)"))

        // The same process, compared newest first: "A is newer than B", never a restart.
        let g = DiffFixture(); defer { g.tmp.cleanup() }
        let (a, b) = try await g.importPair("go1.27")
        let reversed = await (try g.diffJSON([b, a])["warnings"] as? [String]) ?? []
        #expect(reversed.contains { $0.contains("snapshot A (\(b)) is newer than snapshot B (\(a)) by 65 s") })
        #expect(!reversed.contains { $0.contains("restart") }, "\(reversed)")
    }

    @Test func unknownTargetsAndKindsSuggestTheClosestName() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        _ = try await f.importSnapshot([Self.sample("vars-a.json")], target: "etcd", takenAt: "2026-11-27T02:00:00Z")
        _ = try await f.importSnapshot([Self.sample("vars-a.json")], target: "prometheus", takenAt: "2026-11-27T02:00:00Z")
        let list = try await gbsnap(["list", "--target", "etdc"], store: f.store)
        #expect(list.status == 1)
        #expect(list.stderr == "gbsnap: --target \"etdc\": the store has no snapshots of target \"etdc\"; did you mean \"etcd\"?\n")
        let far = try await gbsnap(["show", "order-api@latest"], store: f.store)
        #expect(far.status == 1)
        #expect(far.stderr.contains("the store has snapshots of: etcd, prometheus"))
        let bare = try await gbsnap(["show", "etcd"], store: f.store)
        #expect(bare.stderr == "gbsnap: no snapshot matches \"etcd\"; did you mean \"etcd@latest\"?\n")
        let kind = try await gbsnap(["list", "--kind", "hepa"], store: f.store)
        #expect(kind.status == 2)
        #expect(kind.stderr.contains("unknown kind \"hepa\"; did you mean \"heap\"?"))
        // A known target whose filters match nothing is an empty listing, not an error.
        let none = try await gbsnap(["list", "--target", "etcd", "--kind", "heap"], store: f.store)
        #expect(none.status == 0 && none.stdout == "no snapshots\n")
    }
}
