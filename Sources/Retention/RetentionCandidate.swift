import Foundation

/// One snapshot as the planner sees it (the store's catalog maps its entries to this).
public struct RetentionCandidate: Sendable, Hashable {
    /// The snapshot id; unique among the candidates of one plan.
    public var id: String
    /// The target the snapshot was captured from.
    public var target: String
    /// The capture kinds the snapshot contains (a partial snapshot counts for these).
    public var kinds: [String]
    /// The capture kinds that were asked for and failed; rules select a snapshot without data by these.
    public var failedKinds: [String]
    /// False for a snapshot without data (a capture where no artifact succeeded). Such snapshots
    /// never count toward or displace the keep options of snapshots with data: they are planned
    /// apart, under the failure keep options (``RetentionRule/keepFailedLast``).
    public var hasData: Bool
    /// The target's labels at capture time.
    public var labels: [String: String]
    /// The schedule name that produced the snapshot, or `"manual"` / `"import"`.
    public var schedule: String
    /// When the snapshot was taken.
    public var takenAt: Date
    /// The snapshot's size on disk.
    public var bytes: Int64
    /// Pinned snapshots are never removed.
    public var pinned: Bool

    /// Creates a candidate.
    public init(
        id: String, target: String, kinds: [String] = [], labels: [String: String] = [:],
        schedule: String = "manual", takenAt: Date, bytes: Int64 = 0, pinned: Bool = false,
        failedKinds: [String] = [], hasData: Bool = true
    ) {
        self.id = id
        self.target = target
        self.kinds = kinds
        self.failedKinds = failedKinds
        self.hasData = hasData
        self.labels = labels
        self.schedule = schedule
        self.takenAt = takenAt
        self.bytes = bytes
        self.pinned = pinned
    }
}
