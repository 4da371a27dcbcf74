import Foundation
import Testing

@testable import Retention

/// Invariants over seeded random catalogs and policies, and agreement with an independent
/// model of restic's algorithm that uses Foundation's ISO 8601 calendar.
@Suite struct PropertyTests {
    static let seeds: [UInt64] = Array(1...60)
    static let base: Double = 1_767_225_600  // 2026-01-01T00:00:00Z
    static let zones = ["UTC", "America/New_York", "Asia/Shanghai", "Asia/Kolkata", "Australia/Lord_Howe"]

    static func randomCount(_ r: inout SeededGenerator) -> Int? {
        switch Int.random(in: 0..<6, using: &r) {
        case 0, 1: nil
        case 2: -1
        case 3: 0
        default: Int.random(in: 1...6, using: &r)
        }
    }

    static func randomRule(_ r: inout SeededGenerator, selectors: Bool, budgets: Bool) -> RetentionRule {
        var selector = RetentionSelector()
        if selectors {
            if Bool.random(using: &r) {
                selector.targets = [["order-*", "payment", "inv?ntory", "*"].randomElement(using: &r)!]
            }
            if Int.random(in: 0..<3, using: &r) == 0 { selector.kinds = [["trace", "heap"].randomElement(using: &r)!] }
            if Int.random(in: 0..<3, using: &r) == 0 {
                selector.schedules = [["nightly-*", "manual", "hourly"].randomElement(using: &r)!]
            }
            if Int.random(in: 0..<4, using: &r) == 0 {
                selector.labels = ["region": ["cn-*", "us-east"].randomElement(using: &r)!]
            }
        }
        return RetentionRule(
            selector: selector,
            keepLast: randomCount(&r), keepHourly: randomCount(&r), keepDaily: randomCount(&r),
            keepWeekly: randomCount(&r), keepMonthly: randomCount(&r), keepYearly: randomCount(&r),
            keepWithin: Bool.random(using: &r) ? .seconds(Int64.random(in: 3600...(20 * 86_400), using: &r)) : nil,
            maxAge: budgets && Bool.random(using: &r)
                ? .seconds(Int64.random(in: (3 * 86_400)...(200 * 86_400), using: &r)) : nil,
            maxTotalBytes: budgets && Bool.random(using: &r) ? Int64.random(in: 0...20_000, using: &r) : nil)
    }

    static func randomCandidates(_ r: inout SeededGenerator) -> [RetentionCandidate] {
        let targets = ["order-api", "order-web", "payment", "inventory"].shuffled(using: &r).prefix(
            Int.random(in: 1...4, using: &r))
        var result: [RetentionCandidate] = []
        for target in targets {
            let count = Int.random(in: 1...70, using: &r)
            var time = base + Double.random(in: 0...86_400, using: &r)
            for i in 0..<count {
                // Mostly hours apart, sometimes identical times, sometimes weeks apart.
                switch Int.random(in: 0..<10, using: &r) {
                case 0: break
                case 1: time += Double(Int.random(in: 1...30, using: &r)) * 86_400
                default: time += Double(Int.random(in: 60...(30 * 3600), using: &r))
                }
                result.append(
                    RetentionCandidate(
                        id: "\(target)-\(i)", target: target,
                        kinds: Bool.random(using: &r) ? ["trace"] : ["heap", "goroutine"],
                        labels: ["region": ["cn-east", "us-east"].randomElement(using: &r)!],
                        schedule: ["hourly", "nightly-trace", "manual"].randomElement(using: &r)!,
                        takenAt: Date(timeIntervalSince1970: time), bytes: Int64.random(in: 0...1000, using: &r),
                        pinned: Int.random(in: 0..<20, using: &r) == 0))
            }
        }
        return result.shuffled(using: &r)
    }

    static func randomScenario(seed: UInt64) -> (candidates: [RetentionCandidate], policy: RetentionPolicy, now: Date) {
        var r = SeededGenerator(seed: seed)
        let candidates = randomCandidates(&r)
        let rules = (0..<Int.random(in: 0...3, using: &r)).map { _ in randomRule(&r, selectors: true, budgets: true) }
        let zone = TimeZone(identifier: zones.randomElement(using: &r)!)!
        let newest = candidates.map(\.takenAt.timeIntervalSince1970).max() ?? base
        let now = Date(timeIntervalSince1970: newest + Double.random(in: (-5 * 86_400)...(30 * 86_400), using: &r))
        return (candidates, RetentionPolicy(rules: rules, timeZone: zone), now)
    }

    @Test(arguments: seeds)
    func newestOfEveryGroupAndPinsSurvive(seed: UInt64) throws {
        let (candidates, policy, now) = Self.randomScenario(seed: seed)
        let plan = try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
        #expect(plan.decisions.count == candidates.count)
        let byID = Dictionary(uniqueKeysWithValues: plan.decisions.map { ($0.id, $0) })
        for c in candidates where c.pinned {
            #expect(byID[c.id]?.action == .keep)
        }
        let groups = Dictionary(grouping: plan.decisions) { "\($0.target)|\($0.rule ?? 0)" }
        for (_, members) in groups {
            let newest = members.max { ($0.takenAt, $0.id) < ($1.takenAt, $1.id) }
            #expect(newest?.action == .keep)
            #expect(newest?.reasons.contains("newest of group") == true)
        }
        for target in Set(candidates.map(\.target)) {
            #expect(plan.decisions.contains { $0.target == target && $0.action == .keep })
        }
        let freed = plan.decisions.filter { $0.action == .remove }.reduce(Int64(0)) { $0 + $1.bytes }
        #expect(plan.bytesFreed == freed)
    }

