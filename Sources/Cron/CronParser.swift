/// Parses the fields of a 5- or 6-field expression into `CronFields`.
struct CronParser {
    let source: String
    let chars: [Character]
    let hashSeed: UInt64
    private var hashOrdinal: UInt64 = 0

    init(source: String, hashKey: String) {
        self.source = source
        self.chars = Array(source)
        self.hashSeed = StableHash.fnv1a64(hashKey)
    }

    typealias Field = CronExpression.Field

    struct Parsed {
        var fields: CronFields
        var hourWildcard: Bool
    }

    private func fail(_ field: Field?, _ index: Int?, _ expected: String, found: String? = nil) -> CronParseError {
        CronParseError(expression: source, field: field, position: index.map { $0 + 1 }, expected: expected, found: found)
    }

    /// Splits on blanks; returns (start, end) index pairs into `chars`.
    static func splitFields(_ chars: [Character], from: Int = 0) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        var i = from
        while i < chars.count {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
            guard i < chars.count else { break }
            let start = i
            while i < chars.count, !chars[i].isWhitespace { i += 1 }
            out.append((start, i))
        }
        return out
    }

    mutating func parse(_ spans: [(Int, Int)]) throws(CronParseError) -> Parsed {
        let order: [Field]
        switch spans.count {
        case 5: order = [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        case 6: order = [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        default:
            throw fail(nil, spans.count > 6 ? spans[6].0 : nil,
                       "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found \(spans.count)")
        }
        var fields = CronFields()
        var hourWildcard = false
        for (field, span) in zip(order, spans) {
            var acc = Accumulator()
            try parseField(field, span.0, span.1, &acc)
            switch field {
            case .second: fields.seconds = acc.bits
            case .minute: fields.minutes = acc.bits
            case .hour:
                fields.hours = acc.bits
                hourWildcard = chars[span.0] == "*"
            case .month: fields.months = acc.bits
            case .dayOfMonth:
                fields.days.domStar = acc.star
                fields.days.domDays = acc.bits
                fields.days.domLastOffsets = acc.lastOffsets
                fields.days.domNearestWeekday = acc.nearestWeekday
                fields.days.domLastWeekday = acc.lastWeekday
            case .dayOfWeek:
                fields.days.dowStar = acc.star
                fields.days.dowDays = acc.bits
                fields.days.dowLast = acc.dowLast
                fields.days.dowNth = acc.dowNth
            }
        }
        return Parsed(fields: fields, hourWildcard: hourWildcard)
    }

    struct Accumulator {
        var bits: UInt64 = 0
        var star = false
        var lastOffsets: UInt64 = 0
        var nearestWeekday: UInt64 = 0
        var lastWeekday = false
        var dowLast: UInt64 = 0
        var dowNth: UInt64 = 0
    }

    static func bounds(_ f: Field) -> ClosedRange<Int> {
        switch f {
        case .second, .minute: return 0...59
        case .hour: return 0...23
        case .dayOfMonth: return 1...31
        case .month: return 1...12
        case .dayOfWeek: return 0...7
        }
    }

    static func describe(_ f: Field) -> String {
        switch f {
        case .second: return "a second 0-59"
        case .minute: return "a minute 0-59"
        case .hour: return "an hour 0-23"
        case .dayOfMonth: return "a day of month 1-31"
        case .month: return "a month 1-12 or JAN-DEC"
        case .dayOfWeek: return "a day of week 0-7 or SUN-SAT"
        }
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    private func text(_ s: Int, _ e: Int) -> String { String(chars[s..<e]) }

    private mutating func parseField(_ f: Field, _ s: Int, _ e: Int, _ acc: inout Accumulator) throws(CronParseError) {
        acc.star = chars[s] == "*" || chars[s] == "?"
        var itemStart = s
        var i = s
        while i <= e {
            if i == e || chars[i] == "," {
                if itemStart == i {
                    throw fail(f, i, "expected \(Self.describe(f)) in the list", found: i < e ? "," : "")
                }
                try parseItem(f, itemStart, i, &acc)
                itemStart = i + 1
            }
            i += 1
        }
    }

    /// Reads a number or a name at `i`; returns the value and the index after it.
    private func value(_ f: Field, _ i: Int, _ e: Int) throws(CronParseError) -> (Int, Int) {
        guard i < e else { throw fail(f, i, "expected \(Self.describe(f))", found: "") }
        var j = i
        if chars[i].isASCII && chars[i].isNumber {
            var v = 0
            while j < e, chars[j].isASCII, chars[j].isNumber {
                v = min(v * 10 + Int(chars[j].asciiValue! - 48), 1_000_000)
                j += 1
            }
            guard Self.bounds(f).contains(v) else { throw fail(f, i, "expected \(Self.describe(f))", found: text(i, j)) }
            return (v, j)
        }
        if chars[i].isASCII && chars[i].isLetter {
            while j < e, chars[j].isASCII, chars[j].isLetter { j += 1 }
            let name = text(i, j).uppercased()
            let table: [String]
            switch f {
            case .month: table = Self.monthNames
            case .dayOfWeek: table = Self.dayNames
            default:
                throw fail(f, i, "expected \(Self.describe(f)) (names are only allowed in the month and day-of-week fields)", found: text(i, j))
            }
            guard let idx = table.firstIndex(of: name) else {
                throw fail(f, i, "expected \(Self.describe(f))", found: text(i, j))
            }
            return (f == .month ? idx + 1 : idx, j)
        }
        throw fail(f, i, "expected \(Self.describe(f))", found: String(chars[i]))
    }

    private func number(_ f: Field, _ i: Int, _ e: Int, what: String) throws(CronParseError) -> (Int, Int) {
        var j = i
        var v = 0
        while j < e, chars[j].isASCII, chars[j].isNumber {
            v = min(v * 10 + Int(chars[j].asciiValue! - 48), 1_000_000)
            j += 1
        }
        guard j > i else { throw fail(f, i, "expected \(what)", found: i < e ? String(chars[i]) : "") }
        return (v, j)
    }

    private func step(_ f: Field, _ i: Int, _ e: Int) throws(CronParseError) -> Int {
        let (n, j) = try number(f, i, e, what: "a step number after \"/\"")
        guard j == e else { throw fail(f, j, "expected \",\" or the end of the field after the step", found: String(chars[j])) }
        guard n >= 1 else { throw fail(f, i, "expected a step of at least 1", found: text(i, j)) }
        return n
    }

    private func expectEnd(_ f: Field, _ j: Int, _ e: Int, after: String) throws(CronParseError) {
        guard j == e else { throw fail(f, j, "expected \",\" or the end of the field after \(after)", found: String(chars[j])) }
    }

    /// Adds `a...b` (wrapping when a > b) stepping by `step` to the field bits.
    private static func addRange(_ f: Field, _ a0: Int, _ b0: Int, step: Int, _ acc: inout Accumulator) {
        var (a, b) = (a0, b0)
        var ring = bounds(f)
        if f == .dayOfWeek {
            if b == 0 && a > 0 { b = 7 }  // cronie: `N-0` means `N-7`
            if a == 7 { a = 0; if b == 7 { b = 0 } }
            if a > b { ring = 0...6 }
        }
        let span = ring.upperBound - ring.lowerBound + 1
        let length = a <= b ? b - a + 1 : (b - a + span) % span + 1
        for j in stride(from: 0, to: length, by: step) {
            var v = a <= b ? a + j : ring.lowerBound + (a - ring.lowerBound + j) % span
            if f == .dayOfWeek && v == 7 { v = 0 }
            acc.bits |= 1 << UInt64(v)
        }
    }

    private mutating func hashed(_ f: Field, _ n: Int) -> Int {
        hashOrdinal += 1
        let fieldIndex = UInt64(CronExpression.Field.allCases.firstIndex(of: f) ?? 0)
        return Int(StableHash.mix(hashSeed ^ (fieldIndex << 32) ^ hashOrdinal) % UInt64(n))
    }

    private mutating func parseItem(_ f: Field, _ s: Int, _ e: Int, _ acc: inout Accumulator) throws(CronParseError) {
        let c = chars[s]
        let upper = text(s, e).uppercased()
        let full = Self.bounds(f)

        if c == "*" {
            let range = f == .dayOfWeek ? 0...6 : full
            if s + 1 == e { Self.addRange(f, range.lowerBound, range.upperBound, step: 1, &acc); return }
            guard chars[s + 1] == "/" else {
                throw fail(f, s + 1, "expected \"/\", \",\" or the end of the field after \"*\"", found: String(chars[s + 1]))
            }
            Self.addRange(f, range.lowerBound, range.upperBound, step: try step(f, s + 2, e), &acc)
            return
        }
        if c == "?" {
            guard f == .dayOfMonth || f == .dayOfWeek else {
                throw fail(f, s, "expected \(Self.describe(f)) (\"?\" is only allowed in the day-of-month and day-of-week fields)", found: "?")
            }
            try expectEnd(f, s + 1, e, after: "\"?\"")
            acc.star = true
            Self.addRange(f, full.lowerBound, f == .dayOfWeek ? 6 : full.upperBound, step: 1, &acc)
            return
        }
        if c == "H" || c == "h" {
            var lo = full.lowerBound, hi = f == .dayOfWeek ? 6 : full.upperBound
            if f == .dayOfMonth { hi = 28 }  // Jenkins: every month has days 1-28
            var j = s + 1
            if j < e, chars[j] == "(" {
                let (a, j1) = try value(f, j + 1, e)
                guard j1 < e, chars[j1] == "-" else {
                    throw fail(f, j1, "expected \"-\" in the hash range H(a-b)", found: j1 < e ? String(chars[j1]) : "")
                }
                let (b, j2) = try value(f, j1 + 1, e)
                guard j2 < e, chars[j2] == ")" else {
                    throw fail(f, j2, "expected \")\" to close the hash range H(a-b)", found: j2 < e ? String(chars[j2]) : "")
                }
                guard a <= b else { throw fail(f, j + 1, "expected a hash range H(a-b) with a <= b", found: text(j + 1, j2)) }
                (lo, hi, j) = (a, b, j2 + 1)
            }
            let size = hi - lo + 1
            if j < e, chars[j] == "/" {
                let n = try step(f, j + 1, e)
                guard n <= size else {
                    throw fail(f, j + 1, "expected a step no larger than the hash range \(lo)-\(hi)", found: String(n))
                }
                Self.addRange(f, lo + hashed(f, n), hi, step: n, &acc)
                return
            }
            try expectEnd(f, j, e, after: "\"H\"")
            let v = lo + hashed(f, size)
            Self.addRange(f, v, v, step: 1, &acc)
            return
        }
        if f == .dayOfMonth {
            if upper == "L" { acc.lastOffsets |= 1; return }
            if upper == "LW" { acc.lastWeekday = true; return }
            if upper.hasPrefix("L-") {
                let (n, j) = try number(f, s + 2, e, what: "a number of days 0-30 after \"L-\"")
                try expectEnd(f, j, e, after: "\"L-n\"")
                guard n <= 30 else { throw fail(f, s + 2, "expected a number of days 0-30 after \"L-\"", found: text(s + 2, j)) }
                acc.lastOffsets |= 1 << UInt64(n)
                return
            }
            if upper.hasSuffix("W"), e - s >= 2 {
                let (n, j) = try value(f, s, e - 1)
                try expectEnd(f, j, e - 1, after: "the day")
                acc.nearestWeekday |= 1 << UInt64(n)
                return
            }
        }
        if f == .dayOfWeek {
            if upper == "L" { acc.bits |= 1 << 6; return }  // Quartz: `L` alone is the last day of the week, Saturday
            if c == "L" || c == "l" {
                let (w, j) = try value(f, s + 1, e)
                try expectEnd(f, j, e, after: "\"Ln\"")
                acc.dowLast |= 1 << UInt64(w % 7)
                return
            }
        }
        let (a, j) = try value(f, s, e)
        if j == e { Self.addRange(f, a, a, step: 1, &acc); return }
        switch chars[j] {
        case "-":
            let (b, j2) = try value(f, j + 1, e)
            if j2 == e { Self.addRange(f, a, b, step: 1, &acc); return }
            guard chars[j2] == "/" else {
                throw fail(f, j2, "expected \"/\", \",\" or the end of the field after the range", found: String(chars[j2]))
            }
            Self.addRange(f, a, b, step: try step(f, j2 + 1, e), &acc)
        case "/":
            // `n/step` means `n-max/step` (robfig, croniter, Quartz).
            Self.addRange(f, a, f == .dayOfWeek ? 6 : full.upperBound, step: try step(f, j + 1, e), &acc)
        case "L" where f == .dayOfWeek, "l" where f == .dayOfWeek:
            try expectEnd(f, j + 1, e, after: "\"nL\"")
            acc.dowLast |= 1 << UInt64(a % 7)
        case "#" where f == .dayOfWeek:
            let (k, j2) = try number(f, j + 1, e, what: "an occurrence 1-5 after \"#\"")
            try expectEnd(f, j2, e, after: "\"n#k\"")
            guard (1...5).contains(k) else { throw fail(f, j + 1, "expected an occurrence 1-5 after \"#\"", found: text(j + 1, j2)) }
            acc.dowNth |= 1 << UInt64((a % 7) * 5 + k - 1)
        default:
            let extra: String
            switch f {
            case .dayOfMonth: extra = ", \"W\""
            case .dayOfWeek: extra = ", \"L\", \"#\""
            default: extra = ""
            }
            throw fail(f, j, "expected \"-\", \"/\"\(extra), \",\" or the end of the field", found: String(chars[j]))
        }
    }
}

/// Hashing that is identical in every process and on every platform (unlike Swift's `Hasher`).
public enum StableHash {
    /// 64-bit FNV-1a over the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The splitmix64 finaliser: spreads the bits of `x` so that nearby inputs give unrelated outputs.
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
