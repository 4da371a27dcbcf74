import Foundation

/// Which snapshots a ``RetentionRule`` governs.
///
/// Every non-empty list is a constraint and all constraints must hold (AND); inside one list any
/// entry may match (OR). An empty selector selects every snapshot. Entries of `targets`, `kinds`,
/// `schedules` and the values of `labels` are shell-style globs (`*`, `?`, `[a-z]`, `[!x]`),
/// matched against the whole string; a plain name matches only itself.
public struct RetentionSelector: Sendable, Hashable, Codable {
    /// Target names or globs such as `"order-*"`; the snapshot's target must match one of them.
    public var targets: [String]
    /// Capture kinds or globs; at least one of the snapshot's kinds must match one of them.
    public var kinds: [String]
    /// Label constraints: the snapshot must carry every key, with a value matching the glob.
    public var labels: [String: String]
    /// Schedule names or globs (`"manual"` and `"import"` name snapshots taken outside schedules).
    public var schedules: [String]

    /// Creates a selector; the defaults select every snapshot.
    public init(
        targets: [String] = [], kinds: [String] = [], labels: [String: String] = [:], schedules: [String] = []
    ) {
        self.targets = targets
        self.kinds = kinds
        self.labels = labels
        self.schedules = schedules
    }
}

/// One retention rule: a selector plus restic-style keep options and hard budgets.
///
/// Counts follow restic `forget`: `nil` or `0` means the option is not used, a positive `n` keeps
/// the newest snapshot of each of the last `n` periods that contain snapshots, and `-1` means
/// unlimited. Any other negative count is rejected by the planner.
public struct RetentionRule: Sendable, Hashable, Codable {
    /// The snapshots this rule governs (the first rule whose selector matches a snapshot wins).
    public var selector: RetentionSelector
    /// Keep the `n` most recent snapshots.
    public var keepLast: Int?
    /// Keep the newest snapshot of each of the last `n` clock hours that have snapshots.
    public var keepHourly: Int?
    /// Keep the newest snapshot of each of the last `n` calendar days that have snapshots.
    public var keepDaily: Int?
    /// Keep the newest snapshot of each of the last `n` ISO 8601 weeks (Monday to Sunday) that have snapshots.
    public var keepWeekly: Int?
    /// Keep the newest snapshot of each of the last `n` calendar months that have snapshots.
    public var keepMonthly: Int?
    /// Keep the newest snapshot of each of the last `n` calendar years that have snapshots.
    public var keepYearly: Int?
    /// Keep every snapshot taken less than this long before the newest snapshot of its group
    /// (not before now). Zero means not set.
    public var keepWithin: Duration?
    /// Remove snapshots taken more than this long before `now`, whatever the keep options say
    /// (never the newest snapshot of a group, never a pinned one). Must be positive.
    public var maxAge: Duration?
    /// Remove the oldest snapshots this rule governs, across all its targets, until their total
    /// size fits (never the newest snapshot of a group, never a pinned one). Must not be negative.
    public var maxTotalBytes: Int64?
    /// Keep the `n` newest snapshots without data (failed captures) of each target the rule
    /// governs; nil means ``defaultKeepFailedLast``, `0` none by count, `-1` all. Failed snapshots
    /// never count toward the keep options above, and the size budget ignores them.
    public var keepFailedLast: Int?
    /// Keep every snapshot without data taken less than this long before `now` (not before the
    /// newest snapshot: failures are evidence of the recent past); nil means
    /// ``defaultKeepFailedWithin``, zero means not used.
    public var keepFailedWithin: Duration?

    /// The failures kept by count when a rule does not say: the last few, for a post-mortem.
    public static let defaultKeepFailedLast = 3
    /// The failures kept by age when a rule does not say: the last day.
    public static let defaultKeepFailedWithin: Duration = .seconds(86_400)

    /// Creates a rule; with only a selector it keeps everything with data it selects.
    public init(
        selector: RetentionSelector = .init(),
        keepLast: Int? = nil, keepHourly: Int? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
        keepMonthly: Int? = nil, keepYearly: Int? = nil, keepWithin: Duration? = nil,
        maxAge: Duration? = nil, maxTotalBytes: Int64? = nil,
        keepFailedLast: Int? = nil, keepFailedWithin: Duration? = nil
    ) {
        self.selector = selector
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
        self.maxAge = maxAge
        self.maxTotalBytes = maxTotalBytes
        self.keepFailedLast = keepFailedLast
        self.keepFailedWithin = keepFailedWithin
    }
}

/// An ordered list of retention rules and the time zone that defines hours, days, weeks, months
/// and years for them.
public struct RetentionPolicy: Sendable, Hashable {
    /// The rules, in priority order: a snapshot is governed by the first rule that selects it.
    public var rules: [RetentionRule]
    /// The zone whose wall clock defines the periods of the keep-hourly…keep-yearly options.
    public var timeZone: TimeZone
    /// When the daemon applies the policy (a cron expression); the planner itself ignores it.
    public var schedule: String

    /// Creates a policy.
    public init(rules: [RetentionRule], timeZone: TimeZone = .gmt, schedule: String = "@hourly") {
        self.rules = rules
        self.timeZone = timeZone
        self.schedule = schedule
    }
}
