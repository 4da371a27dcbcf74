import Units
import Foundation
import Testing
@testable import Cron

/// Random expressions from the plain Vixie grammar (no L/W/#/H), checked against an independent,
/// deliberately naive matcher that reads wall-clock fields with Foundation's `Calendar`.
struct NaiveCron {
    let minutes: Set<Int>, hours: Set<Int>, doms: Set<Int>, months: Set<Int>, dows: Set<Int>
    let domStar: Bool, dowStar: Bool

    init(_ text: String) {
        let f = text.split(separator: " ").map(String.init)
        // `openHi` ends `*` and `n/step`: 6 for day-of-week, where 7 is only an alias of Sunday (as in croniter).
        func expand(_ field: String, _ lo: Int, _ hi: Int, openHi: Int? = nil) -> Set<Int> {
            var out = Set<Int>()
            for item in field.split(separator: ",") {
                let parts = item.split(separator: "/")
                let step = parts.count == 2 ? Int(parts[1])! : 1
                var a = lo, b = openHi ?? hi
                if parts[0] != "*" {
                    let r = parts[0].split(separator: "-")
                    a = Int(r[0])!
                    b = r.count == 2 ? Int(r[1])! : (parts.count == 2 ? (openHi ?? hi) : a)
                    if openHi != nil && a == 7 { a = 0; if b == 7 { b = 0 } }
                }
                var v = a
                while v <= b { out.insert(v); v += step }
            }
            return out
        }
        minutes = expand(f[0], 0, 59); hours = expand(f[1], 0, 23); doms = expand(f[2], 1, 31)
        months = expand(f[3], 1, 12)
        dows = Set(expand(f[4], 0, 7, openHi: 6).map { $0 % 7 })
        domStar = f[2].hasPrefix("*"); dowStar = f[4].hasPrefix("*")
    }

    func matches(_ c: DateComponents) -> Bool {
        guard minutes.contains(c.minute!), hours.contains(c.hour!), months.contains(c.month!) else { return false }
        let dom = doms.contains(c.day!), dow = dows.contains(c.weekday! - 1)
        return domStar || dowStar ? dom && dow : dom || dow
    }

    static func random(_ rng: inout SeededGenerator, wildcardHour: Bool? = nil) -> String {
        func field(_ lo: Int, _ hi: Int, star: Int) -> String {
            // No equal ranges such as `9-9`: croniter reads those as the whole cycle (reference P10).
            let a = Int.random(in: lo..<hi, using: &rng), b = Int.random(in: (a + 1)...hi, using: &rng)
            let s = Int.random(in: 1...max(1, (hi - lo) / 2), using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0..<star: return "*"
            case star: return "*/\(s)"
            case star + 1: return "\(a)-\(b)"
            case star + 2: return "\(a)-\(b)/\(s)"
            case star + 3: return "\(a)/\(s)"
            case star + 4: return "\(a),\(b)"
            default: return "\(a)"
            }
        }
        var hour = field(0, 23, star: 2)
        if wildcardHour == true, !hour.hasPrefix("*") { hour = "*" }
        if wildcardHour == false, hour.hasPrefix("*") { hour = String(Int.random(in: 0...23, using: &rng)) }
        return [field(0, 59, star: 2), hour, field(1, 31, star: 3), field(1, 12, star: 3), field(0, 7, star: 3)].joined(separator: " ")
    }
}

