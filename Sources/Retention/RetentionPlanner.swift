import Foundation

/// Decides which snapshots to keep and which to remove under a ``RetentionPolicy``.
///
/// **Grouping.** Each snapshot is governed by the first rule whose selector matches it. The
/// policy is applied per group, a group being the snapshots of one target governed by one rule
/// (so a rule for `trace` captures and a catch-all rule never compete for the same daily slot).
/// Snapshots no rule selects are kept and say so.
///
/// **Keep options** follow restic `forget` (≥ 0.17) exactly, per group: snapshots newest first;
/// for each active count option the newest snapshot of each new period is kept until the count
/// is used up; a snapshot counts for every option it satisfies; when an option's count is not
/// used up at the oldest snapshot, the oldest is kept too; `keepWithin` keeps snapshots newer
/// than (strictly after) the newest snapshot at or before `now` minus the duration. Periods are
/// wall-clock hours, days, ISO 8601 weeks, months and years in the policy's time zone. A rule
/// without keep options keeps everything it selects.
///
/// **Budgets** come next: `maxAge` removes snapshots taken strictly before `now − maxAge`;
/// `maxTotalBytes` then removes the oldest snapshots the rule governs (across all its groups)
/// until the rest fits.
///
/// **Snapshots without data** (failed captures, ``RetentionCandidate/hasData`` false) form groups
/// of their own under the rule that selects them (by the kinds they asked for): they never count
/// toward, or displace, the keep options and budget of snapshots with data. They are kept by
/// `keepFailedLast` and `keepFailedWithin` (measured from `now`), and `maxAge` applies to them.
///
/// **Safety rails.** Pinned snapshots and the newest snapshot of each group with data are always
/// kept, and so is the newest snapshot of a target that has no data at all; a plan that would
/// leave a target without any snapshot is refused.
public enum RetentionPlanner {
    /// Plans retention for `candidates` at time `now`.
    ///
    /// - Throws: ``RetentionError`` for an invalid rule, duplicate ids, negative sizes, dates
    ///   outside years 1…9999, or (as a last safety rail) a plan that removes a whole target.
    public static func plan(
        candidates: [RetentionCandidate], policy: RetentionPolicy, now: Date
    ) throws(RetentionError) -> RetentionPlan {
        let rules = try policy.rules.enumerated().map { (i, rule) throws(RetentionError) in
            try CompiledRule(rule, number: i + 1)
        }
        let nowSeconds = now.timeIntervalSince1970
        guard isSupported(nowSeconds) else { throw .nowOutOfRange }

        var times = [Double]()
        times.reserveCapacity(candidates.count)
        for i in candidates.indices {
            guard candidates[i].bytes >= 0 else {
                throw .negativeSnapshotSize(id: candidates[i].id, bytes: candidates[i].bytes)
            }
            let t = candidates[i].takenAt.timeIntervalSince1970
            guard isSupported(t) else { throw .snapshotTimeOutOfRange(id: candidates[i].id) }
            times.append(t)
        }
        if let duplicate = firstDuplicateID(candidates) { throw .duplicateSnapshotID(duplicate) }

        var (groups, order) = assignGroups(candidates, rules: rules)
        for group in groups {
            order[group.range].sort { a, b in
                times[a] != times[b] ? times[a] > times[b] : candidates[a].id > candidates[b].id
            }
        }
        groups.sort { a, b in
            if a.target != b.target { return a.target < b.target }
            if a.rule != b.rule { return (a.rule ?? Int.max) < (b.rule ?? Int.max) }
            return a.hasData && !b.hasData
        }
        let targetsWithData = Set(groups.lazy.filter(\.hasData).map(\.target))

        var state = PlanState(count: candidates.count)
        for group in groups {
            if let r = group.rule, group.hasData {
                applyRule(
                    rules[r], to: order[group.range], candidates: candidates, times: times,
                    now: nowSeconds, timeZone: policy.timeZone, state: &state)
            } else if let r = group.rule {
                applyFailedRule(
                    rules[r], to: order[group.range], candidates: candidates, times: times, now: nowSeconds,
                    targetHasData: targetsWithData.contains(group.target), state: &state)
            } else {
                for (pos, ci) in order[group.range].enumerated() {
                    state.reasons[ci] =
                        protectionReasons(pinned: candidates[ci].pinned, newest: pos == 0) + [.unselected]
                }
            }
        }

        var warnings: [String] = []
        for (r, rule) in rules.enumerated() {
            guard let budget = rule.maxTotalBytes else { continue }
            let scope = groups.filter { $0.rule == r && $0.hasData }.flatMap { order[$0.range] }.filter { state.keep[$0] }
            if let warning = applyBudget(
                budget, rule: rule, scope: scope, candidates: candidates,
                times: times, state: &state)
            {
                warnings.append(warning)
            }
        }

        var keptPerTarget: [(target: String, kept: Int)] = []
        for group in groups {
            let kept = order[group.range].reduce(0) { $0 + (state.keep[$1] ? 1 : 0) }
            if let last = keptPerTarget.last, last.target == group.target {
                keptPerTarget[keptPerTarget.count - 1].kept += kept
            } else {
                keptPerTarget.append((group.target, kept))
            }
        }
        try refuseEmptiedTargets(keptPerTarget)

        var decisions: [RetentionDecision] = []
        decisions.reserveCapacity(candidates.count)
        for group in groups {
            for ci in order[group.range] {
                decisions.append(
                    RetentionDecision(
                        id: candidates[ci].id, target: candidates[ci].target, takenAt: candidates[ci].takenAt,
                        bytes: candidates[ci].bytes,
                        action: state.keep[ci] ? .keep : .remove, rule: group.rule.map { $0 + 1 },
                        reasonCodes: state.reasons[ci]))
            }
        }
        return RetentionPlan(decisions: decisions, warnings: warnings)
    }

