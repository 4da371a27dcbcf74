import Foundation
import Testing

@testable import Retention

/// Which rule governs which snapshot, how groups form, and what no rule selects.
@Suite struct SelectionTests {
    @Test func globPatterns() {
        #expect(GlobPattern("order-*").matches("order-api"))
        #expect(GlobPattern("order-*").matches("order-"))
        #expect(!GlobPattern("order-*").matches("inventory"))
        #expect(GlobPattern("*-api").matches("order-api"))
        #expect(GlobPattern("o*r*i").matches("order-api"))
        #expect(!GlobPattern("o*r*x").matches("order-api"))
        #expect(GlobPattern("order-ap?").matches("order-api"))
        #expect(!GlobPattern("order-ap?").matches("order-ap"))
        #expect(GlobPattern("pay[a-c]").matches("payb"))
        #expect(!GlobPattern("pay[a-c]").matches("payd"))
        #expect(GlobPattern("pay[!a-c]").matches("payd"))
        #expect(GlobPattern("pay[^xy]").matches("payz"))
        #expect(GlobPattern("[]]").matches("]"))
        #expect(GlobPattern("a[b").matches("a[b"))  // unterminated bracket is literal
        #expect(GlobPattern("订单-?").matches("订单-甲"))
        #expect(GlobPattern("*").matches(""))
        #expect(GlobPattern("exact").isLiteral)
        #expect(!GlobPattern("exact").matches("exact2"))
    }

    /// The first rule that selects a snapshot governs it; each (target, rule) is its own group,
    /// so trace captures and heap captures do not compete for the same slots.
    @Test func firstMatchingRuleWinsAndGroupsByRule() throws {
        let base = try Fixture.date(2026, 11, 26)
        let snaps = (0..<4).flatMap { i in
            [
                Fixture.snap(
                    "trace\(i)", base.addingTimeInterval(Double(i) * 3600), kinds: ["trace"],
                    schedule: "nightly-trace"),
                Fixture.snap("heap\(i)", base.addingTimeInterval(Double(i) * 3600 + 60), kinds: ["heap", "goroutine"]),
            ]
        }
        let policy = Fixture.policy(
            RetentionRule(selector: RetentionSelector(kinds: ["trace"]), keepLast: 1),
            RetentionRule(keepLast: 2))
        let plan = try Fixture.plan(snaps, policy)
        #expect(plan.kept == ["trace3", "heap3", "heap2"])
        #expect(
            plan.decisions.map(\.id) == [
                "trace3", "trace2", "trace1", "trace0", "heap3", "heap2", "heap1", "heap0",
            ])
        #expect(plan.decisions.map(\.rule) == [1, 1, 1, 1, 2, 2, 2, 2])
    }

    /// Snapshots no rule selects are kept and say so; decisions list them after selected groups.
    @Test func unselectedSnapshotsAreKept() throws {
        let base = try Fixture.date(2026, 11, 26)
        let snaps = [
            Fixture.snap("inv-1", base, target: "inventory"),
            Fixture.snap("inv-2", base.addingTimeInterval(60), target: "inventory"),
            Fixture.snap("ord-1", base, target: "order-api"),
            Fixture.snap("ord-2", base.addingTimeInterval(60), target: "order-api"),
        ]
        let plan = try Fixture.plan(
            snaps, Fixture.policy(RetentionRule(selector: RetentionSelector(targets: ["order-*"]), keepLast: 1)))
        #expect(plan.kept == ["inv-1", "inv-2", "ord-2"])
        let unselected = try Fixture.decision(plan, "inv-1")
        #expect(unselected.rule == nil)
        #expect(unselected.reasons == ["not selected by any retention rule"])
        #expect(
            try Fixture.decision(plan, "inv-2").reasons == ["newest of group", "not selected by any retention rule"])
        #expect(plan.decisions.map(\.id) == ["inv-2", "inv-1", "ord-2", "ord-1"])
    }

    /// Unselected groups of a target come after its selected groups.
    @Test func groupOrderWithinTarget() throws {
        let base = try Fixture.date(2026, 11, 26)
        let snaps = [
            Fixture.snap("manual", base.addingTimeInterval(60), schedule: "manual"),
            Fixture.snap("hourly", base, schedule: "hourly"),
        ]
        let plan = try Fixture.plan(
            snaps, Fixture.policy(RetentionRule(selector: RetentionSelector(schedules: ["hour*"]), keepLast: 1)))
        #expect(plan.decisions.map(\.id) == ["hourly", "manual"])
        #expect(plan.removed.isEmpty)
    }

    /// Labels: every key must be present with a value matching the glob; schedules and kinds
    /// take globs too; all non-empty lists must match.
    @Test func selectorCombinesConstraints() throws {
        let base = try Fixture.date(2026, 11, 26)
        let selector = RetentionSelector(
            targets: ["order-*"], kinds: ["go*"], labels: ["region": "cn-*", "env": "prod"], schedules: ["nightly-*"])
        let rule = try CompiledRule(RetentionRule(selector: selector), number: 1)
        let good = Fixture.snap(
            "x", base, kinds: ["heap", "goroutine"], labels: ["region": "cn-east", "env": "prod"],
            schedule: "nightly-dump")
        #expect(rule.selects(good))
        var wrongTarget = good
        wrongTarget.target = "inventory"
        #expect(!rule.selects(wrongTarget))
        var wrongKind = good
        wrongKind.kinds = ["heap"]
        #expect(!rule.selects(wrongKind))
        var missingLabel = good
        missingLabel.labels = ["region": "cn-east"]
        #expect(!rule.selects(missingLabel))
        var wrongLabel = good
        wrongLabel.labels["region"] = "us-west"
        #expect(!rule.selects(wrongLabel))
        var wrongSchedule = good
        wrongSchedule.schedule = "manual"
        #expect(!rule.selects(wrongSchedule))
        #expect(try CompiledRule(RetentionRule(), number: 1).selects(wrongTarget))
    }

    /// Many distinct label sets on one target (more than the per-target short list holds)
    /// still group correctly.
    @Test func manyDistinctSelectorInputsOnOneTarget() throws {
        let base = try Fixture.date(2026, 11, 26)
        let snaps = (0..<40).map { i in
            Fixture.snap(
                "s\(i)", base.addingTimeInterval(Double(i) * 60),
                labels: ["build": "b\(i)", "tier": i % 2 == 0 ? "gold" : "std"])
        }
        let policy = Fixture.policy(
            RetentionRule(selector: RetentionSelector(labels: ["tier": "gold"]), keepLast: 1),
            RetentionRule(keepLast: 2))
        let plan = try Fixture.plan(snaps, policy)
        #expect(plan.kept == ["s38", "s39", "s37"])
        #expect(plan.decisions.filter { $0.rule == 1 }.count == 20)
    }
}
