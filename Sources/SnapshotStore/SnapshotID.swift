import Foundation

/// Snapshot ids: `20261126T020000Z-order-api-7k3f`: time first (so ids sort by time), then the
/// target, then four random base-32 characters (so ids taken in the same second differ).
public enum SnapshotID {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// A new id for a snapshot of `target` taken at `date`.
    public static func make(target: String, at date: Date) -> String {
        var rng = SystemRandomNumberGenerator()
        let suffix = String((0..<4).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        return "\(compactTime(date))-\(target)-\(suffix)"
    }

    /// `20261126T020000Z`.
    static func compactTime(_ date: Date) -> String {
        let iso = Timestamp.formatUTCFast(date)  // 2026-11-26T02:00:00.000Z
        let c = Array(iso)
        return String(c[0..<4]) + String(c[5..<7]) + String(c[8..<10]) + "T" + String(c[11..<13]) + String(c[14..<16]) + String(c[17..<19]) + "Z"
    }

    /// Target names become path segments and id parts: the one rule, ``TargetSpec/isValidName(_:)``.
    public static func isValidTargetName(_ name: String) -> Bool { TargetSpec.isValidName(name) }

    /// The longest id ``make(target:at:)`` gives: `YYYYMMDDTHHMMSSZ-`, the longest target name, `-` and 4 characters.
    static let maxIDBytes = 17 + TargetSpec.maxNameBytes + 5

    /// Ids become file names: the characters of target names, at most ``maxIDBytes`` (an id is longer than its
    /// target's name, so the target-name limit would refuse the ids of targets over 78 bytes).
    public static func isValidID(_ id: String) -> Bool { TargetSpec.isSafeName(id, maxBytes: maxIDBytes) }
}

import GBSnapCore
