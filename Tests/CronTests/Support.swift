import Units
import Foundation
@testable import Cron

let utc = TimeZone(identifier: "UTC")!
let newYork = TimeZone(identifier: "America/New_York")!

/// Parses an ISO 8601 timestamp written in a test; an invalid literal yields the distant past so the
/// assertion that uses it fails visibly.
func at(_ text: String, _ zone: TimeZone = utc) -> Date {
    ISO8601Offset.parse(text, in: zone) ?? .distantPast
}

/// The next `count` fire times after `from`, formatted with their offsets in `zone`.
func fires(_ expression: String, after from: String, count: Int, in zone: TimeZone = utc, hashKey: String = "") throws -> [String] {
    let cron = try CronExpression(expression, hashKey: hashKey)
    return cron.nextFireTimes(after: at(from, zone), count: count, in: zone).map { ISO8601Offset.format($0, in: zone) }
}

/// A small deterministic generator (SplitMix64) so random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