    /// Throws when some target would keep no snapshot (the final safety rail; `counts` lists
    /// each target once with the number of its snapshots the plan keeps).
    static func refuseEmptiedTargets(_ counts: [(target: String, kept: Int)]) throws(RetentionError) {
        if let emptied = counts.first(where: { $0.kept == 0 }) {
            throw .wouldRemoveAllSnapshots(target: emptied.target)
        }
    }

    /// The first id (in input order) that occurs more than once, or nil. Sorts the ids' hash
    /// values instead of building a set of strings (several times faster for a million
    /// snapshots); only ids whose hash values collide are compared as strings.
    static func firstDuplicateID(_ candidates: [RetentionCandidate]) -> String? {
        var hashes = [Int]()
        hashes.reserveCapacity(candidates.count)
        for i in candidates.indices { hashes.append(candidates[i].id.hashValue) }  // no whole-candidate copies
        hashes.sort()
        var colliding = Set<Int>()
        for k in hashes.indices.dropFirst() where hashes[k] == hashes[k - 1] {
            colliding.insert(hashes[k])
        }
        guard !colliding.isEmpty else { return nil }
        var seen = Set<String>()
        for c in candidates where colliding.contains(c.id.hashValue) {
            if !seen.insert(c.id).inserted { return c.id }
        }
        return nil
    }

    /// Years 1…9999 (so calendar arithmetic on the value can never overflow or trap).
    static func isSupported(_ t: Double) -> Bool {
        t.isFinite && t >= -62_135_596_800 && t <= 253_402_300_799
    }

    // MARK: - Internals

    struct Group {
        var target: String
        /// 0-based rule index, nil for snapshots no rule selects.
        var rule: Int?
        /// False for a group of snapshots without data (planned by ``applyFailedRule``).
        var hasData: Bool
        /// Where the group's candidate indices sit in the shared order array.
        var range: Range<Int> = 0..<0
    }

