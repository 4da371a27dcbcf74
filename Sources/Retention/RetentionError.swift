import Foundation

/// Why a retention plan could not be made.
public enum RetentionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A keep count is negative but not -1 (`rule` is 1-based; `option` is e.g. `keep-daily`).
    case invalidCount(rule: Int, option: String, value: Int)
    /// `keep-within` is negative.
    case negativeKeepWithin(rule: Int, value: Duration)
    /// `keep-failed-within` is negative.
    case negativeKeepFailedWithin(rule: Int, value: Duration)
    /// `max-age` is zero or negative.
    case nonPositiveMaxAge(rule: Int, value: Duration)
    /// `max-total-bytes` is negative.
    case negativeMaxTotalBytes(rule: Int, value: Int64)
    /// Two candidates share one id.
    case duplicateSnapshotID(String)
    /// A candidate has a negative size.
    case negativeSnapshotSize(id: String, bytes: Int64)
    /// A candidate's time is not finite or lies outside years 1…9999.
    case snapshotTimeOutOfRange(id: String)
    /// The reference time `now` is not finite or lies outside years 1…9999.
    case nowOutOfRange
    /// The plan would remove every snapshot of this target; the planner refuses (a final safety rail).
    case wouldRemoveAllSnapshots(target: String)

    /// One sentence naming the input and what is wrong with it.
    public var description: String {
        switch self {
        case .invalidCount(let rule, let option, let value):
            return "retention rule \(rule): \(option) \(value) is invalid (use a positive count, or -1 for unlimited)"
        case .negativeKeepWithin(let rule, let value):
            return "retention rule \(rule): keep-within \(RetentionFormat.duration(value)) is negative"
        case .negativeKeepFailedWithin(let rule, let value):
            return "retention rule \(rule): keep-failed-within \(RetentionFormat.duration(value)) is negative (use 0 to keep no failures by age)"
        case .nonPositiveMaxAge(let rule, let value):
            return "retention rule \(rule): max-age \(RetentionFormat.duration(value)) must be positive"
        case .negativeMaxTotalBytes(let rule, let value):
            return "retention rule \(rule): max-total-bytes \(value) is negative"
        case .duplicateSnapshotID(let id):
            return "snapshot id \"\(id)\" appears more than once in the retention input"
        case .negativeSnapshotSize(let id, let bytes):
            return "snapshot \"\(id)\": size \(bytes) bytes is negative"
        case .snapshotTimeOutOfRange(let id):
            return "snapshot \"\(id)\": its time is not a valid date between years 1 and 9999"
        case .nowOutOfRange:
            return "retention reference time is not a valid date between years 1 and 9999"
        case .wouldRemoveAllSnapshots(let target):
            return "retention would remove every snapshot of target \"\(target)\", so the plan is refused"
        }
    }
}
