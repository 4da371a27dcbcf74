/// Proleptic Gregorian calendar arithmetic on day numbers and "naive wall seconds", with no
/// time zones and no Foundation.
///
/// A day number counts days since 1970-01-01 (negative before it). Naive wall seconds count
/// seconds since 1970-01-01T00:00:00 of a wall clock that has no time zone: UTC seconds are naive
/// wall seconds in UTC, and a zone's local time is UTC seconds plus the zone's offset. Callers
/// apply zones themselves; this is pure integer math (Howard Hinnant's `days_from_civil` and
/// `civil_from_days`), valid for every date whose day number fits in `Int64`, and several times
/// cheaper than `Calendar.dateComponents`.
///
/// The functions are `@inlinable` because the catalog, the retention planner and the cron search
/// call them millions of times from other modules.
public enum CivilCalendar {
    /// Seconds in a civil day (leap seconds are not counted, as in Unix time).
    public static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 of the civil date `year`-`month`-`day`.
    ///
    /// `month` must be 1…12. `day` may run past the end of the month (or be 0 or negative): the
    /// result then moves on linearly, so `days(year: 2026, month: 2, day: 29)` is the day number
    /// of 2026-03-01.
    @inlinable
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        // Years start on March 1, so the leap day is the last day of the year.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = Int64((month + 9) % 12)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of day number `days` (days since 1970-01-01); the inverse of
    /// `days(year:month:day:)`.
    @inlinable
    public static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Day of the week of day number `days`: 0 = Sunday … 6 = Saturday (cron's numbering).
    @inlinable
    public static func weekday(days: Int64) -> Int {
        Int(floorMod(days + 4, 7))  // 1970-01-01 was a Thursday
    }

    /// Whether `year` has a February 29.
    @inlinable
    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// Number of days in `month` (1…12) of `year`.
    @inlinable
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `a / b` rounded towards negative infinity (Swift's `/` rounds towards zero), so that
    /// `floorDiv(-1, 86_400)` is day -1, not day 0. `b` must not be zero.
    @inlinable
    public static func floorDiv<T: BinaryInteger>(_ a: T, _ b: T) -> T {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// The remainder that goes with `floorDiv`: it has the sign of `b`, so
    /// `floorMod(-1, 7)` is 6. `b` must not be zero.
    @inlinable
    public static func floorMod<T: BinaryInteger>(_ a: T, _ b: T) -> T {
        a - floorDiv(a, b) * b
    }

    /// Naive wall seconds of a civil date and time of day.
    ///
    /// Like `days(year:month:day:)`, fields past their range move on linearly (hour 24 is
    /// midnight of the next day).
    @inlinable
    public static func wall(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        days(year: year, month: month, day: day) * secondsPerDay + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Splits naive wall seconds into civil date and time-of-day fields; the inverse of
    /// `wall(year:month:day:hour:minute:second:)` for in-range fields.
    @inlinable
    public static func fields(wall: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let dayNumber = floorDiv(wall, secondsPerDay)
        let secondOfDay = Int(wall - dayNumber * secondsPerDay)
        let date = civil(days: dayNumber)
        return (date.year, date.month, date.day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }
}
