import CivilTime
import Foundation

/// Why a snapshot is kept or removed; rendered as the human strings of ``RetentionDecision/reasons``.
enum RetentionReason: Hashable, Sendable {
    case pinned
    case newestOfGroup
    case unselected
    case noKeepOptions(rule: Int)
    case keepLast(count: Int)
    case period(PeriodKind, key: Int, oldest: Bool)
    case within(Duration)
    case notKept
    case olderThanMaxAge(Duration)
    case overBudget(rule: Int, budget: Int64)
    /// Snapshots without data (failed captures).
    case newestOfTarget
    case keepFailedLast(count: Int)
    case failedWithin(Duration)
    case failedNotKept(last: Int, within: Duration?)
    /// A reason read back from JSON or given to the public initializer.
    case text(String)

    var text: String {
        switch self {
        case .pinned: return "pinned"
        case .newestOfGroup: return "newest of group"
        case .unselected: return "not selected by any retention rule"
        case .noKeepOptions(let rule): return "rule \(rule) sets no keep options"
        case .keepLast(let count): return count < 0 ? "keep-last unlimited" : "keep-last \(count)"
        case .period(let kind, let key, let oldest):
            return "\(kind.optionName) (\(kind.describe(key))\(oldest ? ", oldest" : ""))"
        case .within(let d): return "within \(RetentionFormat.duration(d)) of newest"
        case .notKept: return "no keep rule selects it"
        case .olderThanMaxAge(let d): return "older than max-age \(RetentionFormat.duration(d))"
        case .overBudget(let rule, let budget):
            return "over max-total-bytes \(RetentionFormat.budget(budget)) for rule \(rule)"
        case .newestOfTarget: return "newest snapshot of a target with no data snapshots"
        case .keepFailedLast(let count):
            return count < 0 ? "keep-failed-last unlimited" : "keep-failed-last \(count)"
        case .failedWithin(let d): return "failed within \(RetentionFormat.duration(d)) of now"
        case .failedNotKept(let last, let within):
            var limits = ["keep-failed-last \(last)"]
            if let within { limits.append("keep-failed-within \(RetentionFormat.duration(within))") }
            return "no data (failed capture) and outside \(limits.joined(separator: " and "))"
        case .text(let s): return s
        }
    }
}

/// The calendar periods of the keep-hourly…keep-yearly options.
enum PeriodKind: Int, Hashable, Sendable {
    case hourly, daily, weekly, monthly, yearly

    var optionName: String {
        switch self {
        case .hourly: "keep-hourly"
        case .daily: "keep-daily"
        case .weekly: "keep-weekly"
        case .monthly: "keep-monthly"
        case .yearly: "keep-yearly"
        }
    }

    func key(_ keys: PeriodKeys) -> Int {
        switch self {
        case .hourly: keys.hour
        case .daily: keys.day
        case .weekly: keys.week
        case .monthly: keys.month
        case .yearly: keys.year
        }
    }

    func describe(_ key: Int) -> String {
        switch self {
        case .hourly: PeriodKeys.describeHour(key)
        case .daily: PeriodKeys.describeDay(key)
        case .weekly: PeriodKeys.describeWeek(key)
        case .monthly: PeriodKeys.describeMonth(key)
        case .yearly: PeriodKeys.describeYear(key)
        }
    }
}

/// What the plan does with one snapshot, and why.
///
/// JSON (snake_case): `{"id", "target", "taken_at" (ISO 8601, UTC), "bytes", "action"
/// ("keep"|"remove"), "rule" (1-based or null), "reasons": [string]}`.
public struct RetentionDecision: Sendable, Hashable, Codable {
    /// Keep or remove.
    public enum Action: String, Sendable, Hashable, Codable {
        /// The snapshot stays.
        case keep
        /// The snapshot is deleted when the plan is applied.
        case remove
    }

    /// The snapshot id.
    public var id: String
    /// The snapshot's target.
    public var target: String
    /// When the snapshot was taken.
    public var takenAt: Date
    /// The snapshot's size.
    public var bytes: Int64
    /// Keep or remove.
    public var action: Action
    /// The 1-based number of the rule that governs the snapshot, or nil when no rule selects it.
    public var rule: Int?
    var reasonCodes: [RetentionReason]

    /// Human-readable reasons, e.g. `keep-daily (2026-11-26)`, `keep-last 3`, `within 2d of newest`,
    /// `pinned`, `newest of group`; for removals `no keep rule selects it`,
    /// `older than max-age 90d`, `over max-total-bytes 10GiB for rule 1`.
    public var reasons: [String] { reasonCodes.map(\.text) }

    /// One line for people: `kept: keep-daily (2026-11-26); keep-last 3` or
    /// `removed: no keep rule selects it`, so keeps and removals read differently.
    public var explanation: String {
        (action == .keep ? "kept: " : "removed: ") + reasons.joined(separator: "; ")
    }

    /// Creates a decision (the planner builds these; the initializer serves tests and decoders).
    public init(id: String, target: String, takenAt: Date, bytes: Int64, action: Action, rule: Int?, reasons: [String])
    {
        self.init(
            id: id, target: target, takenAt: takenAt, bytes: bytes, action: action, rule: rule,
            reasonCodes: reasons.map { .text($0) })
    }

