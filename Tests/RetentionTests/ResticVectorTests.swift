import Foundation
import Testing

@testable import Retention

/// The worked examples of restic's documentation and the reference's test vectors (section C.8):
/// gbsnap keeps exactly what restic `forget` keeps.
@Suite struct ResticVectorTests {
    /// C.8 R1: one snapshot daily at 12:00 from 2024-01-01 to 2024-03-31, daily 7, weekly 4, monthly 3.
    @Test func vectorR1KeepsTwelve() throws {
        let snaps = Fixture.daily(from: try Fixture.date(2024, 1, 1, 12), days: 91)
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 7, keepWeekly: 4, keepMonthly: 3)))
        #expect(
            plan.kept == [
                "2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28", "2024-03-29", "2024-03-30", "2024-03-31",
                "2024-03-24", "2024-03-17", "2024-03-10",
                "2024-02-29", "2024-01-31",
            ])
        #expect(plan.removed.count == 79)
        // 03-31 counts once for each option it satisfies.
        #expect(
            try Fixture.decision(plan, "2024-03-31").reasons == [
                "newest of group", "keep-daily (2024-03-31)", "keep-weekly (2024-W13)", "keep-monthly (2024-03)",
            ])
        #expect(try Fixture.decision(plan, "2024-03-24").reasons == ["keep-weekly (2024-W12)"])
        #expect(try Fixture.decision(plan, "2024-01-31").reasons == ["keep-monthly (2024-01)"])
        // The monthly count is used up before the oldest snapshot, so 01-01 goes.
        #expect(try Fixture.decision(plan, "2024-01-01").reasons == ["no keep rule selects it"])
    }

    /// C.8 R1, borg column: borg 1.4 would also keep 03-03 (weekly, because 03-31's week is
    /// occupied but not counted) and 01-01 (`monthly[oldest]`). restic counts a snapshot for every
    /// option it satisfies, and so does gbsnap.
    @Test func vectorR1DiffersFromBorgCounting() throws {
        let snaps = Fixture.daily(from: try Fixture.date(2024, 1, 1, 12), days: 91)
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 7, keepWeekly: 4, keepMonthly: 3)))
        #expect(plan.removed.contains("2024-03-03"))
        #expect(plan.removed.contains("2024-01-01"))
        #expect(plan.kept.count == 12)  // borg: 14
    }

    /// C.8 R2: 05-01 09:00, 05-01 18:00, 05-02 09:00 with keep-daily 5: all three stay; 05-01 09:00
    /// only because it is the oldest and the daily count is not used up.
    @Test func vectorR2KeepsOldestWhenCountNotUsedUp() throws {
        let snaps = [
            Fixture.snap("a", try Fixture.date(2024, 5, 1, 9)),
            Fixture.snap("b", try Fixture.date(2024, 5, 1, 18)),
            Fixture.snap("c", try Fixture.date(2024, 5, 2, 9)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 5)))
        #expect(plan.kept == ["a", "b", "c"])
        #expect(try Fixture.decision(plan, "a").reasons == ["keep-daily (2024-05-01, oldest)"])
        #expect(try Fixture.decision(plan, "b").reasons == ["keep-daily (2024-05-01)"])
    }

    /// C.8 R3 (restic's 11-snapshot `--keep-daily 5` example; the reference records the kept
    /// times, so the removed ones here are a reconstruction): the newest snapshot of each of the
    /// last five days that have snapshots; days without snapshots do not count.
    @Test func vectorR3NewestOfEachOfFiveDaysWithSnapshots() throws {
        let times: [(String, Int, Int, Int)] = [
            ("04-22 11:00", 4, 22, 11), ("04-24 11:00", 4, 24, 11), ("04-25 11:00", 4, 25, 11),
            ("04-25 23:00", 4, 25, 23), ("04-28 11:00", 4, 28, 11), ("04-29 08:00", 4, 29, 8),
            ("04-29 11:00", 4, 29, 11), ("05-01 11:00", 5, 1, 11), ("05-02 07:00", 5, 2, 7),
            ("05-02 11:00", 5, 2, 11), ("05-02 23:00", 5, 2, 23),
        ]
        let snaps = try times.map { Fixture.snap($0.0, try Fixture.date(2025, $0.1, $0.2, $0.3)) }
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 5)))
        #expect(plan.kept == ["04-25 23:00", "04-28 11:00", "04-29 11:00", "05-01 11:00", "05-02 23:00"])
        #expect(plan.removed.count == 6)
    }

    /// restic docs: one backup every Sunday for 12 weeks, `forget --keep-daily 4` keeps the last
    /// four Sundays (days without snapshots do not count; the count is used up, so the oldest goes).
    @Test func docExampleTwelveSundaysKeepDailyFour() throws {
        let first = try Fixture.date(2019, 9, 1, 11)
        let snaps = (0..<12).map { i in
            let t = first.addingTimeInterval(Double(i) * 7 * 86_400)
            return Fixture.snap(Fixture.utcDay(t), t, target: "mopped")
        }
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 4)))
        #expect(plan.kept == ["2019-10-27", "2019-11-03", "2019-11-10", "2019-11-17"])
        #expect(plan.removed.count == 8)
    }

    /// restic docs: daily backups for 100 years with daily 7, weekly 5, monthly 12, yearly 75 keep
    /// 7 dailies, weeklies beyond them, 11–12 more monthlies and 74–75 more yearlies. Ending on
    /// Tuesday 2024-12-31 (ISO 2025-W01), two of the five weeks are already dailies.
    @Test func docExampleHundredYearsOfDailies() throws {
        let first = try Fixture.date(1925, 1, 1, 12)
        let last = try Fixture.date(2024, 12, 31, 12)
        let days = Int((last.timeIntervalSince(first) / 86_400).rounded()) + 1
        let plan = try Fixture.plan(
            Fixture.daily(from: first, days: days),
            Fixture.policy(RetentionRule(keepDaily: 7, keepWeekly: 5, keepMonthly: 12, keepYearly: 75)))
        func count(_ prefix: String) -> Int {
            plan.decisions.filter { $0.reasons.contains { $0.hasPrefix(prefix) } }.count
        }
        #expect(count("keep-daily") == 7)
        #expect(count("keep-weekly") == 5)
        #expect(count("keep-monthly") == 12)
        #expect(count("keep-yearly") == 75)
        #expect(plan.kept.count == 7 + 3 + 11 + 74)
        #expect(plan.kept.contains("1950-12-31"))
        #expect(!plan.kept.contains("1949-12-31"))
        #expect(plan.kept.isSuperset(of: ["2024-12-22", "2024-12-15", "2024-12-08", "2024-11-30", "2024-01-31"]))
    }

    /// restic's `unlimited` (-1): the newest of every period, and the oldest too since the count
    /// is never used up.
    @Test func unlimitedCountKeepsEveryPeriodAndTheOldest() throws {
        let snaps = [
            Fixture.snap("m1-early", try Fixture.date(2024, 1, 3)),
            Fixture.snap("m1-late", try Fixture.date(2024, 1, 20)),
            Fixture.snap("m2-early", try Fixture.date(2024, 2, 3)),
            Fixture.snap("m2-late", try Fixture.date(2024, 2, 20)),
            Fixture.snap("m3", try Fixture.date(2024, 3, 1)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepMonthly: -1)))
        #expect(plan.kept == ["m3", "m2-late", "m1-late", "m1-early"])
        #expect(try Fixture.decision(plan, "m1-early").reasons == ["keep-monthly (2024-01, oldest)"])
        #expect(try Fixture.decision(plan, "m3").reasons == ["newest of group", "keep-monthly (2024-03)"])
    }

    /// keep-last counts snapshots, not periods; with more snapshots than the count, the oldest goes.
    @Test func keepLastKeepsTheNewestN() throws {
        let base = try Fixture.date(2026, 11, 26)
        let snaps = (0..<6).map { Fixture.snap("s\($0)", base.addingTimeInterval(Double($0) * 60)) }
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepLast: 3)))
        #expect(plan.kept == ["s5", "s4", "s3"])
        #expect(try Fixture.decision(plan, "s4").reasons == ["keep-last 3"])
        #expect(try Fixture.decision(plan, "s5").reasons == ["newest of group", "keep-last 3"])
        let unlimited = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepLast: -1)))
        #expect(unlimited.removed.isEmpty)
        #expect(try Fixture.decision(unlimited, "s0").reasons == ["keep-last unlimited"])
    }

    /// keep-hourly keeps the newest snapshot of each clock hour.
    @Test func keepHourlyNewestOfEachHour() throws {
        let snaps = [
            Fixture.snap("10:05", try Fixture.date(2026, 11, 26, 10, 5)),
            Fixture.snap("10:55", try Fixture.date(2026, 11, 26, 10, 55)),
            Fixture.snap("11:00", try Fixture.date(2026, 11, 26, 11, 0)),
            Fixture.snap("11:59", try Fixture.date(2026, 11, 26, 11, 59)),
            Fixture.snap("13:30", try Fixture.date(2026, 11, 26, 13, 30)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepHourly: 2)))
        #expect(plan.kept == ["13:30", "11:59"])
        #expect(try Fixture.decision(plan, "11:59").reasons == ["keep-hourly (2026-11-26 11:00)"])
    }

    /// keep-yearly uses the calendar year, keep-weekly the ISO week-numbering year.
    @Test func keepYearlyUsesCalendarYear() throws {
        let snaps = [
            Fixture.snap("2025-01-02", try Fixture.date(2025, 1, 2)),
            Fixture.snap("2024-12-30", try Fixture.date(2024, 12, 30)),
            Fixture.snap("2024-06-01", try Fixture.date(2024, 6, 1)),
            Fixture.snap("2023-06-01", try Fixture.date(2023, 6, 1)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepYearly: 2)))
        #expect(plan.kept == ["2025-01-02", "2024-12-30"])
        #expect(try Fixture.decision(plan, "2024-12-30").reasons == ["keep-yearly (2024)"])
    }
}
