import CivilTime
import Foundation

/// A parsed cron expression with a next-fire engine.
///
/// Syntax (Vixie cron / cronie, with croniter/Quartz/Jenkins extensions):
/// - 5 fields `minute hour day-of-month month day-of-week`, or 6 with a leading `second` field.
/// - `*`, lists `a,b`, ranges `a-b` (a reversed range such as `22-2` or `FRI-MON` wraps), steps
///   `a-b/n`, `*/n`, `n/n` (= `n-max/n`). A step never carries into the next hour/day.
/// - Names `JAN`–`DEC` and `SUN`–`SAT` in any case; day of week `0` and `7` are Sunday.
/// - `?` in day-of-month or day-of-week means `*`.
/// - Day of month: `L` (last day), `L-n` (n days before the last day), `nW` (weekday nearest day n,
///   never leaving the month), `LW` (last weekday of the month).
/// - Day of week: `nL` or `Ln` (last weekday n of the month), `L` alone (Saturday, as in Quartz),
///   `n#k` (k-th weekday n of the month, k = 1…5).
/// - Jenkins-style `H`, `H(a-b)`, `H/n`, `H(a-b)/n`: a value derived from `hashKey` with 64-bit
///   FNV-1a (stable across processes and platforms). The day-of-month `H` range is 1–28.
/// - Macros `@yearly`/`@annually` (`0 0 1 1 *`), `@monthly` (`0 0 1 * *`), `@weekly` (`0 0 * * 0`),
///   `@daily`/`@midnight` (`0 0 * * *`), `@hourly` (`0 * * * *`); they are not hashed.
/// - `@every DURATION` (`90s`, `1h30m`, `2d`, units `w d h m s`, whole seconds): fires at every
///   multiple of the duration counted from 1970-01-01T00:00:00Z. robfig/cron counts from the
///   moment the job is added instead; anchoring at the epoch keeps the phase across restarts and
///   makes the result independent of the time zone.
///
/// Day-of-month and day-of-week combine with OR when both are restricted and with AND when either
/// field starts with `*` or `?` (the classic Vixie rule: `0 0 */2 * 1` means odd days that are Mondays).
///
/// Time zones and DST: matching happens on the wall clock of the zone. When the hour field starts
/// with `*` the schedule follows real elapsed time: wall times that do not exist (spring forward)
/// never fire and a repeated hour (fall back) fires on both copies. Otherwise it is a fixed-time
/// schedule: any matching wall times inside a spring-forward gap fire once, at the instant of the
/// jump, and a matching wall time inside a repeated hour fires once, on its first occurrence.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text the expression was parsed from, as given.
    public let source: String
    /// The hash key used for `H` fields.
    public let hashKey: String
    let rule: Rule

    enum Rule: Sendable, Hashable {
        case fields(CronFields, hourWildcard: Bool)
        case every(seconds: Int64)
    }

    /// A field of a cron expression.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case second
        case minute
        case hour
        case dayOfMonth = "day-of-month"
        case month
        case dayOfWeek = "day-of-week"
    }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `text`; `hashKey` seeds `H` fields (e.g. `"<schedule>/<target>"`).
    ///
    /// Throws when the text is malformed or when no date can ever match (e.g. `0 0 30 2 *`).
    public init(_ text: String, hashKey: String = "") throws(CronParseError) {
        self.source = text
        self.hashKey = hashKey
        let chars = Array(text)
        let spans = CronParser.splitFields(chars)
        guard let first = spans.first else {
            throw CronParseError(expression: text, field: nil, position: nil,
                                 expected: "expected 5 or 6 fields or a macro such as @daily, found an empty expression")
        }
        if chars[first.0] == "@" {
            let name = String(chars[first.0..<first.1]).lowercased()
            if name == "@every" {
                guard spans.count == 2 else {
                    throw CronParseError(expression: text, field: nil, position: spans.count > 2 ? spans[2].0 + 1 : first.1 + 1,
                                         expected: "expected one duration after @every, such as \"@every 90s\" or \"@every 1h30m\"")
                }
                let arg = String(chars[spans[1].0..<spans[1].1])
                guard let seconds = EveryDuration.seconds(arg) else {
                    throw CronParseError(expression: text, field: nil, position: spans[1].0 + 1,
                                         expected: "expected a duration of whole seconds, at least 1s, made of numbers with units w, d, h, m, s (such as 90s or 1h30m)",
                                         found: arg)
                }
                self.rule = .every(seconds: seconds)
                return
            }
            guard let expansion = Self.macros[name] else {
                throw CronParseError(expression: text, field: nil, position: first.0 + 1,
                                     expected: "expected one of the macros @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every DURATION",
                                     found: String(chars[first.0..<first.1]))
            }
            guard spans.count == 1 else {
                throw CronParseError(expression: text, field: nil, position: spans[1].0 + 1,
                                     expected: "expected nothing after \(name)", found: String(chars[spans[1].0..<spans[1].1]))
            }
            var parser = CronParser(source: expansion, hashKey: hashKey)
            let parsed = try parser.parse(CronParser.splitFields(Array(expansion)))
            self.rule = .fields(parsed.fields, hourWildcard: parsed.hourWildcard)
            return
        }
        var parser = CronParser(source: text, hashKey: hashKey)
        let parsed = try parser.parse(spans)
        // A 400-year window is one full Gregorian cycle: no match inside it means none ever.
        let start = CivilCalendar.wall(year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0)
        let end = CivilCalendar.wall(year: 2400, month: 1, day: 1, hour: 0, minute: 0, second: 0)
        if parsed.fields.firstMatch(from: start, before: end) == nil {
            throw CronParseError(expression: text, field: nil, position: nil,
                                 expected: "it can never fire (\(Self.neverFiresReason(parsed.fields)))")
        }
        self.rule = .fields(parsed.fields, hourWildcard: parsed.hourWildcard)
    }

    static func neverFiresReason(_ f: CronFields) -> String {
        let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                          "September", "October", "November", "December"]
        let days = f.days
        let onlyPlainDays = days.dowStar && days.domLastOffsets == 0 && days.domLastWeekday == false
        if onlyPlainDays {
            let months = (1...12).filter { f.months & (1 << UInt64($0)) != 0 }
            let maxDays = months.map { CivilCalendar.daysInMonth(year: 2000, month: $0) }.max() ?? 31
            let wanted = (days.domDays | days.domNearestWeekday)
            if let smallest = (1...31).first(where: { wanted & (1 << UInt64($0)) != 0 }), smallest > maxDays {
                let names = months.map { monthNames[$0 - 1] }
                return names.count == 1 ? "\(names[0]) has no day \(smallest)"
                    : "none of \(names.joined(separator: ", ")) has a day \(smallest)"
            }
        }
        return "no date matches its day-of-month, month and day-of-week fields together"
    }

    /// The source text.
    public var description: String { source }

    /// True when the expression follows real elapsed time across DST changes (hour field starting
    /// with `*`, or `@every`), false for fixed-time schedules.
    public var followsElapsedTime: Bool {
        switch rule {
        case .every: return true
        case .fields(_, let wildcard): return wildcard
        }
    }

    /// The first fire time strictly after `date`, in `timeZone`; nil if there is none within 400 years.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        // Beyond ±30 million years Int64 seconds and calendar math stop being meaningful.
        guard abs(date.timeIntervalSince1970) < 1e15 else { return nil }
        let t = Int64(floor(date.timeIntervalSince1970))
        switch rule {
        case .every(let period):
            return Date(timeIntervalSince1970: TimeInterval((CivilCalendar.floorDiv(t, period) + 1) * period))
        case .fields(let fields, let wildcard):
            return ZoneWalk(timeZone: timeZone).next(fields, fixedTime: !wildcard, atOrAfter: t + 1)
                .map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }

    /// The next `count` fire times strictly after `date`, in increasing order (fewer if the
    /// expression stops firing within 400 years).
    public func nextFireTimes(after date: Date, count: Int, in timeZone: TimeZone) -> [Date] {
        var out: [Date] = []
        out.reserveCapacity(max(0, min(count, 100_000)))
        var cursor = date
        while out.count < count, let n = next(after: cursor, in: timeZone) {
            out.append(n)
            cursor = n
        }
        return out
    }

    /// Every fire time `t` with `from < t <= until`.
    public func fireTimes(after from: Date, through until: Date, in timeZone: TimeZone) -> [Date] {
        var out: [Date] = []
        var cursor = from
        while let n = next(after: cursor, in: timeZone), n <= until {
            out.append(n)
            cursor = n
        }
        return out
    }

    /// True when the expression fires exactly at `date` (a whole second) in `timeZone`.
    public func matches(_ date: Date, in timeZone: TimeZone) -> Bool {
        let t = date.timeIntervalSince1970
        guard t == t.rounded(.down) else { return false }
        return next(after: Date(timeIntervalSince1970: t - 1), in: timeZone) == date
    }
}

