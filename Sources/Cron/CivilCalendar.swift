/// Proleptic Gregorian date arithmetic on "naive wall seconds": seconds since 1970-01-01T00:00:00
/// of a wall clock that has no time zone. The cron search runs on these numbers; time zones are
/// applied afterwards (see `ZoneWalk`). Pure integer math, so it is fast and has no Foundation cost.
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Civil date of a day number (inverse of `days(year:month:day:)`).
    static func civil(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(y + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// 0 = Sunday … 6 = Saturday.
    static func weekday(days: Int64) -> Int {
        let w = (days + 4) % 7  // 1970-01-01 was a Thursday
        return Int(w < 0 ? w + 7 : w)
    }

    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func wall(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        days(year: year, month: month, day: day) * secondsPerDay
            + Int64(hour * 3600 + minute * 60 + second)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Splits naive wall seconds into civil fields.
    static func fields(wall: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let d = floorDiv(wall, secondsPerDay)
        let sod = Int(wall - d * secondsPerDay)
        let (y, m, dd) = civil(days: d)
        return (y, m, dd, sod / 3600, sod % 3600 / 60, sod % 60)
    }
}
