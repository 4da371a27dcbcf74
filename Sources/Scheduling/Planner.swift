import Cron
import Foundation

/// Computes the deterministic, staggered capture timeline of a set of schedules.
///
/// Rules (all pure functions of the schedules, so restarts and reloads keep the phase):
/// - A capture is all kinds of one target for one firing of one schedule (one snapshot). Its kinds
///   run one after another inside the capture, so `cpu` and `trace` are never concurrent on a target.
/// - Offset inside the stagger window, in whole milliseconds: `hash` spread takes the 64-bit FNV-1a
///   hash of `"<schedule>\u{0}<target>"`, mixed, as a fraction of the window (`hash × window / 2^64`);
///   `even` spread orders the schedule's targets by name and gives target i the offset
///   `i × window / N`. The window is `stagger`, shortened to the gap to the next firing if that is
///   smaller. The kind is not part of the hash: all kinds of a capture share its start.
/// - Captures of one target never overlap: in start order, a capture that would start while an
///   earlier one of the same target (any schedule) is still running starts when it ends.
/// - With `maxConcurrent`, at most that many captures run at once: captures are taken in order of
///   readiness and each starts no earlier than the first moment a slot is free (first come, first
///   served). Ties are broken by (start, schedule, target).
public struct Planner: Sendable {
    /// The schedules to plan.
    public var schedules: [ScheduleSpec]
    /// Global cap on simultaneous captures; nil means no cap.
    public var maxConcurrent: Int?

    /// Creates a planner; a `maxConcurrent` below 1 is treated as 1.
    public init(schedules: [ScheduleSpec], maxConcurrent: Int? = nil) {
        self.schedules = schedules
        self.maxConcurrent = maxConcurrent.map { max(1, $0) }
    }

    /// The stable hash placing `target` inside `schedule`'s window with `hash` spread.
    public static func staggerHash(schedule: String, target: String) -> UInt64 {
        StableHash.mix(StableHash.fnv1a64(schedule + "\u{0}" + target))
    }

    /// The stagger offset of `target` in `schedule` for a window of `window` (before any push).
    public static func offset(schedule: ScheduleSpec, target: String, window: Duration) -> Duration {
        let windowMillis = max(0, millis(window))
        guard windowMillis > 0 else { return .zero }
        switch schedule.spread {
        case .hash:
            let product = staggerHash(schedule: schedule.name, target: target).multipliedFullWidth(by: UInt64(windowMillis))
            return .milliseconds(Int64(product.high))
        case .even:
            let ordered = Array(Set(schedule.targets)).sorted()
            guard let index = ordered.firstIndex(of: target) else { return .zero }
            return .milliseconds(Int64(index) * (windowMillis / Int64(ordered.count)))
        }
    }

    static func millis(_ d: Duration) -> Int64 {
        let (s, a) = d.components
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max / 4 : min(ms + a / 1_000_000_000_000_000, Int64.max / 4)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }

