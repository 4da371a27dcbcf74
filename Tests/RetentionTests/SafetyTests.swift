import Foundation
import Testing

@testable import Retention

/// Safety rails and every error the planner can raise.
@Suite struct SafetyTests {
    static func snaps() throws -> [RetentionCandidate] {
        let base = try Fixture.date(2026, 11, 1)
        return (0..<5).map { Fixture.snap("s\($0)", base.addingTimeInterval(Double($0) * 86_400)) }
    }

    @Test func emptyPolicyRemovesNothing() throws {
        let plan = try Fixture.plan(try Self.snaps(), RetentionPolicy(rules: []))
        #expect(plan.removed.isEmpty)
        #expect(plan.bytesFreed == 0)
        #expect(plan.decisions.count == 5)
    }

    @Test func ruleWithoutSettingsRemovesNothing() throws {
        let plan = try Fixture.plan(try Self.snaps(), Fixture.policy(RetentionRule()))
        #expect(plan.removed.isEmpty)
        #expect(try Fixture.decision(plan, "s0").reasons == ["rule 1 sets no keep options"])
        // Zero counts and a zero keep-within mean "not set", as in restic.
        let zeros = try Fixture.plan(
            try Self.snaps(), Fixture.policy(RetentionRule(keepLast: 0, keepDaily: 0, keepWithin: .zero)))
        #expect(zeros.removed.isEmpty)
    }

    @Test func noInputGivesEmptyPlan() throws {
        let plan = try RetentionPlanner.plan(
            candidates: [], policy: Fixture.policy(RetentionRule(keepLast: 1)), now: Date())
        #expect(plan.decisions.isEmpty)
        #expect(plan.keepIDs.isEmpty && plan.removeIDs.isEmpty)
    }

