import Foundation
import Testing

@testable import Retention

/// Snapshots without data (failed captures) are planned apart: they never count toward, or
/// displace, the keep options of snapshots with data, and get a bounded keep of their own.
@Suite struct FailedSnapshotTests {
    static func failed(
        _ id: String, _ takenAt: Date, target: String = "order-api", kinds: [String] = ["heap"], pinned: Bool = false
    ) -> RetentionCandidate {
        RetentionCandidate(
            id: id, target: target, kinds: [], schedule: "hourly", takenAt: takenAt, bytes: 500, pinned: pinned,
            failedKinds: kinds, hasData: false)
    }

    /// The reproduction: three good snapshots, then three failed captures, keep-last 3.
    @Test func failuresAfterGoodSnapshotsDoNotDisplaceThem() throws {
        let base = try Fixture.date(2026, 11, 26, 2)
        let good = (0..<3).map { Fixture.snap("good-\($0)", base.addingTimeInterval(Double($0) * 3600)) }
        let bad = (3..<6).map { Self.failed("failed-\($0)", base.addingTimeInterval(Double($0) * 3600)) }
        let plan = try Fixture.plan(good + bad, Fixture.policy(RetentionRule(keepLast: 3)))
        #expect(plan.kept == Set(good.map(\.id) + bad.map(\.id)))
        #expect(try Fixture.decision(plan, "good-2").reasons == ["newest of group", "keep-last 3"])
        #expect(try Fixture.decision(plan, "failed-5").reasons == ["keep-failed-last 3", "failed within 1d of now"])
        #expect(try Fixture.decision(plan, "failed-5").explanation == "kept: keep-failed-last 3; failed within 1d of now")
    }

    @Test func failuresAreBoundedByTheirOwnKeep() throws {
        let base = try Fixture.date(2026, 11, 20)
        let good = [Fixture.snap("good", base)]
        // One failure an hour for three days.
        let bad = (1...72).map { Self.failed("f\($0)", base.addingTimeInterval(Double($0) * 3600)) }
        let now = base.addingTimeInterval(72 * 3600 + 60)
        let plan = try Fixture.plan(good + bad, Fixture.policy(RetentionRule(keepLast: 1)), now: now)
        // The last 24 hours (f48 is 24h 1m old); keep-failed-last 3 (f70-f72) lies inside them.
        #expect(plan.kept == Set(["good"] + (49...72).map { "f\($0)" }))
        let removed = try Fixture.decision(plan, "f10")
        #expect(removed.action == .remove)
        #expect(removed.explanation == "removed: no data (failed capture) and outside keep-failed-last 3 and keep-failed-within 1d")

        let tight = try Fixture.plan(
            good + bad, Fixture.policy(RetentionRule(keepLast: 1, keepFailedLast: 2, keepFailedWithin: .zero)), now: now)
        #expect(tight.kept == ["good", "f71", "f72"])
        #expect(try Fixture.decision(tight, "f1").reasons == ["no data (failed capture) and outside keep-failed-last 2"])

        let all = try Fixture.plan(good + bad, Fixture.policy(RetentionRule(keepLast: 1, keepFailedLast: -1)), now: now)
        #expect(all.removeIDs.isEmpty)
    }