    init(
        id: String, target: String, takenAt: Date, bytes: Int64, action: Action, rule: Int?,
        reasonCodes: [RetentionReason]
    ) {
        self.id = id
        self.target = target
        self.takenAt = takenAt
        self.bytes = bytes
        self.action = action
        self.rule = rule
        self.reasonCodes = reasonCodes
    }

    /// Decisions are equal when every field and the rendered reasons are equal.
    public static func == (a: Self, b: Self) -> Bool {
        a.id == b.id && a.target == b.target && a.takenAt == b.takenAt && a.bytes == b.bytes
            && a.action == b.action && a.rule == b.rule && a.reasons == b.reasons
    }

    /// Hashes the fields `==` compares (sizes and rule excepted, which equality still checks).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(target)
        hasher.combine(takenAt)
        hasher.combine(action)
        hasher.combine(reasons)
    }

    private enum CodingKeys: String, CodingKey {
        case id, target
        case takenAt = "taken_at"
        case bytes, action, rule, reasons
    }

    /// Reads the snake_case JSON form; `taken_at` must be an ISO 8601 timestamp.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .takenAt)
        guard let date = RetentionTimestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .takenAt, in: c, debugDescription: "taken_at \"\(text)\" is not an ISO 8601 timestamp")
        }
        self.init(
            id: try c.decode(String.self, forKey: .id),
            target: try c.decode(String.self, forKey: .target),
            takenAt: date,
            bytes: try c.decode(Int64.self, forKey: .bytes),
            action: try c.decode(Action.self, forKey: .action),
            rule: try c.decodeIfPresent(Int.self, forKey: .rule),
            reasons: try c.decode([String].self, forKey: .reasons))
    }

    /// Writes the snake_case JSON form, `taken_at` in UTC.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(target, forKey: .target)
        try c.encode(RetentionTimestamp.format(takenAt), forKey: .takenAt)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(action, forKey: .action)
        try c.encode(rule, forKey: .rule)
        try c.encode(reasons, forKey: .reasons)
    }
}

/// The outcome of ``RetentionPlanner/plan(candidates:policy:now:)``.
///
/// JSON (snake_case): `{"decisions": [...], "keep_ids": [...], "remove_ids": [...],
/// "bytes_freed": n, "warnings": [...]}`; decoding reads `decisions` and `warnings` and
/// recomputes the rest.
public struct RetentionPlan: Sendable, Hashable, Codable {
    /// One decision per candidate: groups ordered by target name then rule number (snapshots no
    /// rule selects last), each group newest first (ties: larger id first).
    public let decisions: [RetentionDecision]
    /// Things an operator should know, e.g. a size budget that cannot be met because only
    /// newest-of-group and pinned snapshots remain.
    public let warnings: [String]
    /// Total size of the snapshots to remove (at most `Int64.max`).
    public let bytesFreed: Int64

    /// Ids of the snapshots to keep, in decision order.
    public var keepIDs: [String] { decisions.compactMap { $0.action == .keep ? $0.id : nil } }
    /// Ids of the snapshots to remove, in decision order.
    public var removeIDs: [String] { decisions.compactMap { $0.action == .remove ? $0.id : nil } }

    /// Creates a plan; `bytesFreed` is the sum of the removed decisions' sizes.
    public init(decisions: [RetentionDecision], warnings: [String] = []) {
        self.decisions = decisions
        self.warnings = warnings
        var total = ByteTotal()
        for d in decisions where d.action == .remove { total.add(d.bytes) }
        bytesFreed = total.clamped
    }

    private enum CodingKeys: String, CodingKey {
        case decisions
        case keepIDs = "keep_ids"
        case removeIDs = "remove_ids"
        case bytesFreed = "bytes_freed"
        case warnings
    }

    /// Reads `decisions` and `warnings`; the id lists and `bytes_freed` are recomputed.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            decisions: try c.decode([RetentionDecision].self, forKey: .decisions),
            warnings: try c.decodeIfPresent([String].self, forKey: .warnings) ?? [])
    }

    /// Writes the snake_case JSON form, including the id lists and `bytes_freed`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decisions, forKey: .decisions)
        try c.encode(keepIDs, forKey: .keepIDs)
        try c.encode(removeIDs, forKey: .removeIDs)
        try c.encode(bytesFreed, forKey: .bytesFreed)
        try c.encode(warnings, forKey: .warnings)
    }
}

/// ISO 8601 timestamps in UTC for the JSON form: `2026-11-26T02:00:00Z`, with milliseconds
/// only when the time has a fractional second.
enum RetentionTimestamp {
    static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        guard t.isFinite, abs(t) < 1e15 else { return "\(t)" }
        var millis = Int((t * 1000).rounded())
        let totalSeconds = CivilCalendar.floorDiv(millis, 1000)
        millis -= totalSeconds * 1000
        let day = CivilCalendar.floorDiv(totalSeconds, 86_400)
        let secondOfDay = totalSeconds - day * 86_400
        let two = PeriodKeys.twoDigits
        let clock = "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
        var s = "\(PeriodKeys.describeDay(day))T\(clock)"
        if millis != 0 {
            let m = String(millis)
            s += "." + String(repeating: "0", count: 3 - m.count) + m
        }
        return s + "Z"
    }

    static func parse(_ text: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle().parse(text) { return d }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