    struct PlanState {
        var keep: [Bool]
        var protected: [Bool]
        var reasons: [[RetentionReason]]

        init(count: Int) {
            keep = Array(repeating: true, count: count)
            protected = Array(repeating: false, count: count)
            reasons = Array(repeating: [], count: count)
        }

        /// Records one snapshot's decision: kept when any reason keeps it, unless it is too old for
        /// max-age and not protected; the removal reasons are shared arrays (most of a large plan).
        mutating func decide(
            _ ci: Int, reasons: [RetentionReason], isProtected: Bool, tooOld: Bool,
            notKept: [RetentionReason], tooOldReasons: [RetentionReason]
        ) {
            let kept = !reasons.isEmpty && (isProtected || !tooOld)
            keep[ci] = kept
            protected[ci] = isProtected
            self.reasons[ci] = kept ? reasons : (reasons.isEmpty ? notKept : tooOldReasons)
        }
    }

    /// The selector inputs of a candidate besides its target.
    private struct SelectionKey: Hashable {
        var hasData: Bool
        var kinds: [String]
        var labels: [String: String]
        var schedule: String
    }

    private struct GroupKey: Hashable {
        var target: String
        var rule: Int
        var hasData: Bool
    }

    /// Assigns every candidate to a (target, first selecting rule) group, evaluating each
    /// distinct combination of selector inputs once. Lookups go by target first, then through a
    /// short list of that target's combinations (equality on identical storage is nearly free),
    /// so the usual catalog costs one string hash per snapshot. Returns the groups and one array
    /// of candidate indices in which each group owns a contiguous range (a counting sort, which
    /// stays cache-friendly with thousands of groups).
    private static func assignGroups(
        _ candidates: [RetentionCandidate], rules: [CompiledRule]
    ) -> (groups: [Group], order: [Int]) {
        let usesKinds = rules.contains { !$0.kinds.isEmpty }
        let usesLabels = rules.contains { !$0.labels.isEmpty }
        let usesSchedules = rules.contains { !$0.schedules.isEmpty }
        let shortListLimit = 16
        var groups: [Group] = []
        var groupIndex: [GroupKey: Int] = [:]
        var targetSlot: [String: Int] = [:]
        var shortLists: [[(key: SelectionKey, group: Int)]] = []
        var overflow: [[SelectionKey: Int]] = []
        var groupOf = [Int](repeating: 0, count: candidates.count)
        for i in candidates.indices {
            let hasData = candidates[i].hasData
            let key = SelectionKey(
                hasData: hasData,
                kinds: usesKinds ? (hasData ? candidates[i].kinds : candidates[i].failedKinds) : [], labels: usesLabels ? candidates[i].labels : [:],
                schedule: usesSchedules ? candidates[i].schedule : "")
            let slot: Int
            if let existing = targetSlot[candidates[i].target] {
                slot = existing
            } else {
                slot = shortLists.count
                targetSlot[candidates[i].target] = slot
                shortLists.append([])
                overflow.append([:])
            }
            if let known = shortLists[slot].first(where: { $0.key == key })?.group
                ?? (shortLists[slot].count >= shortListLimit ? overflow[slot][key] : nil)
            {
                groupOf[i] = known
                continue
            }
            let rule = rules.firstIndex { $0.selects(candidates[i]) }
            let gk = GroupKey(target: candidates[i].target, rule: rule ?? -1, hasData: hasData)
            let g = groupIndex[gk] ?? groups.count
            if g == groups.count {
                groups.append(Group(target: candidates[i].target, rule: rule, hasData: hasData))
                groupIndex[gk] = g
            }
            if shortLists[slot].count < shortListLimit {
                shortLists[slot].append((key, g))
            } else {
                overflow[slot][key] = g
            }
            groupOf[i] = g
        }
        var next = [Int](repeating: 0, count: groups.count)
        for g in groupOf { next[g] += 1 }
        var start = 0
        for g in groups.indices {
            let size = next[g]
            groups[g].range = start..<start + size
            next[g] = start
            start += size
        }
        var order = [Int](repeating: 0, count: candidates.count)
        for (i, g) in groupOf.enumerated() {
            order[next[g]] = i
            next[g] += 1
        }
        return (groups, order)
    }

