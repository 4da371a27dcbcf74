import CivilTime
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
        hour = CivilCalendar.floorDiv(local, 3600)
        day = CivilCalendar.floorDiv(local, 86_400)
        let date = CivilCalendar.civil(days: Int64(day))
        month = date.year * 12 + date.month - 1
        year = date.year
        // ISO 8601: the week belongs to the year of its Thursday; 1970-01-01 was a Thursday.
        let isoWeekday = CivilCalendar.floorMod(day + 3, 7) + 1
        let thursday = day - (isoWeekday - 4)
        let isoYear = CivilCalendar.civil(days: Int64(thursday)).year
        let weekNumber = (thursday - Int(CivilCalendar.days(year: isoYear, month: 1, day: 1))) / 7 + 1
        week = isoYear * 100 + weekNumber
    }

    /// `2026-11-26 14:00`
    static func describeHour(_ key: Int) -> String {
        "\(describeDay(CivilCalendar.floorDiv(key, 24))) \(twoDigits(CivilCalendar.floorMod(key, 24))):00"
    }

    /// `2026-11-26`
    static func describeDay(_ key: Int) -> String {
        let date = CivilCalendar.civil(days: Int64(key))
        return "\(fourDigits(date.year))-\(twoDigits(date.month))-\(twoDigits(date.day))"
    }

    /// `2026-W48`
    static func describeWeek(_ key: Int) -> String {
        "\(fourDigits(CivilCalendar.floorDiv(key, 100)))-W\(twoDigits(CivilCalendar.floorMod(key, 100)))"
    }

    /// `2026-11`
    static func describeMonth(_ key: Int) -> String {
        "\(fourDigits(CivilCalendar.floorDiv(key, 12)))-\(twoDigits(CivilCalendar.floorMod(key, 12) + 1))"
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