    /// A pinned snapshot is kept whatever the options say, and still counts for the options it
    /// satisfies (it takes its day's slot).
    @Test func pinnedIsAlwaysKeptAndStillCounts() throws {
        let snaps = [
            Fixture.snap("d3", try Fixture.date(2026, 11, 3, 12)),
            Fixture.snap("d2", try Fixture.date(2026, 11, 2, 12), pinned: true),
            Fixture.snap("d1", try Fixture.date(2026, 11, 1, 12)),
            Fixture.snap("d0", try Fixture.date(2026, 10, 31, 12), pinned: true),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 2)))
        #expect(plan.kept == ["d3", "d2", "d0"])
        #expect(try Fixture.decision(plan, "d2").reasons == ["pinned", "keep-daily (2026-11-02)"])
        #expect(try Fixture.decision(plan, "d0").reasons == ["pinned"])
    }

    /// The newest snapshot of every group is kept even when no option would keep it.
    @Test func newestOfGroupIsAlwaysKept() throws {
        let now = try Fixture.date(2026, 11, 26)
        let snaps = [Fixture.snap("only", now.addingTimeInterval(-365 * 86_400))]
        let plan = try Fixture.plan(
            snaps, Fixture.policy(RetentionRule(keepWithin: .seconds(1), maxAge: .seconds(60))), now: now)
        #expect(plan.kept == ["only"])
        #expect(try Fixture.decision(plan, "only").reasons == ["newest of group", "within 1s of newest"])
    }

    @Test func refusesPlansThatEmptyATarget() {
        #expect(throws: RetentionError.wouldRemoveAllSnapshots(target: "order-api")) {
            try RetentionPlanner.refuseEmptiedTargets([("inventory", 2), ("order-api", 0)])
        }
        #expect(throws: Never.self) { try RetentionPlanner.refuseEmptiedTargets([("inventory", 1)]) }
        #expect(
            RetentionError.wouldRemoveAllSnapshots(target: "order-api").description
                == "retention would remove every snapshot of target \"order-api\", so the plan is refused")
    }

    @Test(arguments: [
        (RetentionRule(keepLast: -2), "keep-last", -2),
        (RetentionRule(keepHourly: -5), "keep-hourly", -5),
        (RetentionRule(keepDaily: -3), "keep-daily", -3),
        (RetentionRule(keepWeekly: -2), "keep-weekly", -2),
        (RetentionRule(keepMonthly: .min), "keep-monthly", Int.min),
        (RetentionRule(keepYearly: -100), "keep-yearly", -100),
    ])
    func rejectsNegativeCountsOtherThanUnlimited(rule: RetentionRule, option: String, value: Int) throws {
        let policy = Fixture.policy(RetentionRule(keepLast: 1), rule)
        let error = RetentionError.invalidCount(rule: 2, option: option, value: value)
        #expect(throws: error) { try Fixture.plan(try Self.snaps(), policy) }
        #expect(
            error.description
                == "retention rule 2: \(option) \(value) is invalid (use a positive count, or -1 for unlimited)")
    }

    @Test func rejectsInvalidDurationsAndBudgets() throws {
        let snaps = try Self.snaps()
        #expect(throws: RetentionError.negativeKeepWithin(rule: 1, value: .seconds(-3600))) {
            try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepWithin: .seconds(-3600))))
        }
        #expect(throws: RetentionError.nonPositiveMaxAge(rule: 1, value: .zero)) {
            try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxAge: .zero)))
        }
        #expect(throws: RetentionError.nonPositiveMaxAge(rule: 1, value: .seconds(-86_400))) {
            try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxAge: .seconds(-86_400))))
        }
        #expect(throws: RetentionError.negativeMaxTotalBytes(rule: 1, value: -1)) {
            try Fixture.plan(snaps, Fixture.policy(RetentionRule(maxTotalBytes: -1)))
        }
        #expect(
            RetentionError.negativeKeepWithin(rule: 1, value: .seconds(-3600)).description
                == "retention rule 1: keep-within -1h is negative")
        #expect(
            RetentionError.nonPositiveMaxAge(rule: 3, value: .zero).description
                == "retention rule 3: max-age 0s must be positive")
        #expect(
            RetentionError.negativeMaxTotalBytes(rule: 1, value: -1).description
                == "retention rule 1: max-total-bytes -1 is negative")
    }

    @Test func rejectsBadCandidates() throws {
        let now = try Fixture.date(2026, 11, 26)
        let policy = Fixture.policy(RetentionRule(keepLast: 1))
        let good = Fixture.snap("a", now)
        #expect(throws: RetentionError.duplicateSnapshotID("a")) {
            try RetentionPlanner.plan(
                candidates: [good, Fixture.snap("b", now), Fixture.snap("a", now, target: "x")], policy: policy,
                now: now)
        }
        #expect(throws: RetentionError.negativeSnapshotSize(id: "n", bytes: -5)) {
            try RetentionPlanner.plan(candidates: [good, Fixture.snap("n", now, bytes: -5)], policy: policy, now: now)
        }
        for bad in [Double.nan, .infinity, -.infinity, 1e15, -1e13] {
            #expect(throws: RetentionError.snapshotTimeOutOfRange(id: "t")) {
                try RetentionPlanner.plan(
                    candidates: [good, Fixture.snap("t", Date(timeIntervalSince1970: bad))], policy: policy, now: now)
            }
            #expect(throws: RetentionError.nowOutOfRange) {
                try RetentionPlanner.plan(candidates: [good], policy: policy, now: Date(timeIntervalSince1970: bad))
            }
        }
        #expect(
            RetentionError.duplicateSnapshotID("a").description
                == "snapshot id \"a\" appears more than once in the retention input")
        #expect(
            RetentionError.negativeSnapshotSize(id: "n", bytes: -5).description
                == "snapshot \"n\": size -5 bytes is negative")
        #expect(
            RetentionError.snapshotTimeOutOfRange(id: "t").description
                == "snapshot \"t\": its time is not a valid date between years 1 and 9999")
        #expect(
            RetentionError.nowOutOfRange.description
                == "retention reference time is not a valid date between years 1 and 9999")
    }

    /// Dates at both ends of the supported range plan without trouble.
    @Test func extremeSupportedDates() throws {
        let first = Date(timeIntervalSince1970: -62_135_596_800)  // 0001-01-01T00:00:00Z
        let last = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z
        let snaps = [
            Fixture.snap("first", first), Fixture.snap("mid", Date(timeIntervalSince1970: 0)),
            Fixture.snap("last", last),
        ]
        let plan = try RetentionPlanner.plan(
            candidates: snaps,
            policy: Fixture.policy(RetentionRule(keepYearly: 1), timeZone: try Fixture.zone("Pacific/Kiritimati")),
            now: last)
        #expect(plan.kept == ["last"])
        #expect(try Fixture.decision(plan, "last").reasons == ["newest of group", "keep-yearly (10000)"])
    }

    @Test func duplicateDetectionFindsTheRepeatedID() {
        let now = Date(timeIntervalSince1970: 0)
        let many = (0..<1000).map { Fixture.snap("id-\($0)", now) }
        #expect(RetentionPlanner.firstDuplicateID(many) == nil)
        #expect(RetentionPlanner.firstDuplicateID(many + [Fixture.snap("id-500", now)]) == "id-500")
    }

    @Test func byteTotalIsExactBeyondInt64() {
        var total = ByteTotal()
        total.add(.max)
        total.add(.max)
        #expect(total.exceeds(.max))
        #expect(total.clamped == .max)
        #expect(total.description == "more than 8192PB")
        total.subtract(.max)
        #expect(!total.exceeds(.max))
        #expect(total.exceeds(.max - 1))
        #expect(total.clamped == .max)
        total.subtract(.max - 1024)
        #expect(total.clamped == 1024)
        #expect(total.description == "1kB")
    }
}