    private static func protectionReasons(pinned: Bool, newest: Bool) -> [RetentionReason] {
        switch (pinned, newest) {
        case (true, true): [.pinned, .newestOfGroup]
        case (true, false): [.pinned]
        case (false, true): [.newestOfGroup]
        case (false, false): []
        }
    }

    /// The restic pass and max-age for one group (`members` sorted newest first).
    private static func applyRule(
        _ rule: CompiledRule, to members: ArraySlice<Int>, candidates: [RetentionCandidate], times: [Double],
        now: Double, timeZone: TimeZone, state: inout PlanState
    ) {
        // keep-within counts back from the newest snapshot that is not in the future (restic).
        var withinCutoff = -Double.infinity
        if rule.keepWithin != nil, let latest = members.first(where: { times[$0] <= now }) {
            withinCutoff = times[latest] - rule.keepWithinSeconds
        }
        let ageCutoff = rule.maxAge.map { _ in now - rule.maxAgeSeconds }
        // Shared arrays: most snapshots of a large catalog are removals with one reason.
        let notKeptReasons: [RetentionReason] = [.notKept]
        let maxAgeReasons: [RetentionReason] = rule.maxAge.map { [.olderThanMaxAge($0)] } ?? []
        var lastRemaining = rule.keepLast
        var periodRemaining = rule.periods.map(\.count)
        var lastKeys = [Int](repeating: .min, count: rule.periods.count)
        let oldestPosition = members.count - 1

        for (pos, ci) in members.enumerated() {
            var reasons = protectionReasons(pinned: candidates[ci].pinned, newest: pos == 0)
            let isProtected = !reasons.isEmpty
            if rule.hasKeepOptions {
                if lastRemaining != 0 {
                    reasons.append(.keepLast(count: rule.keepLast))
                    if lastRemaining > 0 { lastRemaining -= 1 }
                }
                if !rule.periods.isEmpty {
                    let keys = PeriodKeys(secondsSince1970: times[ci], timeZone: timeZone)
                    for p in rule.periods.indices where periodRemaining[p] != 0 {
                        let key = rule.periods[p].kind.key(keys)
                        let samePeriod = key == lastKeys[p]
                        if !samePeriod || pos == oldestPosition {
                            reasons.append(.period(rule.periods[p].kind, key: key, oldest: samePeriod))
                            lastKeys[p] = key
                            if periodRemaining[p] > 0 { periodRemaining[p] -= 1 }
                        }
                    }
                }
                if let within = rule.keepWithin, times[ci] > withinCutoff {
                    reasons.append(.within(within))
                }
            } else {
                reasons.append(.noKeepOptions(rule: rule.number))
            }
            state.decide(
                ci, reasons: reasons, isProtected: isProtected, tooOld: ageCutoff.map { times[ci] < $0 } ?? false,
                notKept: notKeptReasons, tooOldReasons: maxAgeReasons)
        }
    }

