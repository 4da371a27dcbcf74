import CivilTime
import Foundation

/// ISO 8601 timestamps with an explicit UTC offset, e.g. `2026-03-08T03:00:00-04:00`.
public enum ISO8601Offset {
    /// Formats `date` (whole seconds, rounded down) as wall time in `timeZone` with its offset;
    /// UTC is written `+00:00`.
    public static func format(_ date: Date, in timeZone: TimeZone) -> String {
        let t = Int64(floor(date.timeIntervalSince1970))
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))))
        let f = CivilCalendar.fields(wall: t + offset)
        let sign = offset < 0 ? "-" : "+"
        let abs = offset < 0 ? -offset : offset
        var out = pad(f.year, 4) + "-" + pad(f.month, 2) + "-" + pad(f.day, 2)
        out += "T" + pad(f.hour, 2) + ":" + pad(f.minute, 2) + ":" + pad(f.second, 2)
        out += sign + pad(Int(abs / 3600), 2) + ":" + pad(Int(abs % 3600 / 60), 2)
        return out
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v < 0 ? -v : v)
        return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// Parses `YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|±hh[:mm]]` (a space may replace `T`).
    ///
    /// Without an offset the wall time is read in `timeZone`: a time repeated by a DST fall-back is
    /// its first occurrence; a time skipped by a spring-forward jump is moved forward by the size of
    /// the jump (02:30 on a day that jumps from 02:00 to 03:00 is 03:30). A date alone is midnight.
    /// Returns nil when the text is not such a timestamp or a field is out of range.
    public static func parse(_ text: String, in timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> Date? {
        let c = Array(text.utf8)
        var i = 0
        func num(_ width: Int) -> Int? {
            guard i + width <= c.count else { return nil }
            var v = 0
            for k in i..<(i + width) {
                guard c[k] >= 48, c[k] <= 57 else { return nil }
                v = v * 10 + Int(c[k] - 48)
            }
            i += width
            return v
        }
        func take(_ ch: UInt8) -> Bool {
            guard i < c.count, c[i] == ch else { return false }
            i += 1
            return true
        }
        guard let year = num(4), take(45), let month = num(2), take(45), let day = num(2),
              (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        if i < c.count, c[i] == UInt8(ascii: "T") || c[i] == UInt8(ascii: "t") || c[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = num(2), take(58), let m = num(2), h <= 23, m <= 59 else { return nil }
            (hour, minute) = (h, m)
            if take(58) {
                guard let s = num(2), s <= 59 else { return nil }
                second = s
                if take(46) {
                    var scale = 0.1
                    let before = i
                    while i < c.count, c[i] >= 48, c[i] <= 57 {
                        fraction += Double(c[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                    guard i > before else { return nil }
                }
            }
        }
        let wall = CivilCalendar.wall(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        var instant: Int64
        if i == c.count {
            instant = resolve(wall: wall, in: timeZone)
        } else if c[i] == UInt8(ascii: "Z") || c[i] == UInt8(ascii: "z") {
            i += 1
            guard i == c.count else { return nil }
            instant = wall
        } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            let negative = c[i] == UInt8(ascii: "-")
            i += 1
            guard let oh = num(2), oh <= 23 else { return nil }
            var om = 0
            if i < c.count {
                _ = take(58)
                guard let m = num(2), m <= 59 else { return nil }
                om = m
            }
            guard i == c.count else { return nil }
            let offset = Int64(oh * 3600 + om * 60)
            instant = wall - (negative ? -offset : offset)
        } else {
            return nil
        }
        return Date(timeIntervalSince1970: TimeInterval(instant) + fraction)
    }

    /// The instant of a naive wall time in `timeZone` (first occurrence; gap times shifted forward).
    static func resolve(wall: Int64, in timeZone: TimeZone) -> Int64 {
        func offset(_ t: Int64) -> Int64 { Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t)))) }
        let before = offset(wall - 86_400)
        let after = offset(wall + 86_400)
        let candidates = [wall - before, wall - after].filter { offset($0) == wall - $0 }.sorted()
        if let first = candidates.first { return first }
        return wall - before  // in a gap: read with the offset in force before the jump
    }
}