@Suite("Properties")
struct PropertyTests {
    func calendar(_ zone: TimeZone) -> Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        return c
    }

    /// All instants in (from, from + minutes) whose wall clock in `zone` matches, by brute force.
    func bruteForce(_ naive: NaiveCron, from: Date, minutes: Int, zone: TimeZone) -> [Date] {
        let cal = calendar(zone)
        return (1..<minutes).compactMap { m in
            let d = from.addingTimeInterval(TimeInterval(m * 60))
            return naive.matches(cal.dateComponents([.minute, .hour, .day, .month, .weekday], from: d)) ? d : nil
        }
    }

    @Test("In UTC, next() yields exactly the brute-force matches, strictly increasing, and each one matches")
    func utcNeverSkips() throws {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<120 {
            let text = NaiveCron.random(&rng)
            let cron = try CronExpression(text)
            let from = Date(timeIntervalSince1970: TimeInterval(Int.random(in: 1_600_000_000...1_900_000_000, using: &rng) / 60 * 60))
            let window = 3 * 1440
            let expected = bruteForce(NaiveCron(text), from: from, minutes: window, zone: utc)
            let got = cron.fireTimes(after: from, through: from.addingTimeInterval(TimeInterval((window - 1) * 60)), in: utc)
            #expect(got == expected, "\(text) from \(from)")
            #expect(zip(got, got.dropFirst()).allSatisfy { $0 < $1 })
            #expect(got.allSatisfy { cron.matches($0, in: utc) })
        }
    }

    @Test("Across DST days, wildcard-hour schedules fire exactly at the instants whose wall clock matches")
    func wildcardHourFollowsRealTime() throws {
        var rng = SeededGenerator(state: 7)
        let days = ["2024-03-10T00:00:00", "2024-11-03T00:00:00", "2025-03-09T00:00:00", "2025-11-02T00:00:00"]
        for i in 0..<80 {
            let text = NaiveCron.random(&rng, wildcardHour: true)
            let cron = try CronExpression(text)
            let from = at(days[i % days.count], newYork).addingTimeInterval(-3600)
            let expected = bruteForce(NaiveCron(text), from: from, minutes: 6 * 60, zone: newYork)
            let got = cron.fireTimes(after: from, through: from.addingTimeInterval(359 * 60), in: newYork)
            #expect(got == expected, "\(text) from \(from)")
        }
    }

    @Test("Across DST days, fixed-time schedules fire once per matching wall time: never twice, never skipped")
    func fixedTimeOncePerWallTime() throws {
        var rng = SeededGenerator(state: 9)
        let cal = calendar(newYork)
        let days = ["2024-03-10T00:00:00", "2024-11-03T00:00:00"]
        for i in 0..<80 {
            let text = NaiveCron.random(&rng, wildcardHour: false)
            let cron = try CronExpression(text)
            let naive = NaiveCron(text)
            let from = at(days[i % 2], newYork).addingTimeInterval(-3600)
            let until = from.addingTimeInterval(6 * 3600)
            let got = cron.fireTimes(after: from, through: until, in: newYork)
            #expect(zip(got, got.dropFirst()).allSatisfy { $0 < $1 })
            // Every fire has a matching wall clock, or is the jump instant (03:00 EDT) of a skipped match.
            for d in got {
                let c = cal.dateComponents([.minute, .hour, .day, .month, .weekday], from: d)
                #expect(naive.matches(c) || (c.hour == 3 && c.minute == 0 && c.month == 3), "\(text) fired at \(d)")
            }
            // Wall times seen for the first time that match are all fired; a repeated wall time never fires again.
            var seen = Set<String>()
            for m in 1..<(6 * 60) {
                let d = from.addingTimeInterval(TimeInterval(m * 60))
                let c = cal.dateComponents([.minute, .hour, .day, .month, .weekday], from: d)
                let key = "\(c.day!)-\(c.hour!)-\(c.minute!)"
                let first = seen.insert(key).inserted
                if naive.matches(c) { #expect(got.contains(d) == first, "\(text) at \(d)") }
            }
        }
    }

    @Test("next() over years does not step minute by minute: 10,000 yearly fires resolve")
    func longRange() throws {
        let cron = try CronExpression("0 0 29 2 *")
        let times = cron.nextFireTimes(after: at("2000-01-01T00:00:00Z"), count: 50, in: newYork)
        #expect(times.count == 50)
        #expect(ISO8601Offset.format(times[49], in: newYork) == "2204-02-29T00:00:00-05:00")
    }
}
