import Foundation

/// The five calendar periods of the keep options, as integer keys on the wall clock of a zone.
///
/// Computed with proleptic-Gregorian day arithmetic from one `secondsFromGMT(for:)` call per
/// snapshot, because `Calendar.dateComponents` costs about ten times more and a plan may cover
/// millions of snapshots; tests check every key against `Calendar(identifier: .iso8601)`.
struct PeriodKeys: Hashable, Sendable {
    /// Local hours since 1970-01-01T00 (wall clock).
    var hour: Int
    /// Local days since 1970-01-01.
    var day: Int
    /// ISO week-numbering year × 100 + ISO week.
    var week: Int
    /// Year × 12 + (month − 1).
    var month: Int
    /// Calendar year.
    var year: Int

    /// Keys for `secondsSince1970` (already known to lie within years 1…9999) in `timeZone`.
    init(secondsSince1970 t: Double, timeZone: TimeZone) {
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: t))
        self.init(localSeconds: Int(t.rounded(.down)) + offset)
    }

    init(localSeconds local: Int) {
        hour = Self.floorDiv(local, 3600)
        day = Self.floorDiv(local, 86_400)
        let date = CivilDate(daysSince1970: day)
        month = date.year * 12 + date.month - 1
        year = date.year
        // ISO 8601: the week belongs to the year of its Thursday; 1970-01-01 was a Thursday.
        let isoWeekday = Self.floorMod(day + 3, 7) + 1
        let thursday = day - (isoWeekday - 4)
        let isoYear = CivilDate(daysSince1970: thursday).year
        let weekNumber = (thursday - CivilDate.daysSince1970(year: isoYear, month: 1, day: 1)) / 7 + 1
        week = isoYear * 100 + weekNumber
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int, _ b: Int) -> Int {
        a - floorDiv(a, b) * b
    }

    /// `2026-11-26 14:00`
    static func describeHour(_ key: Int) -> String {
        let date = CivilDate(daysSince1970: floorDiv(key, 24))
        return "\(date) \(twoDigits(floorMod(key, 24))):00"
    }

    /// `2026-11-26`
    static func describeDay(_ key: Int) -> String {
        CivilDate(daysSince1970: key).description
    }

    /// `2026-W48`
    static func describeWeek(_ key: Int) -> String {
        "\(fourDigits(floorDiv(key, 100)))-W\(twoDigits(floorMod(key, 100)))"
    }

    /// `2026-11`
    static func describeMonth(_ key: Int) -> String {
        "\(fourDigits(floorDiv(key, 12)))-\(twoDigits(floorMod(key, 12) + 1))"
    }

    /// `2026`
    static func describeYear(_ key: Int) -> String {
        fourDigits(key)
    }

    static func twoDigits(_ n: Int) -> String {
        n < 10 && n >= 0 ? "0\(n)" : "\(n)"
    }

    static func fourDigits(_ n: Int) -> String {
        guard n >= 0, n < 1000 else { return "\(n)" }
        let s = "\(n)"
        return String(repeating: "0", count: 4 - s.count) + s
    }
}

/// A proleptic-Gregorian date (H. Hinnant's `civil_from_days` / `days_from_civil`).
struct CivilDate: Hashable, Sendable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int

    init(daysSince1970 days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    var description: String {
        "\(PeriodKeys.fourDigits(year))-\(PeriodKeys.twoDigits(month))-\(PeriodKeys.twoDigits(day))"
    }
}