    /// Keep-failed-last, keep-failed-within and max-age for one group of snapshots without data
    /// (`members` sorted newest first). The keep options of the data snapshots never see these,
    /// so any number of failures leaves the data plan unchanged.
    private static func applyFailedRule(
        _ rule: CompiledRule, to members: ArraySlice<Int>, candidates: [RetentionCandidate], times: [Double],
        now: Double, targetHasData: Bool, state: inout PlanState
    ) {
        let withinCutoff = rule.keepFailedWithin.map { _ in now - rule.keepFailedWithinSeconds }
        let ageCutoff = rule.maxAge.map { _ in now - rule.maxAgeSeconds }
        let notKeptReasons: [RetentionReason] = [.failedNotKept(last: rule.keepFailedLast, within: rule.keepFailedWithin)]
        let maxAgeReasons: [RetentionReason] = rule.maxAge.map { [.olderThanMaxAge($0)] } ?? []
        var lastRemaining = rule.keepFailedLast
        for (pos, ci) in members.enumerated() {
            var reasons: [RetentionReason] = candidates[ci].pinned ? [.pinned] : []
            // A target whose captures never succeeded keeps its latest failure: the only evidence.
            if pos == 0 && !targetHasData { reasons.append(.newestOfTarget) }
            let isProtected = !reasons.isEmpty
            if lastRemaining != 0 {
                reasons.append(.keepFailedLast(count: rule.keepFailedLast))
                if lastRemaining > 0 { lastRemaining -= 1 }
            }
            if let within = rule.keepFailedWithin, let cutoff = withinCutoff, times[ci] > cutoff {
                reasons.append(.failedWithin(within))
            }
            state.decide(
                ci, reasons: reasons, isProtected: isProtected, tooOld: ageCutoff.map { times[ci] < $0 } ?? false,
                notKept: notKeptReasons, tooOldReasons: maxAgeReasons)
        }
    }

    /// Removes the oldest unprotected snapshots of `scope` (kept snapshots of one rule) until the
    /// total fits `budget`; returns a warning when it cannot fit.
    private static func applyBudget(
        _ budget: Int64, rule: CompiledRule, scope: [Int], candidates: [RetentionCandidate], times: [Double],
        state: inout PlanState
    ) -> String? {
        var total = ByteTotal()
        for ci in scope { total.add(candidates[ci].bytes) }
        guard total.exceeds(budget) else { return nil }
        let removable = scope.filter { !state.protected[$0] }.sorted { a, b in
            times[a] != times[b] ? times[a] < times[b] : candidates[a].id < candidates[b].id
        }
        let overBudgetReasons: [RetentionReason] = [.overBudget(rule: rule.number, budget: budget)]
        for ci in removable {
            guard total.exceeds(budget) else { break }
            state.keep[ci] = false
            state.reasons[ci] = overBudgetReasons
            total.subtract(candidates[ci].bytes)
        }
        guard total.exceeds(budget) else { return nil }
        return "rule \(rule.number): its snapshots still take \(total.description), over max-total-bytes "
            + "\(RetentionFormat.budget(budget)), because the newest snapshot of each group "
            + "and pinned snapshots are never removed"
    }
}

/// An exact sum of non-negative sizes (two 64-bit words), so budgets compare correctly even
/// when the sizes add up beyond `Int64.max`.
struct ByteTotal: Sendable, CustomStringConvertible {
    private var high: UInt64 = 0
    private var low: UInt64 = 0

    mutating func add(_ bytes: Int64) {
        let (sum, carry) = low.addingReportingOverflow(UInt64(clamping: bytes))
        low = sum
        if carry { high += 1 }
    }

    mutating func subtract(_ bytes: Int64) {
        let (difference, borrow) = low.subtractingReportingOverflow(UInt64(clamping: bytes))
        low = difference
        if borrow { high -= 1 }
    }

    func exceeds(_ budget: Int64) -> Bool {
        high > 0 || low > UInt64(clamping: budget)
    }

    /// The total, or `Int64.max` when it is larger.
    var clamped: Int64 {
        high > 0 ? .max : Int64(clamping: low)
    }

    var description: String {
        high > 0 || low > UInt64(Int64.max)
            ? "more than \(RetentionFormat.size(.max))" : RetentionFormat.size(Int64(low))
    }
}

/// A validated rule with its globs compiled and its durations in seconds.
struct CompiledRule: Sendable {
    struct Period: Sendable {
        var kind: PeriodKind
        var count: Int
    }

