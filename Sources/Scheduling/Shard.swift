import Cron

/// One slice of the targets when N daemons share one store: a daemon owns the targets whose stable hash
/// (64-bit FNV-1a of the name, mixed as the stagger offsets are) modulo `count` is `index`. This is
/// Prometheus' `hashmod`: every daemon computes the same split from the names alone, with no coordination,
/// and a target moves between shards only when `count` changes.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// This daemon's slice, `0..<count`.
    public let index: Int
    /// How many daemons share the targets.
    public let count: Int

    /// A shard, or nil unless `count >= 1` and `0 <= index < count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Why a shard text or pair does not name a shard.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The reason, to follow the value in a message.
        public var reason: String
        public var description: String { reason }
    }

    /// Parses `I/N` (`--shard 0/3`).
    public static func parse(_ text: String) -> Result<Shard, ParseError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            return .failure(ParseError(reason: "is not INDEX/COUNT, e.g. 0/3 for the first of three daemons"))
        }
        return make(index: index, count: count)
    }

    /// A shard from its two numbers, or why they do not make one.
    public static func make(index: Int, count: Int) -> Result<Shard, ParseError> {
        guard count >= 1 else { return .failure(ParseError(reason: "has a count of \(count); the count must be 1 or more")) }
        guard let shard = Shard(index: index, count: count) else {
            return .failure(ParseError(reason: "has index \(index), outside 0...\(count - 1) for a count of \(count)"))
        }
        return .success(shard)
    }

    /// True when `target` belongs to this shard.
    public func owns(_ target: String) -> Bool {
        count == 1 || Int(StableHash.mix(StableHash.fnv1a64(target)) % UInt64(count)) == index
    }

    /// `1/3`.
    public var description: String { "\(index)/\(count)" }

    /// The shard that actually divides the targets: nil for none, and for a count of 1 (every target).
    public static func dividing(_ shard: Shard?) -> Shard? {
        guard let shard, shard.count > 1 else { return nil }
        return shard
    }

    /// The daemon lock file in the store root: `daemon.lock`, or `daemon-shard-I-of-N.lock` for a shard, so the
    /// daemons of different shards can share one store.
    public static func daemonLockName(_ shard: Shard?) -> String {
        dividing(shard).map { "daemon-shard-\($0.index)-of-\($0.count).lock" } ?? "daemon.lock"
    }

    /// The shard a lock file name of ``daemonLockName(_:)`` stands for; nil for any other name.
    public init?(daemonLockName name: String) {
        guard name.hasPrefix("daemon-shard-"), name.hasSuffix(".lock") else { return nil }
        let numbers = name.dropFirst("daemon-shard-".count).dropLast(".lock".count).split(separator: "-")
        guard numbers.count == 3, numbers[1] == "of", let index = Int(numbers[0]), let count = Int(numbers[2]),
              count > 1 else { return nil }
        self.init(index: index, count: count)
    }
}
