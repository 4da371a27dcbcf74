import CivilTime
import Foundation

/// ISO 8601 timestamps as gbsnap reads and writes them.
///
/// Written: UTC with a `Z` and whole seconds (`2026-11-26T02:00:00Z`), or with milliseconds
/// where precision matters. Read: anything an operator would type — a date, minutes, seconds,
/// fractions, `Z` or `±hh:mm` offsets; without an offset the time is in `defaultZone`.
public enum Timestamp {
    /// `2026-11-26T02:00:00Z`.
    public static func formatUTC(_ date: Date) -> String {
        format(date, in: TimeZone(identifier: "UTC")!, fractionalSeconds: false)
    }

    /// `2026-11-26T02:00:00.123Z`.
    public static func formatUTCMillis(_ date: Date) -> String {
        format(date, in: TimeZone(identifier: "UTC")!, fractionalSeconds: true)
    }

    /// `2026-03-08T03:00:00-04:00` (or `Z` in UTC).
    public static func format(_ date: Date, in zone: TimeZone, fractionalSeconds: Bool = false) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        if fractionalSeconds {
            s += String(format: ".%03d", (c.nanosecond ?? 0) / 1_000_000)
        }
        let offset = zone.secondsFromGMT(for: date)
        if offset == 0 && zone.identifier == "UTC" || zone.identifier == "GMT" {
            return s + "Z"
        }
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        return s + String(format: "%@%02d:%02d", sign, a / 3600, (a % 3600) / 60)
    }

    /// Parses an ISO 8601 time as every command reads one (`--since`, `--until`, `--from`, `--now`,
    /// `--taken-at`, selectors): `2026-11-26`, `2026-11-26T02:00`, `2026-11-26T02:00:00`, `...:00.5`, with `Z`,
    /// `+08:00`, `+0800`, `+08` or no offset (then wall time in `defaultZone`, DST resolved as
    /// ``ISO8601Offset/parse(_:in:)`` documents); a space may stand for `T`; blanks around are ignored.
    /// The one time parser: this is ``ISO8601Offset/parse(_:in:)``.
    public static func parse(_ text: String, defaultZone: TimeZone = .current) -> Date? {
        ISO8601Offset.parse(text.trimmingCharacters(in: .whitespaces), in: defaultZone)
    }
}

extension Timestamp {
    /// Fast formatter for UTC times with milliseconds (`2026-11-26T02:00:00.000Z`), without
    /// Calendar: the catalog formats and parses millions of these.
    public static func formatUTCFast(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = CivilCalendar.floorDiv(totalMillis, 1000)
        let millis = Int(totalMillis - seconds * 1000)
        let f = CivilCalendar.fields(wall: seconds)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(f.year, 4))-\(pad(f.month, 2))-\(pad(f.day, 2))T\(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2)).\(pad(millis, 3))Z"
    }

    /// Parses exactly the output of `formatUTCFast` (or without milliseconds); nil otherwise.
    public static func parseUTCFast(_ text: String) -> Date? {
        var utf8 = Array(text.utf8)
        guard utf8.count == 24 || utf8.count == 20, utf8.last == UInt8(ascii: "Z") else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                let c = utf8[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard utf8[4] == 45, utf8[7] == 45, utf8[10] == 84, utf8[13] == 58, utf8[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var ms = 0
        if utf8.count == 24 {
            guard utf8[19] == 46, let v = num(20, 3) else { return nil }
            ms = v
        }
        utf8.removeAll()
        let total = CivilCalendar.wall(year: y, month: mo, day: d, hour: h, minute: mi, second: s) * 1000 + Int64(ms)
        return Date(timeIntervalSince1970: Double(total) / 1000)
    }
}
