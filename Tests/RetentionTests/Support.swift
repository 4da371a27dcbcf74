import Foundation
import Testing

@testable import Retention

/// Builders shared by the retention tests.
enum Fixture {
    static let utc = TimeZone(identifier: "UTC")!

    static func zone(_ identifier: String) throws -> TimeZone {
        try #require(TimeZone(identifier: identifier))
    }

    /// A wall-clock time in `timeZone`, built with Foundation's Gregorian calendar.
    static func date(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
        in timeZone: TimeZone = utc
    ) throws -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return try #require(calendar.date(from: components))
    }

    /// An ISO 8601 timestamp with an explicit offset, for instants a wall-clock time cannot name
    /// (the repeated hour of a DST fall-back).
    static func instant(_ text: String) throws -> Date {
        try Date.ISO8601FormatStyle().parse(text)
    }

    static func snap(
        _ id: String, _ takenAt: Date, target: String = "order-api", kinds: [String] = ["heap"],
        labels: [String: String] = [:], schedule: String = "hourly", bytes: Int64 = 1, pinned: Bool = false
    ) -> RetentionCandidate {
        RetentionCandidate(
            id: id, target: target, kinds: kinds, labels: labels, schedule: schedule,
            takenAt: takenAt, bytes: bytes, pinned: pinned)
    }

    /// One snapshot a day at `hour`:00 UTC from `first` for `days` days, ids `yyyy-MM-dd`.
    static func daily(from first: Date, days: Int, target: String = "order-api") -> [RetentionCandidate] {
        (0..<days).map { i in
            let t = first.addingTimeInterval(Double(i) * 86_400)
            return snap(utcDay(t), t, target: target)
        }
    }

    /// `yyyy-MM-dd` of an instant in UTC (via Foundation's calendar, independent of the planner).
    static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    static func policy(_ rules: RetentionRule..., timeZone: TimeZone = utc) -> RetentionPolicy {
        RetentionPolicy(rules: rules, timeZone: timeZone)
    }

    static func plan(
        _ candidates: [RetentionCandidate], _ policy: RetentionPolicy, now: Date? = nil
    ) throws -> RetentionPlan {
        let newest = candidates.map(\.takenAt).max() ?? Date(timeIntervalSince1970: 0)
        return try RetentionPlanner.plan(
            candidates: candidates, policy: policy, now: now ?? newest.addingTimeInterval(60))
    }

    static func decision(_ plan: RetentionPlan, _ id: String) throws -> RetentionDecision {
        try #require(plan.decisions.first { $0.id == id })
    }
}

extension RetentionPlan {
    var kept: Set<String> { Set(keepIDs) }
    var removed: Set<String> { Set(removeIDs) }
}

/// A small seeded generator (SplitMix64) for reproducible property tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
