import CivilTime
import Foundation
import Testing

@testable import Retention

/// Periods are wall-clock hours, days, ISO 8601 weeks, months and years in the policy's zone.
@Suite struct CalendarPeriodTests {
    /// Sunday 23:30 and Monday 00:30 fall in different ISO weeks; 2024-12-30 is ISO 2025-W01.
    @Test func isoWeekBoundaryAtYearEnd() throws {
        let snaps = [
            Fixture.snap("mon-00:30", try Fixture.date(2024, 12, 30, 0, 30)),
            Fixture.snap("sun-23:30", try Fixture.date(2024, 12, 29, 23, 30)),
            Fixture.snap("sun-10:00", try Fixture.date(2024, 12, 29, 10, 0)),
            Fixture.snap("mon-23rd", try Fixture.date(2024, 12, 23, 9, 0)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepWeekly: 2)))
        #expect(plan.kept == ["mon-00:30", "sun-23:30"])
        #expect(try Fixture.decision(plan, "mon-00:30").reasons == ["newest of group", "keep-weekly (2025-W01)"])
        #expect(try Fixture.decision(plan, "sun-23:30").reasons == ["keep-weekly (2024-W52)"])
    }

    /// 2020 has 53 ISO weeks: 2020-12-28 … 2021-01-03 is 2020-W53.
    @Test func isoWeekFiftyThree() throws {
        let snaps = [
            Fixture.snap("2021-01-04", try Fixture.date(2021, 1, 4, 12)),
            Fixture.snap("2021-01-03", try Fixture.date(2021, 1, 3, 12)),
            Fixture.snap("2020-12-28", try Fixture.date(2020, 12, 28, 12)),
            Fixture.snap("2020-12-27", try Fixture.date(2020, 12, 27, 12)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepWeekly: 2)))
        #expect(plan.kept == ["2021-01-04", "2021-01-03"])
        #expect(try Fixture.decision(plan, "2021-01-03").reasons == ["keep-weekly (2020-W53)"])
    }

    /// America/New_York, 2024-11-03: 01:00–01:59 happens twice. Both copies are the same
    /// wall-clock hour, so keep-hourly keeps only the later one; the 25-hour day is one day.
    @Test func fallBackHourIsOneHourOnTheWallClock() throws {
        let newYork = try Fixture.zone("America/New_York")
        let snaps = [
            Fixture.snap("00:30 EDT", try Fixture.instant("2024-11-03T00:30:00-04:00")),
            Fixture.snap("01:30 EDT", try Fixture.instant("2024-11-03T01:30:00-04:00")),
            Fixture.snap("01:30 EST", try Fixture.instant("2024-11-03T01:30:00-05:00")),
            Fixture.snap("02:30 EST", try Fixture.instant("2024-11-03T02:30:00-05:00")),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepHourly: -1), timeZone: newYork))
        #expect(plan.kept == ["02:30 EST", "01:30 EST", "00:30 EDT"])
        #expect(try Fixture.decision(plan, "01:30 EST").reasons == ["keep-hourly (2024-11-03 01:00)"])
        // In UTC the four are four different hours.
        let utcPlan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepHourly: -1)))
        #expect(utcPlan.removed.isEmpty)
    }

    /// The 25-hour fall-back day is a single day in New York but spans two UTC days.
    @Test func fallBackDayInZoneVersusUTC() throws {
        let newYork = try Fixture.zone("America/New_York")
        let snaps = [
            Fixture.snap("11-04 08:00", try Fixture.date(2024, 11, 4, 8, in: newYork)),
            Fixture.snap("11-03 23:50", try Fixture.date(2024, 11, 3, 23, 50, in: newYork)),
            Fixture.snap("11-03 00:10", try Fixture.date(2024, 11, 3, 0, 10, in: newYork)),
            Fixture.snap("11-02 12:00", try Fixture.date(2024, 11, 2, 12, in: newYork)),
        ]
        let local = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 2), timeZone: newYork))
        #expect(local.kept == ["11-04 08:00", "11-03 23:50"])
        #expect(try Fixture.decision(local, "11-03 23:50").reasons == ["keep-daily (2024-11-03)"])
        // In UTC 23:50 EST is already 11-04 (04:50Z), so it shares a day with 11-04 08:00 EST.
        let utc = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 2)))
        #expect(utc.kept == ["11-04 08:00", "11-03 00:10"])
    }

    /// Spring forward, 2024-03-10: the 23-hour day. Snapshots two minutes apart across local
    /// midnight are different days in New York and the same day in UTC.
    @Test func springForwardDay() throws {
        let newYork = try Fixture.zone("America/New_York")
        let snaps = [
            Fixture.snap("03-10 23:59 EDT", try Fixture.date(2024, 3, 10, 23, 59, in: newYork)),
            Fixture.snap("03-10 03:30 EDT", try Fixture.date(2024, 3, 10, 3, 30, in: newYork)),
            Fixture.snap("03-10 00:01 EST", try Fixture.date(2024, 3, 10, 0, 1, in: newYork)),
            Fixture.snap("03-09 23:59 EST", try Fixture.date(2024, 3, 9, 23, 59, in: newYork)),
            Fixture.snap("03-09 12:00 EST", try Fixture.date(2024, 3, 9, 12, 0, in: newYork)),
        ]
        let plan = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 2), timeZone: newYork))
        #expect(plan.kept == ["03-10 23:59 EDT", "03-09 23:59 EST"])
        // 03-09 23:59 EST = 03-10 04:59Z and 03-10 00:01 EST = 05:01Z: one UTC day; 03-10 23:59 EDT is 03-11 UTC.
        let utc = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepDaily: 2)))
        #expect(utc.kept == ["03-10 23:59 EDT", "03-10 03:30 EDT"])
    }

    /// Asia/Kolkata is UTC+05:30, so local hours straddle UTC hours.
    @Test func halfHourOffsetZoneHours() throws {
        let kolkata = try Fixture.zone("Asia/Kolkata")
        let snaps = [
            Fixture.snap("10:40Z", try Fixture.instant("2024-06-01T10:40:00Z")),
            Fixture.snap("10:20Z", try Fixture.instant("2024-06-01T10:20:00Z")),
            Fixture.snap("09:00Z", try Fixture.instant("2024-06-01T09:00:00Z")),
        ]
        let local = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepHourly: -1), timeZone: kolkata))
        #expect(local.removed.isEmpty)
        #expect(try Fixture.decision(local, "10:20Z").reasons == ["keep-hourly (2024-06-01 15:00)"])
        let utc = try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepHourly: -1)))
        #expect(utc.removed == ["10:20Z"])
    }

    /// The planner's integer period keys agree with `Calendar(identifier: .iso8601)` for random
    /// instants in zones with DST, half- and quarter-hour offsets, and historical offsets.
    @Test(arguments: [
        "UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
        "Pacific/Chatham", "Asia/Shanghai", "Europe/Dublin", "America/Sao_Paulo", "Pacific/Apia",
    ])
    func periodKeysMatchFoundationCalendar(zoneID: String) throws {
        let zone = try Fixture.zone(zoneID)
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        var random = SeededGenerator(seed: UInt64(zoneID.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        for _ in 0..<3000 {
            // 1900-01-01 … 2100-01-01
            let t = Double(Int64.random(in: -2_208_988_800...4_102_444_800, using: &random))
            let date = Date(timeIntervalSince1970: t)
            let keys = PeriodKeys(secondsSince1970: t, timeZone: zone)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .yearForWeekOfYear, .weekOfYear], from: date)
            let year = try #require(c.year)
            let month = try #require(c.month)
            let day = try #require(c.day)
            #expect(keys.year == year)
            #expect(keys.month == year * 12 + month - 1)
            #expect(PeriodKeys.describeDay(keys.day) == String(format: "%04d-%02d-%02d", year, month, day))
            #expect(CivilCalendar.floorMod(keys.hour, 24) == c.hour)
            #expect(keys.week == (try #require(c.yearForWeekOfYear)) * 100 + (try #require(c.weekOfYear)))
        }
    }

    @Test func periodKeyDescriptions() {
        #expect(PeriodKeys.describeHour(PeriodKeys(localSeconds: 1_795_651_200 + 14 * 3600).hour) == "2026-11-26 14:00")
        #expect(PeriodKeys.describeWeek(2026_48) == "2026-W48")
        #expect(PeriodKeys.describeWeek(2026_01) == "2026-W01")
        #expect(PeriodKeys.describeMonth(2026 * 12 + 10) == "2026-11")
        #expect(PeriodKeys.describeYear(987) == "0987")
        #expect(PeriodKeys.describeDay(-1) == "1969-12-31")
    }
}