    @Test func maxAgeAndPinsApplyToFailures() throws {
        let base = try Fixture.date(2026, 11, 1)
        let snaps = [Fixture.snap("good", base.addingTimeInterval(20 * 86_400))]
            + [Self.failed("old", base), Self.failed("old-pinned", base.addingTimeInterval(1), pinned: true)]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepLast: 1, maxAge: .seconds(7 * 86_400))))
        #expect(plan.kept == ["good", "old-pinned"])
        #expect(try Fixture.decision(plan, "old").reasons == ["older than max-age 7d"])
    }

    @Test func targetWithOnlyFailuresKeepsItsNewest() throws {
        let base = try Fixture.date(2026, 11, 1)
        let bad = (0..<5).map { Self.failed("f\($0)", base.addingTimeInterval(Double($0) * 86_400), target: "down") }
        let plan = try Fixture.plan(
            bad, Fixture.policy(RetentionRule(keepLast: 1, keepFailedLast: 0, keepFailedWithin: .zero)),
            now: base.addingTimeInterval(30 * 86_400))
        #expect(plan.kept == ["f4"])
        #expect(try Fixture.decision(plan, "f4").reasons == ["newest snapshot of a target with no data snapshots"])
    }

    @Test func partialSnapshotsAreDataForTheKindsTheyHold() throws {
        let base = try Fixture.date(2026, 11, 26)
        // A partial capture: heap stored, trace failed. The trace rule does not see it; the heap rule does.
        let partial = RetentionCandidate(
            id: "partial", target: "order-api", kinds: ["heap"], schedule: "hourly", takenAt: base.addingTimeInterval(7200),
            bytes: 10, failedKinds: ["trace"], hasData: true)
        let traceFailed = Self.failed("trace-failed", base.addingTimeInterval(3600), kinds: ["trace"])
        let heap = Fixture.snap("heap", base)
        let policy = Fixture.policy(
            RetentionRule(selector: RetentionSelector(kinds: ["trace"]), keepLast: 5),
            RetentionRule(keepLast: 1))
        let plan = try Fixture.plan([heap, traceFailed, partial], policy)
        #expect(try Fixture.decision(plan, "partial").rule == 2)
        #expect(try Fixture.decision(plan, "partial").reasons == ["newest of group", "keep-last 1"])
        #expect(try Fixture.decision(plan, "heap").action == .remove)
        #expect(try Fixture.decision(plan, "trace-failed").rule == 1)
    }

    @Test func negativeKeepFailedWithinIsRejected() {
        #expect(throws: RetentionError.negativeKeepFailedWithin(rule: 1, value: .seconds(-1))) {
            try Fixture.plan([], Fixture.policy(RetentionRule(keepFailedWithin: .seconds(-1))))
        }
        #expect(throws: RetentionError.invalidCount(rule: 1, option: "keep-failed-last", value: -2)) {
            try Fixture.plan([], Fixture.policy(RetentionRule(keepFailedLast: -2)))
        }
    }

    /// Property: adding any number of failed snapshots (to existing targets or new ones) never
    /// changes what happens to a snapshot with data, nor why.
    @Test(arguments: PropertyTests.seeds)
    func failuresNeverChangeTheDataPlan(seed: UInt64) throws {
        let (candidates, policy, now) = PropertyTests.randomScenario(seed: seed)
        var r = SeededGenerator(seed: seed &* 7919)
        let targets = Array(Set(candidates.map(\.target))).sorted() + ["never-up"]
        let times = candidates.map(\.takenAt.timeIntervalSince1970)
        let (lo, hi) = (times.min() ?? PropertyTests.base, (times.max() ?? PropertyTests.base) + 86_400)
        let failures = (0..<Int.random(in: 1...200, using: &r)).map { i in
            Self.failed(
                "failed-\(i)", Date(timeIntervalSince1970: Double.random(in: lo...hi, using: &r)),
                target: targets.randomElement(using: &r)!,
                kinds: [["trace"], ["heap", "goroutine"], []].randomElement(using: &r)!,
                pinned: Int.random(in: 0..<10, using: &r) == 0)
        }
        let alone = try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
        let mixed = try RetentionPlanner.plan(candidates: (candidates + failures).shuffled(using: &r), policy: policy, now: now)
        let dataIDs = Set(candidates.map(\.id))
        #expect(mixed.decisions.filter { dataIDs.contains($0.id) } == alone.decisions)
        #expect(mixed.warnings == alone.warnings)
        for target in Set(mixed.decisions.map(\.target)) {
            #expect(mixed.decisions.contains { $0.target == target && $0.action == .keep })
        }
    }
}
