import CivilTime
import Foundation
import Testing

/// `CivilCalendar` is the proleptic Gregorian calendar: it agrees with Foundation's Gregorian
/// calendar in UTC wherever Foundation is Gregorian (after the 1582 switch from the Julian
/// calendar), and keeps the same rules before it and before year 1.
@Suite struct CivilCalendarTests {
    /// Foundation's Gregorian calendar in UTC, the oracle.
    func utcCalendar() throws -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        return calendar
    }

    /// Day numbers of 1600-01-01 and 2400-12-31.
    let firstDay: Int64 = -135_140
    let lastDay: Int64 = 157_419

    @Test func knownDaysAndDates() {
        let fixedPoints: [(date: (year: Int, month: Int, day: Int), days: Int64)] = [
            ((1970, 1, 1), 0),
            ((1969, 12, 31), -1),
            ((2000, 2, 29), 11_016),
            ((2000, 3, 1), 11_017),
            ((1900, 3, 1), -25_508),
            ((1600, 1, 1), -135_140),
            ((2400, 12, 31), 157_419),
            ((1, 1, 1), -719_162),
            ((0, 3, 1), -719_468),  // year 0 (1 BC) is a leap year
            ((0, 1, 1), -719_528),
            ((-1, 12, 31), -719_529),
        ]
        for (date, days) in fixedPoints {
            #expect(CivilCalendar.days(year: date.year, month: date.month, day: date.day) == days, "\(date)")
            let back = CivilCalendar.civil(days: days)
            #expect(back.year == date.year && back.month == date.month && back.day == date.day, "\(days)")
        }
    }

    @Test func knownWeekdays() {
        #expect(CivilCalendar.weekday(days: 0) == 4)  // 1970-01-01, Thursday
        #expect(CivilCalendar.weekday(days: -1) == 3)  // 1969-12-31, Wednesday
        #expect(CivilCalendar.weekday(days: 11_017) == 3)  // 2000-03-01, Wednesday
        #expect(CivilCalendar.weekday(days: -135_140) == 6)  // 1600-01-01, Saturday
        #expect(CivilCalendar.weekday(days: 157_419) == 0)  // 2400-12-31, Sunday
        #expect(CivilCalendar.weekday(days: -719_162) == 1)  // 0001-01-01, Monday
    }

    /// Every day from 1600-01-01 to 2400-12-31: the date and weekday are Foundation's, and the
    /// date maps back to the same day number.
    @Test func everyDayFrom1600To2400MatchesFoundation() throws {
        let calendar = try utcCalendar()
        var mismatches: [String] = []
        for days in firstDay...lastDay {
            let date = Date(timeIntervalSince1970: TimeInterval(days * CivilCalendar.secondsPerDay))
            let c = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
            let civil = CivilCalendar.civil(days: days)
            let weekday = CivilCalendar.weekday(days: days)
            let back = CivilCalendar.days(year: civil.year, month: civil.month, day: civil.day)
            if civil.year != c.year || civil.month != c.month || civil.day != c.day || weekday + 1 != c.weekday || back != days {
                mismatches.append("day \(days): \(civil) weekday \(weekday) back \(back); Foundation \(c)")
                if mismatches.count == 5 { break }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func monthLengthsAndLeapYearsFrom1600To2400MatchFoundation() throws {
        let calendar = try utcCalendar()
        for year in 1600...2400 {
            let newYear = Date(timeIntervalSince1970: TimeInterval(CivilCalendar.days(year: year, month: 1, day: 1) * 86_400))
            let daysInYear = try #require(calendar.range(of: .day, in: .year, for: newYear)).count
            #expect(CivilCalendar.isLeap(year) == (daysInYear == 366), "\(year)")
            for month in 1...12 {
                let first = Date(timeIntervalSince1970: TimeInterval(CivilCalendar.days(year: year, month: month, day: 1) * 86_400))
                let length = try #require(calendar.range(of: .day, in: .month, for: first)).count
                #expect(CivilCalendar.daysInMonth(year: year, month: month) == length, "\(year)-\(month)")
            }
        }
    }

    @Test func leapYearRules() {
        #expect(CivilCalendar.isLeap(2024))
        #expect(!CivilCalendar.isLeap(2026))
        #expect(!CivilCalendar.isLeap(1900))
        #expect(CivilCalendar.isLeap(2000))
        #expect(CivilCalendar.isLeap(0))
        #expect(CivilCalendar.isLeap(-4))
        #expect(!CivilCalendar.isLeap(-100))
        #expect(CivilCalendar.isLeap(-400))
        #expect(CivilCalendar.daysInMonth(year: 1900, month: 2) == 28)
        #expect(CivilCalendar.daysInMonth(year: 2000, month: 2) == 29)
    }

    /// Walking day by day from year -2000 to 6000, where Foundation is no oracle, each day number
    /// is the date after the previous one by the month lengths and leap rule.
    @Test func consecutiveDaysFollowTheCalendarRulesFromYearMinus2000To6000() {
        var expected = (year: -2000, month: 1, day: 1)
        let start = CivilCalendar.days(year: -2000, month: 1, day: 1)
        let end = CivilCalendar.days(year: 6001, month: 1, day: 1)
        var mismatches: [String] = []
        for days in start..<end {
            let civil = CivilCalendar.civil(days: days)
            let back = CivilCalendar.days(year: civil.year, month: civil.month, day: civil.day)
            if civil != expected || back != days {
                mismatches.append("day \(days): \(civil) back \(back), expected \(expected)")
                if mismatches.count == 5 { break }
            }
            expected.day += 1
            if expected.day > CivilCalendar.daysInMonth(year: expected.year, month: expected.month) {
                expected.day = 1
                expected.month += 1
                if expected.month > 12 { (expected.year, expected.month) = (expected.year + 1, 1) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(expected == (6001, 1, 1))
        // -2000...6000 has 2001 multiples of 4, of which 81 are centuries and 21 of those multiples of 400.
        #expect(end - start == 8001 * 365 + (2001 - 81 + 21))
    }

    /// Days past the end of the month and hour 24 move on linearly (the cron search relies on it).
    @Test func outOfRangeFieldsMoveOn() {
        #expect(CivilCalendar.days(year: 2026, month: 2, day: 29) == CivilCalendar.days(year: 2026, month: 3, day: 1))
        #expect(CivilCalendar.days(year: 2026, month: 12, day: 32) == CivilCalendar.days(year: 2027, month: 1, day: 1))
        #expect(CivilCalendar.days(year: 2026, month: 3, day: 0) == CivilCalendar.days(year: 2026, month: 2, day: 28))
        #expect(CivilCalendar.wall(year: 2026, month: 11, day: 26, hour: 24, minute: 0, second: 0)
            == CivilCalendar.wall(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0))
        #expect(CivilCalendar.wall(year: 2026, month: 11, day: 26, hour: 23, minute: 59, second: 60)
            == CivilCalendar.wall(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0))
    }

    @Test func wallSecondsOfKnownTimes() {
        #expect(CivilCalendar.wall(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0) == 0)
        #expect(CivilCalendar.wall(year: 2026, month: 11, day: 26, hour: 2, minute: 0, second: 0) == 1_795_658_400)
        let beforeEpoch = CivilCalendar.fields(wall: -1)
        #expect(beforeEpoch == (1969, 12, 31, 23, 59, 59))
        #expect(CivilCalendar.fields(wall: -86_400) == (1969, 12, 31, 0, 0, 0))
        #expect(CivilCalendar.fields(wall: -86_401) == (1969, 12, 30, 23, 59, 59))
    }

    /// Wall seconds read as UTC split into Foundation's fields and back, across 1600…2400.
    @Test func wallSecondsMatchFoundationInUTC() throws {
        let calendar = try utcCalendar()
        let first = firstDay * CivilCalendar.secondsPerDay
        let last = (lastDay + 1) * CivilCalendar.secondsPerDay - 1
        var mismatches: [String] = []
        // A stride prime to 86 400 spreads the samples over the times of day.
        for t in stride(from: first, through: last, by: 7_777_777) + [-1, 0, 1, last] {
            let f = CivilCalendar.fields(wall: t)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                            from: Date(timeIntervalSince1970: TimeInterval(t)))
            let back = CivilCalendar.wall(year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute, second: f.second)
            if f.year != c.year || f.month != c.month || f.day != c.day || f.hour != c.hour || f.minute != c.minute
                || f.second != c.second || back != t {
                mismatches.append("\(t): \(f) back \(back); Foundation \(c)")
                if mismatches.count == 5 { break }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// `floorDiv` and `floorMod` round towards negative infinity for every sign combination, in
    /// `Int` and `Int64` alike.
    @Test func floorDivisionRoundsDown() {
        for a in -100...100 {
            for b in [-86_400, -7, -3, -1, 1, 2, 7, 24, 3600] {
                let q = Int((Double(a) / Double(b)).rounded(.down))
                #expect(CivilCalendar.floorDiv(a, b) == q, "\(a) / \(b)")
                #expect(CivilCalendar.floorDiv(Int64(a), Int64(b)) == Int64(q), "\(a) / \(b)")
                let r = CivilCalendar.floorMod(a, b)
                #expect(r == a - q * b, "\(a) mod \(b)")
                #expect(r == 0 || (r < 0) == (b < 0), "\(a) mod \(b) takes the sign of \(b)")
            }
        }
        #expect(CivilCalendar.floorDiv(-1, 3600) == -1)
        #expect(CivilCalendar.floorMod(-1, 7) == 6)
        #expect(CivilCalendar.floorDiv(Int64(-86_400), CivilCalendar.secondsPerDay) == -1)
        #expect(CivilCalendar.floorDiv(Int64(-86_401), CivilCalendar.secondsPerDay) == -2)
    }
}
