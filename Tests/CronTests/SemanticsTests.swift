import Units
import Foundation
import Testing
@testable import Cron

/// The edge-case tables of reference/cron-staggering-retention.md (P*, D*), as gbsnap resolves them.
@Suite("Edge cases and DST")
struct SemanticsTests {
    func days(_ list: [String]) -> [String] { list.map { String($0.prefix(10)) } }

    @Test("P1: restricted day-of-month and day-of-week combine with OR")
    func domOrDow() throws {
        // 2026-01-01 is a Thursday; Feb 1 is a Sunday (the 1st), Feb 2 a Monday.
        #expect(days(try fires("0 0 1 * MON", after: "2026-01-01T00:00:00Z", count: 6))
            == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-01", "2026-02-02"])
    }

    @Test("P3: a day field starting with `*` makes the combination AND (Vixie rule)")
    func starPrefixAnd() throws {
        #expect(days(try fires("0 0 */2 * 2", after: "2024-01-01T00:00:00Z", count: 4))
            == ["2024-01-09", "2024-01-23", "2024-02-13", "2024-02-27"])
        #expect(days(try fires("0 0 ? * 2", after: "2024-01-01T00:00:00Z", count: 2)) == ["2024-01-02", "2024-01-09"])
    }

    @Test("P7, P8: days that exist only in some months or years")
    func shortMonths() throws {
        #expect(days(try fires("0 0 31 * *", after: "2026-01-31T00:00:00Z", count: 3)) == ["2026-03-31", "2026-05-31", "2026-07-31"])
        #expect(days(try fires("0 0 29 2 *", after: "2024-03-01T00:00:00Z", count: 2)) == ["2028-02-29", "2032-02-29"])
    }

    @Test("P16: a base time exactly on a match gives the next one")
    func strictlyAfter() throws {
        #expect(try fires("0 0 * * *", after: "2026-01-01T00:00:00Z", count: 1) == ["2026-01-02T00:00:00+00:00"])
        #expect(try fires("0 0 * * *", after: "2025-12-31T23:59:59.5Z", count: 1) == ["2026-01-01T00:00:00+00:00"])
    }

    @Test("P17: a day step restarts every month")
    func dayStepRestarts() throws {
        #expect(days(try fires("0 0 1/10 * *", after: "2024-01-31T00:00:00Z", count: 2)) == ["2024-02-01", "2024-02-11"])
    }

    @Test("P18: last and n-th weekday of the month")
    func lastAndNth() throws {
        #expect(days(try fires("0 0 * * 5#5", after: "2024-01-01T00:00:00Z", count: 4))
            == ["2024-03-29", "2024-05-31", "2024-08-30", "2024-11-29"])
        #expect(days(try fires("0 0 * * L5", after: "2024-01-01T00:00:00Z", count: 3)) == ["2024-01-26", "2024-02-23", "2024-03-29"])
        #expect(days(try fires("0 0 * * 5L", after: "2024-01-01T00:00:00Z", count: 3)) == ["2024-01-26", "2024-02-23", "2024-03-29"])
        #expect(days(try fires("0 0 * * fri#1", after: "2024-01-01T00:00:00Z", count: 2)) == ["2024-01-05", "2024-02-02"])
        #expect(days(try fires("0 0 ? * L", after: "2024-01-01T00:00:00Z", count: 2)) == ["2024-01-06", "2024-01-13"])
    }

    @Test("L, L-n and LW count back from the end of each month")
    func lastDays() throws {
        #expect(days(try fires("0 0 L * *", after: "2024-01-15T00:00:00Z", count: 3)) == ["2024-01-31", "2024-02-29", "2024-03-31"])
        #expect(days(try fires("0 0 L-2 * *", after: "2024-01-15T00:00:00Z", count: 3)) == ["2024-01-29", "2024-02-27", "2024-03-29"])
        #expect(days(try fires("0 0 LW * *", after: "2024-01-15T00:00:00Z", count: 3)) == ["2024-01-31", "2024-02-29", "2024-03-29"])
    }

    @Test("P19: nW is the nearest weekday and never leaves the month")
    func nearestWeekday() throws {
        // 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday July 31.
        #expect(days(try fires("0 0 1W 8 *", after: "2026-01-01T00:00:00Z", count: 1)) == ["2026-08-03"])
        // 2024-06-15 is a Saturday: 15W is Friday the 14th.
        #expect(days(try fires("0 0 15W 6 *", after: "2024-01-01T00:00:00Z", count: 1)) == ["2024-06-14"])
        // 2025-05-31 is a Saturday: 31W is Friday the 30th.
        #expect(days(try fires("0 0 31W 5 *", after: "2025-01-01T00:00:00Z", count: 1)) == ["2025-05-30"])
    }

    @Test("P10: an equal range is a single value (croniter would read JAN-JAN as every month)")
    func equalRange() throws {
        #expect(days(try fires("0 0 1 JAN-JAN *", after: "2026-01-01T00:00:00Z", count: 2)) == ["2027-01-01", "2028-01-01"])
    }

    @Test("H: stable for a key, inside its range, different across keys")
    func hashed() throws {
        let a1 = try CronExpression("H H * * *", hashKey: "nightly/order-api")
        let a2 = try CronExpression("H H * * *", hashKey: "nightly/order-api")
        #expect(a1 == a2)
        var distinct = Set<Date>()
        for i in 0..<50 {
            let cron = try CronExpression("H H(0-2) H * *", hashKey: "target-\(i)")
            let next = try #require(cron.next(after: at("2026-01-01T00:00:00Z"), in: utc))
            let text = ISO8601Offset.format(next, in: utc)
            #expect(Int(text.dropFirst(8).prefix(2))! <= 28)
            #expect(Int(text.dropFirst(11).prefix(2))! <= 2)
            distinct.insert(next)
        }
        #expect(distinct.count > 40)
        let stepped = try CronExpression("H/15 * * * *", hashKey: "k")
        let times = stepped.nextFireTimes(after: at("2026-01-01T00:00:00Z"), count: 4, in: utc)
        let minutes = times.map { Int($0.timeIntervalSince1970) / 60 % 60 }
        #expect(minutes.first! < 15)
        #expect(minutes == minutes.first.map { [$0, $0 + 15, $0 + 30, $0 + 45] })
        // The FNV-1a hash is fixed: these numbers may never change between releases.
        #expect(StableHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
    }

    // MARK: DST (reference table A.3), America/New_York unless noted.

    @Test("D1: a fixed time inside the spring-forward gap fires once, right after the jump")
    func springGapFixed() throws {
        #expect(try fires("30 2 * * *", after: "2024-03-09T12:00:00", count: 2, in: newYork)
            == ["2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"])
        #expect(try fires("*/15 2 * * *", after: "2024-03-10T00:00:00", count: 2, in: newYork)
            == ["2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00"])
        #expect(try fires("0,30 2,3 * * *", after: "2024-03-10T00:00:00", count: 3, in: newYork)
            == ["2024-03-10T03:00:00-04:00", "2024-03-10T03:30:00-04:00", "2024-03-11T02:00:00-04:00"])
        #expect(try fires("30 2 * * *", after: "2024-03-10T03:00:00-04:00", count: 1, in: newYork) == ["2024-03-11T02:30:00-04:00"])
        let cron = try CronExpression("30 2 * * *")
        #expect(cron.matches(at("2024-03-10T03:00:00-04:00"), in: newYork))
        #expect(!cron.matches(at("2024-03-10T03:30:00-04:00"), in: newYork))
    }

    @Test("D2: a wildcard-hour schedule follows real time across the gap")
    func springGapWildcard() throws {
        #expect(try fires("0 * * * *", after: "2024-03-10T00:30:00", count: 3, in: newYork)
            == ["2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-10T04:00:00-04:00"])
        #expect(try fires("30 * * * *", after: "2024-03-10T01:00:00", count: 2, in: newYork)
            == ["2024-03-10T01:30:00-05:00", "2024-03-10T03:30:00-04:00"])
    }

    @Test("D3, D8: a fixed time inside the repeated hour fires once, on its first occurrence")
    func fallBackFixed() throws {
        #expect(try fires("30 1 * * *", after: "2024-11-02T12:00:00", count: 2, in: newYork)
            == ["2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"])
        #expect(try fires("30 1 * * *", after: "2024-11-03T01:10:00-05:00", count: 1, in: newYork)
            == ["2024-11-04T01:30:00-05:00"])
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(try fires("0 2 * * *", after: "2024-10-26T12:00:00", count: 2, in: berlin)
            == ["2024-10-27T02:00:00+02:00", "2024-10-28T02:00:00+01:00"])
    }

    @Test("D4, D5: wildcard-hour schedules run on both copies of the repeated hour")
    func fallBackWildcard() throws {
        #expect(try fires("0 * * * *", after: "2024-11-03T00:30:00-04:00", count: 3, in: newYork)
            == ["2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"])
        #expect(try fires("*/30 * * * *", after: "2024-11-03T00:45:00-04:00", count: 5, in: newYork)
            == ["2024-11-03T01:00:00-04:00", "2024-11-03T01:30:00-04:00", "2024-11-03T01:00:00-05:00",
                "2024-11-03T01:30:00-05:00", "2024-11-03T02:00:00-05:00"])
        #expect(try fires("30 * * * *", after: "2024-11-03T01:10:00-05:00", count: 1, in: newYork) == ["2024-11-03T01:30:00-05:00"])
    }

    @Test("D6: a day without midnight fires at the jump (America/Santiago)")
    func noMidnight() throws {
        let santiago = TimeZone(identifier: "America/Santiago")!
        #expect(try fires("0 0 * * *", after: "2024-09-07T12:00:00", count: 2, in: santiago)
            == ["2024-09-08T01:00:00-03:00", "2024-09-09T00:00:00-03:00"])
    }

    @Test("D7: a 30-minute jump (Australia/Lord_Howe)")
    func halfHourJump() throws {
        let lordHowe = TimeZone(identifier: "Australia/Lord_Howe")!
        #expect(try fires("15 2 * * *", after: "2024-10-05T12:00:00", count: 2, in: lordHowe)
            == ["2024-10-06T02:30:00+11:00", "2024-10-07T02:15:00+11:00"])
    }

    @Test("A skipped calendar day (Pacific/Apia, 2011-12-30) is a gap like any other")
    func skippedDay() throws {
        let apia = TimeZone(identifier: "Pacific/Apia")!
        #expect(try fires("0 12 * * *", after: "2011-12-29T00:00:00", count: 3, in: apia)
            == ["2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"])
        #expect(try fires("0 * * * *", after: "2011-12-29T22:30:00", count: 2, in: apia)
            == ["2011-12-29T23:00:00-10:00", "2011-12-31T00:00:00+14:00"])
    }

    @Test("Dates far outside the calendar give no fire time instead of crashing")
    func extremeDates() throws {
        let cron = try CronExpression("* * * * *")
        #expect(cron.next(after: Date(timeIntervalSince1970: 1e300), in: utc) == nil)
        #expect(cron.next(after: Date(timeIntervalSince1970: -1e300), in: newYork) == nil)
        #expect(!cron.matches(Date(timeIntervalSince1970: .infinity), in: utc))
    }

    @Test("ISO 8601 with offsets: formatting and parsing")
    func iso8601() {
        #expect(ISO8601Offset.format(at("2026-03-08T07:00:00Z"), in: newYork) == "2026-03-08T03:00:00-04:00")
        #expect(ISO8601Offset.format(at("2026-03-08T07:00:00Z"), in: utc) == "2026-03-08T07:00:00+00:00")
        #expect(ISO8601Offset.format(at("2026-01-01T00:00:00Z"), in: TimeZone(identifier: "Asia/Kolkata")!) == "2026-01-01T05:30:00+05:30")
        #expect(ISO8601Offset.parse("2026-03-08T03:00:00-04:00") == Date(timeIntervalSince1970: 1_772_953_200))
        #expect(ISO8601Offset.parse("2026-03-08T07:00:00Z") == Date(timeIntervalSince1970: 1_772_953_200))
        #expect(ISO8601Offset.parse("2026-03-08 07:00+0000") == Date(timeIntervalSince1970: 1_772_953_200))
        #expect(ISO8601Offset.parse("2026-03-08T12:30:00+05:30") == Date(timeIntervalSince1970: 1_772_953_200))
        #expect(ISO8601Offset.parse("2026-03-08T03:00:00", in: newYork) == Date(timeIntervalSince1970: 1_772_953_200))
        #expect(ISO8601Offset.parse("2026-03-08T07:00:00.250Z") == Date(timeIntervalSince1970: 1_772_953_200.25))
        #expect(ISO8601Offset.parse("2026-03-08") == Date(timeIntervalSince1970: 1_772_928_000))
        // Wall times skipped by the jump move forward by its size; repeated ones are the first.
        #expect(ISO8601Offset.parse("2024-03-10T02:30", in: newYork) == at("2024-03-10T03:30:00-04:00"))
        #expect(ISO8601Offset.parse("2024-11-03T01:30", in: newYork) == at("2024-11-03T01:30:00-04:00"))
        for bad in ["", "2026", "2026-13-01", "2026-02-30", "2026-01-01T24:00", "2026-01-01T10:60", "2026-01-01T10:00:61",
                    "2026-01-01T10:00:00+", "2026-01-01T10:00:00Zx", "2026-01-01X10:00", "2026-01-01T10:00:00.", "tomorrow"] {
            #expect(ISO8601Offset.parse(bad) == nil, "\(bad)")
        }
    }
}
