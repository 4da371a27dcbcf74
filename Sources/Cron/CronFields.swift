import CivilTime

/// The parsed, bit-set form of a field-based cron expression, and the naive-calendar search over it.
struct CronFields: Sendable, Hashable {
    var seconds: UInt64 = 1  // bit n = second n; 5-field expressions fire at second 0
    var minutes: UInt64 = 0
    var hours: UInt64 = 0
    var months: UInt64 = 0  // bits 1...12
    var days = DayRule()

    /// The day-of-month / day-of-week part, which depends on the year and month.
    struct DayRule: Sendable, Hashable {
        /// Field text started with `*` or `?`: unrestricted for the DOM/DOW combination rule.
        var domStar = false
        var dowStar = false
        var domDays: UInt64 = 0  // bits 1...31
        /// `L` is offset 0, `L-n` is offset n (days before the last day of the month).
        var domLastOffsets: UInt64 = 0
        /// `nW`: bit n set.
        var domNearestWeekday: UInt64 = 0
        /// `LW`: the last weekday (Monday–Friday) of the month.
        var domLastWeekday = false
        var dowDays: UInt64 = 0  // bits 0...6
        /// `nL` / `Ln`: bit n = last weekday n of the month.
        var dowLast: UInt64 = 0
        /// `n#k`: bit n*5 + (k-1).
        var dowNth: UInt64 = 0

        /// Bit d (1...31) set when day d of the month matches.
        func mask(year: Int, month: Int) -> UInt64 {
            let dim = CivilCalendar.daysInMonth(year: year, month: month)
            let allDays: UInt64 = ((1 << UInt64(dim + 1)) - 1) & ~1
            let first = CivilCalendar.weekday(days: CivilCalendar.days(year: year, month: month, day: 1))
            func weekday(_ d: Int) -> Int { (first + d - 1) % 7 }

            var dom = domDays & allDays
            if domLastOffsets != 0 {
                for off in 0..<31 where domLastOffsets & (1 << UInt64(off)) != 0 && dim - off >= 1 {
                    dom |= 1 << UInt64(dim - off)
                }
            }
            if domNearestWeekday != 0 {
                for n in 1...31 where domNearestWeekday & (1 << UInt64(n)) != 0 && n <= dim {
                    dom |= 1 << UInt64(Self.nearestWeekday(to: n, daysInMonth: dim, weekday: weekday))
                }
            }
            if domLastWeekday {
                var d = dim
                while weekday(d) == 0 || weekday(d) == 6 { d -= 1 }
                dom |= 1 << UInt64(d)
            }

            var dow: UInt64 = 0
            if dowDays != 0 || dowLast != 0 || dowNth != 0 {
                for d in 1...dim {
                    let w = weekday(d)
                    if dowDays & (1 << UInt64(w)) != 0 { dow |= 1 << UInt64(d) }
                    if dowLast & (1 << UInt64(w)) != 0 && d + 7 > dim { dow |= 1 << UInt64(d) }
                    if dowNth & (1 << UInt64(w * 5 + (d - 1) / 7)) != 0 { dow |= 1 << UInt64(d) }
                }
            }

            // Vixie cron: OR when both fields are restricted, AND when either starts with `*`.
            // A `*` field holds all its values, so AND keeps what the other field restricts.
            return domStar || dowStar ? dom & dow : dom | dow
        }

        /// Quartz/croniter `nW`: the weekday nearest day n, never crossing into another month.
        static func nearestWeekday(to n: Int, daysInMonth dim: Int, weekday: (Int) -> Int) -> Int {
            switch weekday(n) {
            case 6: return n == 1 ? 3 : n - 1  // Saturday: Friday before, or Monday 3rd
            case 0: return n == dim ? n - 2 : n + 1  // Sunday: Monday after, or Friday before
            default: return n
            }
        }
    }

    /// Lowest set bit at index >= `from`, or nil.
    @inline(__always)
    static func nextBit(_ bits: UInt64, from: Int) -> Int? {
        guard from < 64 else { return nil }
        let masked = bits & (~UInt64(0) << UInt64(from))
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    /// The first naive wall time `w` with `lo <= w < hi` that matches every field, or nil.
    func firstMatch(from lo: Int64, before hi: Int64) -> Int64? {
        guard lo < hi else { return nil }
        var (y, m, d, h, mi, s) = CivilCalendar.fields(wall: lo)
        var cachedMask: (year: Int, month: Int, mask: UInt64) = (Int.min, 0, 0)
        while true {
            // Lower bound of what is still possible; once it reaches `hi` there is no match.
            if CivilCalendar.wall(year: y, month: m, day: d, hour: min(h, 23), minute: min(mi, 59), second: min(s, 59)) >= hi {
                return nil
            }
            guard months & (1 << UInt64(m)) != 0 else {
                if let nm = Self.nextBit(months, from: m + 1), nm <= 12 {
                    m = nm
                } else {
                    y += 1
                    m = Self.nextBit(months, from: 1) ?? 1
                }
                (d, h, mi, s) = (1, 0, 0, 0)
                continue
            }
            if cachedMask.year != y || cachedMask.month != m {
                cachedMask = (y, m, days.mask(year: y, month: m))
            }
            guard let nd = Self.nextBit(cachedMask.mask, from: d) else {
                if m == 12 { (y, m) = (y + 1, 1) } else { m += 1 }
                (d, h, mi, s) = (1, 0, 0, 0)
                continue
            }
            if nd != d { (d, h, mi, s) = (nd, 0, 0, 0) }
            guard let nh = Self.nextBit(hours, from: h), nh < 24 else {
                (d, h, mi, s) = (d + 1, 0, 0, 0)  // d may exceed the month: the mask search moves on
                continue
            }
            if nh != h { (h, mi, s) = (nh, 0, 0) }
            guard let nmi = Self.nextBit(minutes, from: mi), nmi < 60 else {
                (h, mi, s) = (h + 1, 0, 0)
                continue
            }
            if nmi != mi { (mi, s) = (nmi, 0) }
            guard let ns = Self.nextBit(seconds, from: s), ns < 60 else {
                (mi, s) = (mi + 1, 0)
                continue
            }
            let w = CivilCalendar.wall(year: y, month: m, day: d, hour: h, minute: mi, second: ns)
            return w < hi ? w : nil
        }
    }
}