    let number: Int
    let targets: [GlobPattern]
    let kinds: [GlobPattern]
    let labels: [(key: String, value: GlobPattern)]
    let schedules: [GlobPattern]
    /// 0 = not used, -1 = unlimited.
    let keepLast: Int
    /// Active period options, finest first (restic's order).
    let periods: [Period]
    let keepWithin: Duration?
    let keepWithinSeconds: Double
    let maxAge: Duration?
    let maxAgeSeconds: Double
    let maxTotalBytes: Int64?
    /// Resolved: the default when the rule does not say; -1 = unlimited.
    let keepFailedLast: Int
    /// Resolved: the default when the rule does not say; nil when zero.
    let keepFailedWithin: Duration?
    let keepFailedWithinSeconds: Double

    var hasKeepOptions: Bool { keepLast != 0 || !periods.isEmpty || keepWithin != nil }

    init(_ rule: RetentionRule, number: Int) throws(RetentionError) {
        self.number = number
        func count(_ value: Int?, _ option: String) throws(RetentionError) -> Int {
            guard let value else { return 0 }
            guard value >= -1 else { throw .invalidCount(rule: number, option: option, value: value) }
            return value
        }
        keepLast = try count(rule.keepLast, "keep-last")
        var periods: [Period] = []
        for (kind, value) in [
            (PeriodKind.hourly, rule.keepHourly), (.daily, rule.keepDaily),
            (.weekly, rule.keepWeekly), (.monthly, rule.keepMonthly), (.yearly, rule.keepYearly),
        ] {
            let n = try count(value, kind.optionName)
            if n != 0 { periods.append(Period(kind: kind, count: n)) }
        }
        self.periods = periods
        if let within = rule.keepWithin, within < .zero {
            throw .negativeKeepWithin(rule: number, value: within)
        }
        keepWithin = rule.keepWithin == .zero ? nil : rule.keepWithin
        keepWithinSeconds = keepWithin.map(RetentionFormat.seconds) ?? 0
        if let age = rule.maxAge, age <= .zero {
            throw .nonPositiveMaxAge(rule: number, value: age)
        }
        maxAge = rule.maxAge
        maxAgeSeconds = maxAge.map(RetentionFormat.seconds) ?? 0
        if let bytes = rule.maxTotalBytes, bytes < 0 {
            throw .negativeMaxTotalBytes(rule: number, value: bytes)
        }
        maxTotalBytes = rule.maxTotalBytes
        keepFailedLast = try count(rule.keepFailedLast ?? RetentionRule.defaultKeepFailedLast, "keep-failed-last")
        let failedWithin = rule.keepFailedWithin ?? RetentionRule.defaultKeepFailedWithin
        if failedWithin < .zero { throw .negativeKeepFailedWithin(rule: number, value: failedWithin) }
        keepFailedWithin = failedWithin == .zero ? nil : failedWithin
        keepFailedWithinSeconds = keepFailedWithin.map(RetentionFormat.seconds) ?? 0
        let s = rule.selector
        targets = s.targets.map(GlobPattern.init)
        kinds = s.kinds.map(GlobPattern.init)
        labels = s.labels.sorted { $0.key < $1.key }.map { ($0.key, GlobPattern($0.value)) }
        schedules = s.schedules.map(GlobPattern.init)
    }

    func selects(_ c: RetentionCandidate) -> Bool {
        if !targets.isEmpty, !targets.contains(where: { $0.matches(c.target) }) { return false }
        // A snapshot without data is selected by the kinds it asked for.
        if !kinds.isEmpty, !(c.hasData ? c.kinds : c.failedKinds).contains(where: { kind in kinds.contains { $0.matches(kind) } }) { return false }
        for (key, pattern) in labels {
            guard let value = c.labels[key], pattern.matches(value) else { return false }
        }
        if !schedules.isEmpty, !schedules.contains(where: { $0.matches(c.schedule) }) { return false }
        return true
    }
}
