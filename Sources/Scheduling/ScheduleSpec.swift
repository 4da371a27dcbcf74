import Cron
import Foundation
import Vocabulary

/// How targets of one schedule are placed inside its stagger window.
public enum StaggerSpread: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each target gets a stable pseudo-random offset from a hash of (schedule, target).
    case hash
    /// The N targets, ordered by name, get offsets `i × window / N`: equal gaps.
    case even
}

/// What to do at start-up about firings missed while the daemon was not running
/// (like systemd `Persistent=`).
public enum CatchUpPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Missed firings are not run; the schedule resumes at its next firing.
    case skip
    /// If at least one firing was missed, run one capture now (however many were missed).
    case once
}

/// One schedule, resolved: which targets it captures, which kinds, when, and how spread out.
public struct ScheduleSpec: Sendable, Hashable {
    /// Unique schedule name; part of the stagger hash, so renaming a schedule changes its phase.
    public var name: String
    /// When the schedule fires.
    public var cron: CronExpression
    /// Zone the cron expression is read in.
    public var timeZone: TimeZone
    /// Target names (already resolved from names and label selectors), without duplicates.
    public var targets: [String]
    /// Capture kinds; one capture takes all of them, one after another, in this order.
    public var kinds: [CaptureKind]
    /// Captures start within `[fire time, fire time + stagger)`; the window is shortened to the gap
    /// to the next firing when that is smaller, so a capture is never planned after its next firing.
    public var stagger: Duration
    /// How targets are placed in the stagger window.
    public var spread: StaggerSpread
    /// What to do about firings missed while the daemon was down.
    public var catchUp: CatchUpPolicy
    /// Expected wall time of one capture of all `kinds` (see `CaptureEstimate`), used to keep the
    /// captures of one target from overlapping and to model the concurrency cap.
    public var estimatedCaptureDuration: Duration

    /// Memberwise initializer.
    public init(
        name: String, cron: CronExpression, timeZone: TimeZone, targets: [String], kinds: [CaptureKind],
        stagger: Duration = .zero, spread: StaggerSpread = .hash, catchUp: CatchUpPolicy = .skip,
        estimatedCaptureDuration: Duration = .seconds(1)
    ) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.targets = targets
        self.kinds = kinds
        self.stagger = stagger
        self.spread = spread
        self.catchUp = catchUp
        self.estimatedCaptureDuration = estimatedCaptureDuration
    }
}

/// Estimates how long one capture takes: `cpu` and `trace` last their requested seconds, every
/// kind also costs a fixed per-request allowance.
public enum CaptureEstimate {
    /// The sum over `kinds` of `perRequest`, plus `cpuSeconds` for `cpu` and `traceSeconds` for
    /// `trace`, plus `customSeconds` (the custom endpoints' extra seconds) for `custom`.
    public static func duration(
        kinds: [CaptureKind], cpuSeconds: Int, traceSeconds: Int, customSeconds: Int = 0, perRequest: Duration = .seconds(1)
    ) -> Duration {
        var total = Duration.zero
        for kind in kinds {
            total += perRequest
            switch kind {
            case .cpu: total += .seconds(cpuSeconds)
            case .trace: total += .seconds(traceSeconds)
            case .custom: total += .seconds(customSeconds)
            default: break
            }
        }
        return total
    }
}

/// One capture in the planned timeline.
public struct PlannedCapture: Sendable, Hashable, Codable {
    /// Schedule name.
    public var schedule: String
    /// Target name.
    public var target: String
    /// Kinds taken, in order, inside this one capture (one snapshot).
    public var kinds: [CaptureKind]
    /// The cron firing this capture belongs to.
    public var fireTime: Date
    /// The stagger offset from the hash or even spread, before any push.
    public var offset: Duration
    /// When the capture is planned to start: fire time + offset, pushed later if the target was
    /// still busy with an earlier capture or the concurrency cap was reached.
    public var plannedStart: Date
    /// `plannedStart` + the estimated duration.
    public var plannedEnd: Date
    /// Why the start was pushed past fire time + offset, if it was.
    public var pushed: PushReason?

    /// Why a capture starts later than its stagger offset.
    public enum PushReason: String, Sendable, Hashable, Codable {
        /// An earlier capture of the same target (from this or another schedule) was still running.
        case targetBusy = "target-busy"
        /// `max_concurrent` captures were already running.
        case concurrencyCap = "concurrency-cap"
    }

    /// Memberwise initializer.
    public init(schedule: String, target: String, kinds: [CaptureKind], fireTime: Date, offset: Duration,
                plannedStart: Date, plannedEnd: Date, pushed: PushReason? = nil) {
        self.schedule = schedule
        self.target = target
        self.kinds = kinds
        self.fireTime = fireTime
        self.offset = offset
        self.plannedStart = plannedStart
        self.plannedEnd = plannedEnd
        self.pushed = pushed
    }
}