    @Test(arguments: seeds)
    func planningAgainRemovesNothingMore(seed: UInt64) throws {
        let (candidates, policy, now) = Self.randomScenario(seed: seed)
        let first = try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
        let survivors = candidates.filter { first.kept.contains($0.id) }
        let second = try RetentionPlanner.plan(candidates: survivors, policy: policy, now: now)
        #expect(second.removeIDs == [])
        #expect(second.keepIDs == first.keepIDs)
    }

    @Test(arguments: seeds)
    func resultDoesNotDependOnInputOrder(seed: UInt64) throws {
        let (candidates, policy, now) = Self.randomScenario(seed: seed)
        var r = SeededGenerator(seed: seed &* 977)
        let a = try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
        let b = try RetentionPlanner.plan(candidates: candidates.shuffled(using: &r), policy: policy, now: now)
        let c = try RetentionPlanner.plan(candidates: candidates.reversed(), policy: policy, now: now)
        #expect(a == b)
        #expect(a == c)
    }

    /// The random scenarios do exercise every kind of removal (so the invariants above are not
    /// vacuous).
    @Test func scenariosExerciseEveryKindOfRemoval() throws {
        var reasons = Set<String>()
        var removed = 0
        for seed in Self.seeds {
            let (candidates, policy, now) = Self.randomScenario(seed: seed)
            let plan = try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
            removed += plan.removeIDs.count
            for d in plan.decisions where d.action == .remove {
                reasons.formUnion(d.reasons.map { $0.components(separatedBy: " ").prefix(2).joined(separator: " ") })
            }
        }
        #expect(removed > 500)
        #expect(reasons.isSuperset(of: ["no keep", "older than", "over max-total-bytes"]))
    }

    /// One catch-all rule without budgets: the kept set equals restic's algorithm (re-implemented
    /// below with `Calendar(identifier: .iso8601)`), plus pins and the newest snapshot.
    @Test(arguments: seeds)
    func agreesWithReferenceModelOfRestic(seed: UInt64) throws {
        var r = SeededGenerator(seed: seed &+ 10_000)
        let candidates = Self.randomCandidates(&r)
        var rule = Self.randomRule(&r, selectors: false, budgets: false)
        if [rule.keepLast, rule.keepHourly, rule.keepDaily, rule.keepWeekly, rule.keepMonthly, rule.keepYearly]
            .allSatisfy({ ($0 ?? 0) == 0 }) && rule.keepWithin == nil
        {
            rule.keepDaily = 3
        }
        let zone = try Fixture.zone(Self.zones[Int(seed) % Self.zones.count])
        let newest = candidates.map(\.takenAt).max() ?? Date()
        let now = newest.addingTimeInterval(Double(Int(seed % 7) - 2) * 86_400)
        let plan = try RetentionPlanner.plan(
            candidates: candidates, policy: RetentionPolicy(rules: [rule], timeZone: zone), now: now)
        for target in Set(candidates.map(\.target)) {
            let group = candidates.filter { $0.target == target }
            var expected = ReferenceModel.resticKeep(group, rule: rule, timeZone: zone, now: now)
            expected.formUnion(group.filter(\.pinned).map(\.id))
            if let newestInGroup = group.max(by: { ($0.takenAt, $0.id) < ($1.takenAt, $1.id) }) {
                expected.insert(newestInGroup.id)
            }
            let kept = Set(plan.decisions.filter { $0.target == target && $0.action == .keep }.map(\.id))
            #expect(kept == expected, "target \(target)")
        }
    }
}

/// A direct transcription of restic's ApplyPolicy (reference Appendix B) over Foundation's
/// calendar; slow and simple on purpose.
enum ReferenceModel {
    static func resticKeep(_ snaps: [RetentionCandidate], rule: RetentionRule, timeZone: TimeZone, now: Date) -> Set<
        String
    > {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let sorted = snaps.sorted { ($0.takenAt, $0.id) > ($1.takenAt, $1.id) }
        let comps: (Date) -> DateComponents = {
            calendar.dateComponents([.year, .month, .day, .hour, .yearForWeekOfYear, .weekOfYear], from: $0)
        }
        let buckets: [(Int?, (Date, Int) -> [Int])] = [
            (rule.keepLast, { _, nr in [nr] }),
            (
                rule.keepHourly,
                { d, _ in
                    let c = comps(d)
                    return [c.year!, c.month!, c.day!, c.hour!]
                }
            ),
            (
                rule.keepDaily,
                { d, _ in
                    let c = comps(d)
                    return [c.year!, c.month!, c.day!]
                }
            ),
            (
                rule.keepWeekly,
                { d, _ in
                    let c = comps(d)
                    return [c.yearForWeekOfYear!, c.weekOfYear!]
                }
            ),
            (
                rule.keepMonthly,
                { d, _ in
                    let c = comps(d)
                    return [c.year!, c.month!]
                }
            ),
            (rule.keepYearly, { d, _ in [comps(d).year!] }),
        ]
        var counts = buckets.map { $0.0 ?? 0 }
        var last: [[Int]?] = Array(repeating: nil, count: buckets.count)
        let latest = sorted.first { $0.takenAt <= now }?.takenAt
        var keep = Set<String>()
        for (nr, s) in sorted.enumerated() {
            for b in buckets.indices where counts[b] > 0 || counts[b] == -1 {
                let value = buckets[b].1(s.takenAt, nr)
                if value != last[b] || nr == sorted.count - 1 {
                    keep.insert(s.id)
                    last[b] = value
                    if counts[b] > 0 { counts[b] -= 1 }
                }
            }
            if let within = rule.keepWithin, within > .zero {
                let seconds = Double(within.components.seconds)
                if latest == nil || s.takenAt > latest!.addingTimeInterval(-seconds) { keep.insert(s.id) }
            }
        }
        return keep
    }
}
