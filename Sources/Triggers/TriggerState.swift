import Foundation

/// Why a rule fired: what the manifest of the snapshot records.
public struct TriggerFiring: Sendable, Hashable {
    /// The value that met the condition.
    public var observed: Double
    /// What it was compared with: the threshold, the rolling mean, or the value at the last capture.
    public var baseline: Double
    /// The condition that held, in words (`above 500`, `42% over the mean of the last 10 samples`, ...).
    public var reason: String
    /// The samples of the window, oldest first, ending with `observed`.
    public var samples: [Double]
}

/// What a poll decided.
public enum TriggerDecision: Sendable, Hashable {
    /// Take a snapshot now.
    case fire(TriggerFiring)
    /// The condition holds but the rule does not fire, and why (not re-armed, cooling down, hourly cap, warm-up).
    case held(String)
    /// The condition does not hold (the rule re-arms).
    case quiet
}

/// The rolling state of one rule on one target: a pure value the daemon keeps per (rule, target) and feeds
/// every poll. Edge-triggered: it fires when the condition becomes true, and re-arms only once the condition
/// has been false again; the cooldown and the hourly cap then still apply.
public struct TriggerState: Sendable, Hashable {
    public let rule: TriggerRule
    /// The last `window` values, oldest first (the current value is not among them when it is judged).
    public private(set) var samples: [Double] = []
    /// False after a firing until the condition has been false once.
    public private(set) var armed = true
    /// When the rule last fired.
    public private(set) var lastFired: Date?
    /// The value when the rule last fired (for `doubles_since_last_capture`).
    public private(set) var valueAtLastCapture: Double?
    /// Firing times within the last hour (for `max_per_hour`).
    public private(set) var recentFirings: [Date] = []
    /// The previous raw counter and its time, for rate signals.
    var previousCounter: Counter?

    struct Counter: Sendable, Hashable {
        var value: Double
        var at: Date
    }

    /// Creates the state of a rule that has seen nothing yet.
    public init(rule: TriggerRule) { self.rule = rule }

    /// A rate signal's value from a counter read at `time` (nil for the first read, or when the counter went back:
    /// the process restarted and the difference means nothing).
    public mutating func rate(counter: Double, at time: Date, scale: Double = 1) -> Double? {
        defer { previousCounter = Counter(value: counter, at: time) }
        guard let p = previousCounter, time > p.at, counter >= p.value else { return nil }
        return (counter - p.value) * scale / (rule.signal == .gcPauseSeconds ? 1 : time.timeIntervalSince(p.at))
    }

    /// Judges `value`, polled at `time`, then adds it to the window.
    public mutating func observe(_ value: Double, at time: Date) -> TriggerDecision {
        defer {
            samples.append(value)
            if samples.count > rule.condition.window { samples.removeFirst(samples.count - rule.condition.window) }
        }
        guard let met = condition(value) else {
            armed = true
            return .quiet
        }
        guard armed else { return .held("still over since it fired at \(Self.text(lastFired)); re-arms when it falls back") }
        if let last = lastFired, time.timeIntervalSince(last) < Self.seconds(rule.cooldown) {
            return .held("cooling down since \(Self.text(last))")
        }
        recentFirings.removeAll { time.timeIntervalSince($0) >= 3600 }
        if let cap = rule.maxPerHour, recentFirings.count >= cap {
            return .held("fired \(recentFirings.count) times in the last hour (max_per_hour \(cap))")
        }
        armed = false
        lastFired = time
        valueAtLastCapture = value
        recentFirings.append(time)
        return .fire(TriggerFiring(observed: value, baseline: met.baseline, reason: met.reason, samples: samples + [value]))
    }

    /// The part of the condition that holds, or nil. `rise_percent` holds only once `window` samples were seen.
    func condition(_ value: Double) -> (baseline: Double, reason: String)? {
        let c = rule.condition
        if let floor = c.min, value < floor { return nil }
        if let above = c.above, value > above { return (above, "above \(Self.number(above))") }
        // The rolling mean needs a full window first (the warm-up); absolute rules judge from the first poll.
        if let pct = c.risePercent, samples.count >= c.window, !samples.isEmpty {
            let mean = samples.reduce(0, +) / Double(samples.count)
            if value > mean && value >= mean * (1 + pct / 100) {
                let rise = mean > 0 ? (value / mean - 1) * 100 : .infinity
                return (mean, String(format: "%.0f%% over the mean of the last %d samples (rise_percent %@)", rise, samples.count, Self.number(pct)))
            }
        }
        if c.doublesSinceLastCapture, let before = valueAtLastCapture, before > 0, value >= 2 * before {
            return (before, "at least double the value at the last capture (\(Self.number(before)))")
        }
        if c.doublesSinceLastCapture, valueAtLastCapture == nil, c.above == nil, c.risePercent == nil, let floor = c.min {
            // Nothing captured yet: the floor is the first baseline, as CockroachDB's dumper starts from its threshold.
            return (floor, "at least \(Self.number(floor)) with no capture before")
        }
        return nil
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3g", v)
    }

    static func text(_ d: Date?) -> String {
        guard let d else { return "-" }
        let f = ISO8601DateFormatter()
        return f.string(from: d)
    }
}