    /// Captures of all firings `f` with `from <= f < until`, ordered by planned start, then
    /// schedule, then target.
    public func plan(from: Date, until: Date) -> [PlannedCapture] {
        struct Raw {
            var start: Int64
            var end: Int64
            var schedule: Int
            var target: Int
            var fire: Int64
            var offset: Int64
        }
        var targetIndex: [String: Int] = [:]
        var raws: [Raw] = []
        for (si, schedule) in schedules.enumerated() {
            var fires: [Date] = []
            var cursor = from.addingTimeInterval(-1)
            var following: Date? = nil
            while let f = schedule.cron.next(after: cursor, in: schedule.timeZone) {
                if f < from { cursor = f; continue }
                if f >= until { following = f; break }
                fires.append(f)
                cursor = f
            }
            let targets = Array(Set(schedule.targets)).sorted()
            let duration = max(0, Self.millis(schedule.estimatedCaptureDuration))
            let hashes = targets.map { Self.staggerHash(schedule: schedule.name, target: $0) }
            let ids = targets.map { name in
                if let i = targetIndex[name] { return i }
                targetIndex[name] = targetIndex.count
                return targetIndex.count - 1
            }
            raws.reserveCapacity(raws.count + fires.count * targets.count)
            for (fi, fire) in fires.enumerated() {
                let fireMillis = Self.millis(fire)
                var window = max(0, Self.millis(schedule.stagger))
                if let next = fi + 1 < fires.count ? fires[fi + 1] : following {
                    window = min(window, Self.millis(next) - fireMillis)
                }
                for (ti, _) in targets.enumerated() {
                    let offset: Int64
                    switch schedule.spread {
                    case .hash: offset = Int64(hashes[ti].multipliedFullWidth(by: UInt64(window)).high)
                    case .even: offset = Int64(ti) * (window / Int64(targets.count))
                    }
                    raws.append(Raw(start: fireMillis + offset, end: fireMillis + offset + duration,
                                    schedule: si, target: ids[ti], fire: fireMillis, offset: offset))
                }
            }
        }
        let targetNames = targetIndex.sorted { $0.value < $1.value }.map(\.key)
        // Deterministic order: start, then schedule name, then target name.
        let scheduleRank = Self.ranks(schedules.map(\.name))
        let targetRank = Self.ranks(targetNames)
        func before(_ a: Raw, _ b: Raw) -> Bool {
            if a.start != b.start { return a.start < b.start }
            if a.schedule != b.schedule { return scheduleRank[a.schedule] < scheduleRank[b.schedule] }
            if a.target != b.target { return targetRank[a.target] < targetRank[b.target] }
            return a.fire < b.fire
        }
        raws.sort(by: before)

        // Sweep in order of readiness. A capture whose target is busy waits in that target's FIFO;
        // only the head of each FIFO competes (in `deferred`) at the time the target frees up. With a
        // cap, each capture takes the slot that frees first (FIFO list scheduling). Every capture
        // enters each heap at most once, so an overloaded day still plans in O(n log n).
        var busyUntil = [Int64](repeating: Int64.min, count: targetNames.count)
        var waiting = [[Raw]](repeating: [], count: targetNames.count)
        var waitingHead = [Int](repeating: 0, count: targetNames.count)
        var headQueued = [Bool](repeating: false, count: targetNames.count)
        var slots = MinHeap<Int64>(by: <)
        if let cap = maxConcurrent { for _ in 0..<cap { slots.push(Int64.min) } }
        var deferred = MinHeap<Raw>(by: before)
        var done: [(Raw, PlannedCapture.PushReason?)] = []
        done.reserveCapacity(raws.count)

        func queueHead(_ t: Int) {
            guard waitingHead[t] < waiting[t].count else {
                waiting[t].removeAll(keepingCapacity: true)
                waitingHead[t] = 0
                return
            }
            var head = waiting[t][waitingHead[t]]
            waitingHead[t] += 1
            if busyUntil[t] > head.start {
                head.end += busyUntil[t] - head.start
                head.start = busyUntil[t]
            }
            deferred.push(head)
            headQueued[t] = true
        }

        var next = 0
        while next < raws.count || !deferred.isEmpty {
            var item: Raw
            if let top = deferred.peek, next >= raws.count || before(top, raws[next]) {
                item = top
                deferred.pop()
                headQueued[item.target] = false
            } else {
                item = raws[next]
                next += 1
                if headQueued[item.target] || busyUntil[item.target] > item.start {
                    waiting[item.target].append(item)
                    if !headQueued[item.target] { queueHead(item.target) }
                    continue
                }
            }
            let planned = item.fire + item.offset
            var reason: PlannedCapture.PushReason? = item.start > planned ? .targetBusy : nil
            if maxConcurrent != nil, let free = slots.pop() {
                if free > item.start {
                    item.end += free - item.start
                    item.start = free
                    reason = .concurrencyCap
                }
                slots.push(item.end)
            }
            busyUntil[item.target] = item.end
            done.append((item, reason))
            queueHead(item.target)
        }
        done.sort { before($0.0, $1.0) }
        return done.map { item, reason in
            let schedule = schedules[item.schedule]
            return PlannedCapture(
                schedule: schedule.name, target: targetNames[item.target], kinds: schedule.kinds,
                fireTime: Self.date(item.fire), offset: .milliseconds(item.offset),
                plannedStart: Self.date(item.start), plannedEnd: Self.date(item.end), pushed: reason)
        }
    }

    static func ranks(_ names: [String]) -> [Int] {
        let order = names.indices.sorted { names[$0] < names[$1] }
        var rank = [Int](repeating: 0, count: names.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        return rank
    }
}

/// Decides, at daemon start, whether a missed firing should run now (systemd `Persistent=`).
public enum CatchUp {
    /// The most recent firing `f` with `lastRun < f <= now`, when `policy` is `.once` and such a
    /// firing exists; nil otherwise. With no recorded run (`lastRun == nil`) nothing is caught up.
    /// However many firings were missed, at most one is returned (so a long downtime or a clock
    /// jump never causes a burst). The caller runs that one capture now (plus the stagger offset)
    /// and then waits for the next firing strictly after `now`.
    public static func missedFiring(cron: CronExpression, timeZone: TimeZone, lastRun: Date?, now: Date,
                                    policy: CatchUpPolicy) -> Date? {
        guard policy == .once, let lastRun, lastRun < now,
              let first = cron.next(after: lastRun, in: timeZone), first <= now else { return nil }
        // Find the latest firing <= now without walking every firing of a long downtime.
        for window: TimeInterval in [3_600, 86_400, 31 * 86_400, 366 * 86_400, 4_000 * 86_400] {
            let start = max(lastRun, now.addingTimeInterval(-window))
            guard var latest = cron.next(after: start, in: timeZone), latest <= now else { continue }
            while let n = cron.next(after: latest, in: timeZone), n <= now { latest = n }
            return latest
        }
        var latest = first
        while let n = cron.next(after: latest, in: timeZone), n <= now { latest = n }
        return latest
    }
}

/// A binary min-heap ordered by a comparison closure.
struct MinHeap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    init(by less: @escaping (Element, Element) -> Bool) { self.less = less }

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var peek: Element? { items.first }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, less(items[l], items[m]) { m = l }
            if r < items.count, less(items[r], items[m]) { m = r }
            guard m != i else { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
