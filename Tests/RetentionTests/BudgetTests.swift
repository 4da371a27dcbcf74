import Foundation
import Testing

@testable import Retention

/// keep-within (relative to the newest snapshot), max-age (relative to now) and
/// max-total-bytes (oldest first, per rule), with the newest and pinned snapshots untouchable.
@Suite struct BudgetTests {
    static let day: Double = 86_400
    static let gib: Int64 = 1 << 30

    /// keep-within counts back from the newest snapshot, not from now (unlike borg 1.x), and
    /// the boundary is strict.
    @Test func keepWithinIsRelativeToNewestSnapshot() throws {
        let now = try Fixture.date(2026, 11, 26)
        let newest = now.addingTimeInterval(-10 * Self.day)
        let snaps = [
            Fixture.snap("newest", newest),
            Fixture.snap("-12h", newest.addingTimeInterval(-0.5 * Self.day)),
            Fixture.snap("-1d", newest.addingTimeInterval(-1 * Self.day)),
            Fixture.snap("-2d exactly", newest.addingTimeInterval(-2 * Self.day)),
            Fixture.snap("-3d", newest.addingTimeInterval(-3 * Self.day)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepWithin: .seconds(2 * 86_400))), now: now)
        #expect(plan.kept == ["newest", "-12h", "-1d"])
        #expect(try Fixture.decision(plan, "-1d").reasons == ["within 2d of newest"])
        #expect(try Fixture.decision(plan, "newest").reasons == ["newest of group", "within 2d of newest"])
    }

    /// A snapshot dated after `now` does not move the keep-within reference (restic ignores it
    /// when choosing the latest snapshot) and is itself within the window.
    @Test func keepWithinIgnoresFutureSnapshotsForTheReference() throws {
        let now = try Fixture.date(2026, 11, 26, 12)
        let snaps = [
            Fixture.snap("future", now.addingTimeInterval(3 * Self.day)),
            Fixture.snap("-1h", now.addingTimeInterval(-3600)),
            Fixture.snap("-20h", now.addingTimeInterval(-20 * 3600)),
            Fixture.snap("-2d", now.addingTimeInterval(-2 * Self.day)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepWithin: .seconds(86_400))), now: now)
        #expect(plan.kept == ["future", "-1h", "-20h"])
        #expect(try Fixture.decision(plan, "future").reasons == ["newest of group", "within 1d of newest"])
    }

    /// keep-within combines with count options (OR).
    @Test func keepWithinAddsToCountOptions() throws {
        let base = try Fixture.date(2026, 11, 1)
        let snaps = (0..<10).map { Fixture.snap("d\($0)", base.addingTimeInterval(Double($0) * Self.day)) }
        let plan = try Fixture.plan(
            snaps, Fixture.policy(RetentionRule(keepLast: 2, keepWithin: .seconds(3 * 86_400 + 1))))
        #expect(plan.kept == ["d9", "d8", "d7", "d6"])
        #expect(try Fixture.decision(plan, "d8").reasons == ["keep-last 2", "within 3d1s of newest"])
    }

    /// max-age removes what the keep options kept, strictly older than now − max-age.
    @Test func maxAgeRemovesOlderSnapshots() throws {
        let now = try Fixture.date(2026, 11, 26)
        let snaps = [
            Fixture.snap("-10d", now.addingTimeInterval(-10 * Self.day)),
            Fixture.snap("-90d exactly", now.addingTimeInterval(-90 * Self.day)),
            Fixture.snap("-100d", now.addingTimeInterval(-100 * Self.day)),
            Fixture.snap("-200d", now.addingTimeInterval(-200 * Self.day)),
        ]
        let plan = try Fixture.plan(
            snaps, Fixture.policy(RetentionRule(keepLast: -1, maxAge: .seconds(90 * 86_400))), now: now)
        #expect(plan.kept == ["-10d", "-90d exactly"])
        #expect(try Fixture.decision(plan, "-100d").reasons == ["older than max-age 90d"])
    }

    /// A rule with only max-age keeps everything younger; the newest snapshot of a group and
    /// pinned snapshots survive even when older.
    @Test func maxAgeNeverRemovesNewestOrPinned() throws {
        let now = try Fixture.date(2026, 11, 26)
        let snaps = [
            Fixture.snap("a-newest", now.addingTimeInterval(-120 * Self.day), target: "a"),
            Fixture.snap("a-old", now.addingTimeInterval(-150 * Self.day), target: "a"),
            Fixture.snap("a-pinned", now.addingTimeInterval(-400 * Self.day), target: "a", pinned: true),
            Fixture.snap("b-young", now.addingTimeInterval(-1 * Self.day), target: "b"),
            Fixture.snap("b-mid", now.addingTimeInterval(-5 * Self.day), target: "b"),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxAge: .seconds(90 * 86_400))), now: now)
        #expect(plan.kept == ["a-newest", "a-pinned", "b-young", "b-mid"])
        #expect(try Fixture.decision(plan, "a-newest").reasons == ["newest of group", "rule 1 sets no keep options"])
        #expect(try Fixture.decision(plan, "a-pinned").reasons == ["pinned", "rule 1 sets no keep options"])
        #expect(try Fixture.decision(plan, "b-mid").reasons == ["rule 1 sets no keep options"])
        #expect(try Fixture.decision(plan, "a-old").reasons == ["older than max-age 90d"])
    }

    /// max-total-bytes removes the oldest snapshots of the rule until the rest fits.
    @Test func sizeBudgetRemovesOldestFirst() throws {
        let base = try Fixture.date(2026, 11, 20)
        let snaps = (0..<5).map { Fixture.snap("s\($0)", base.addingTimeInterval(Double($0) * 3600), bytes: Self.gib) }
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxTotalBytes: 3 * Self.gib)))
        #expect(plan.kept == ["s4", "s3", "s2"])
        #expect(plan.bytesFreed == 2 * Self.gib)
        #expect(try Fixture.decision(plan, "s0").reasons == ["over max-total-bytes 3GiB for rule 1"])
        #expect(plan.warnings.isEmpty)
    }

    /// The budget is per rule, across all the targets it governs; oldest first over all of them.
    @Test func sizeBudgetSpansTargetsOfTheRule() throws {
        let base = try Fixture.date(2026, 11, 20)
        let snaps = [
            Fixture.snap("a1", base, target: "order-a", bytes: 4),
            Fixture.snap("b1", base.addingTimeInterval(60), target: "order-b", bytes: 4),
            Fixture.snap("a2", base.addingTimeInterval(120), target: "order-a", bytes: 4),
            Fixture.snap("b2", base.addingTimeInterval(180), target: "order-b", bytes: 4),
            Fixture.snap("p1", base, target: "payment", bytes: 100),
            Fixture.snap("p2", base.addingTimeInterval(60), target: "payment", bytes: 100),
        ]
        let policy = Fixture.policy(
            RetentionRule(selector: RetentionSelector(targets: ["order-*"]), maxTotalBytes: 10),
            RetentionRule(keepLast: -1))
        let plan = try Fixture.plan(snaps, policy)
        #expect(plan.removed == ["a1", "b1"])
        #expect(plan.bytesFreed == 8)
        #expect(try Fixture.decision(plan, "p1").rule == 2)
    }

    /// Only what the keep options kept counts against the budget.
    @Test func sizeBudgetCountsOnlySurvivorsOfKeepOptions() throws {
        let base = try Fixture.date(2026, 11, 20)
        let snaps = (0..<6).map { Fixture.snap("s\($0)", base.addingTimeInterval(Double($0) * 60), bytes: 10) }
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepLast: 3, maxTotalBytes: 30)))
        #expect(plan.kept == ["s5", "s4", "s3"])
        #expect(try Fixture.decision(plan, "s2").reasons == ["no keep rule selects it"])
    }

    /// Over budget with nothing left to remove: the newest of each group and pinned snapshots
    /// stay, and the plan says why the budget is not met.
    @Test func sizeBudgetNeverRemovesNewestOrPinned() throws {
        let base = try Fixture.date(2026, 11, 20)
        let snaps = [
            Fixture.snap("a-new", base.addingTimeInterval(300), target: "a", bytes: Self.gib),
            Fixture.snap("a-mid", base.addingTimeInterval(200), target: "a", bytes: Self.gib),
            Fixture.snap("a-pin", base.addingTimeInterval(100), target: "a", bytes: Self.gib, pinned: true),
            Fixture.snap("b-new", base.addingTimeInterval(50), target: "b", bytes: Self.gib),
            Fixture.snap("b-old", base, target: "b", bytes: Self.gib),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxTotalBytes: 0)))
        #expect(plan.kept == ["a-new", "a-pin", "b-new"])
        #expect(plan.bytesFreed == 2 * Self.gib)
        #expect(
            plan.warnings == [
                "rule 1: its snapshots still take 3GB, over max-total-bytes 0, because the newest snapshot of "
                    + "each group and pinned snapshots are never removed"
            ])
    }

    /// Totals beyond `Int64.max` are compared exactly; the reported total caps at `Int64.max`.
    @Test func sizeBudgetHandlesTotalsBeyondInt64() throws {
        let base = try Fixture.date(2026, 11, 20)
        let snaps = [
            Fixture.snap("new", base.addingTimeInterval(60), bytes: .max),
            Fixture.snap("old", base, bytes: .max),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxTotalBytes: 1)))
        #expect(plan.removed == ["old"])
        #expect(plan.bytesFreed == .max)
        #expect(plan.warnings.count == 1)
    }
}