/// Parses `@every` durations: a sequence of `<number><unit>` with units w, d, h, m, s.
enum EveryDuration {
    static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["w": 604_800, "d": 86_400, "h": 3600, "m": 60, "s": 1]
        var total: Int64 = 0
        var number: Int64? = nil
        for c in text.lowercased() {
            if let digit = c.wholeNumberValue, c.isASCII {
                let n = (number ?? 0).multipliedReportingOverflow(by: 10)
                guard !n.overflow, n.partialValue < 1 << 40 else { return nil }
                number = n.partialValue + Int64(digit)
            } else if let unit = units[c], let n = number {
                total += n * unit
                guard total < 1 << 50 else { return nil }
                number = nil
            } else {
                return nil
            }
        }
        guard number == nil, total >= 1 else { return nil }
        return total
    }
}

/// Walks a time zone's constant-offset segments and maps naive wall-clock matches to instants.
struct ZoneWalk {
    let timeZone: TimeZone
    static let horizon: Int64 = 400 * 366 * 86_400

    func offset(_ t: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))))
    }

    func transition(after t: Int64) -> Int64? {
        timeZone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(t)))
            .map { Int64(ceil($0.timeIntervalSince1970)) }
    }

    /// The first fire instant `>= start` (Unix seconds).
    func next(_ fields: CronFields, fixedTime: Bool, atOrAfter start: Int64) -> Int64? {
        let limit = start + Self.horizon
        // Find the constant-offset segment containing `start`, and the transition that began it if it
        // was recent enough (2 days) to matter for a repeated hour.
        var segmentStart: Int64? = nil
        var previousOffset: Int64 = 0
        var end = transition(after: start - 2 * 86_400)
        while let e = end, e <= start {
            segmentStart = e
            previousOffset = offset(e - 1)
            end = transition(after: e)
        }
        var cursor = start
        var currentOffset = offset(start)
        for _ in 0..<5_000 {
            var lowWall = cursor + currentOffset
            if fixedTime, let a = segmentStart {
                if currentOffset > previousOffset, a >= cursor,
                   fields.firstMatch(from: a + previousOffset, before: a + currentOffset) != nil {
                    return a  // matching wall times skipped by the jump fire once, right after it
                }
                if currentOffset < previousOffset {
                    lowWall = max(lowWall, a + previousOffset)  // repeated wall times already fired
                }
            }
            let segmentEnd = min(end ?? limit, limit)
            if let wall = fields.firstMatch(from: lowWall, before: segmentEnd + currentOffset) {
                let instant = wall - currentOffset
                if offset(instant) == currentOffset { return instant }
                // The offset changed without a reported transition (some zones' non-DST changes):
                // find where, end the segment there, and search again.
                var lo = cursor, hi = instant
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2
                    if offset(mid) == currentOffset { lo = mid } else { hi = mid }
                }
                end = hi
                continue
            }
            guard let e = end, e < limit else { return nil }
            segmentStart = e
            previousOffset = currentOffset
            cursor = e
            currentOffset = offset(e)
            end = transition(after: e)
        }
        return nil
    }
}
