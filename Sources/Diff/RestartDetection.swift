import Foundation
import Profiles

/// Signs that two snapshots of a target come from different processes: the target restarted
/// between them. Every function takes the snapshots in time order (older first), so a reversed
/// pair (A newer than B) is never mistaken for a restart.
public enum RestartDetection {
    /// expvar keys read as the process start (Unix seconds, or milliseconds when larger than 1e11, or ISO 8601).
    public static let startKeys = ["process_start_time_seconds", "start_time", "started_at", "startTime", "start_time_unix"]
    /// expvar keys read as the process uptime in seconds.
    public static let uptimeKeys = ["uptime", "uptime_seconds", "uptimeSeconds"]

    /// Why the vars say the process restarted between `older` and `newer`, taken `seconds` apart; nil when
    /// they do not. Checks a published start time, a published uptime, and memstats counters going back.
    public static func fromVars(older: ExpVars, newer: ExpVars, seconds: Double) -> String? {
        if let (key, s0) = value(older, startKeys, start), let s1 = value(newer, [key], start)?.1, abs(s1 - s0) > 1 {
            return "\(key) changed from \(format(s0)) to \(format(s1))"
        }
        if let (key, u0) = value(older, uptimeKeys, \.doubleValue), let u1 = value(newer, [key], \.doubleValue)?.1,
           u1 < u0 + max(0, seconds) - max(3, seconds * 0.1) {
            return "\(key) went back from \(String(format: "%.0f", u0)) s to \(String(format: "%.0f", u1)) s"
        }
        if let m0 = older.memStats, let m1 = newer.memStats {
            for (name, a, b) in [("NumGC", m0.numGC, m1.numGC), ("TotalAlloc", m0.totalAlloc, m1.totalAlloc), ("Mallocs", m0.mallocs, m1.mallocs)]
            where b < a {
                return "memstats \(name) went back from \(a) to \(b)"
            }
        }
        return nil
    }

    /// Why the goroutine ids say the process restarted: ids come from one counter per process, and a later
    /// dump of the same process always holds the goroutine serving that request, newer than every
    /// goroutine of the earlier dump. Nil when either dump is empty or the highest id did not go back.
    public static func fromGoroutineIDs(older: [Int], newer: [Int]) -> String? {
        guard let high0 = older.max(), let high1 = newer.max(), high1 < high0 else { return nil }
        return "the highest goroutine id went back from \(high0) to \(high1)"
    }

    /// The one warning for a diff whose snapshots straddle a restart, from every reason found.
    public static func warning(a: String, b: String, reasons: [String]) -> String? {
        guard !reasons.isEmpty else { return nil }
        return "the target restarted between snapshots \(a) and \(b) (\(reasons.joined(separator: "; "))): "
            + "the deltas compare two different processes, and counters and rates do not carry over"
    }

    static func value(_ vars: ExpVars, _ keys: [String], _ read: (ExpVarValue) -> Double?) -> (String, Double)? {
        for key in keys { if let v = vars.other[key].flatMap(read) { return (key, v) } }
        return nil
    }

    static func start(_ v: ExpVarValue) -> Double? {
        if case let .string(s) = v {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = f.date(from: s) { return d.timeIntervalSince1970 }
            f.formatOptions = [.withInternetDateTime]
            return f.date(from: s)?.timeIntervalSince1970
        }
        guard let n = v.doubleValue else { return nil }
        return n > 1e11 ? n / 1000 : n
    }

    static func format(_ unixSeconds: Double) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: unixSeconds.rounded(.down)))
    }
}
