import Foundation
import GBSnapCore
import Triggers
import Yams

/// One `triggers:` rule of the config (docs/triggers.md): what to watch, when to fire, what to capture.
public struct ConfiguredTrigger: Sendable, Hashable {
    /// Where a signal is read from.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// The cheapest source that has the signal: the pprof index page for goroutines, else `/debug/vars`.
        case auto
        /// `/debug/pprof/` (goroutines only).
        case pprofIndex = "pprof_index"
        /// The target's expvar `/debug/vars` memstats.
        case vars
        /// A Prometheus exposition (client_golang's Go collector) at `metrics_path`.
        case metrics
    }

    /// The rule as the pure core judges it (name, signal, condition, cooldown, hourly cap).
    public var rule: TriggerRule
    /// Targets watched, resolved from `targets:` and `selector:` as schedules resolve them.
    public var targets: [String]
    /// How often each target is polled.
    public var poll: Duration
    public var source: Source
    /// Path of the Prometheus exposition for `source: metrics`.
    public var metricsPath: String
    /// Kinds captured when the rule fires.
    public var kinds: [CaptureKind]
    public var parameters: CaptureParameters

    /// The fastest poll allowed for signals read from memstats: `runtime.ReadMemStats` stops the world briefly.
    public static let memstatsPollFloor: Duration = .seconds(5)
    /// The fastest poll allowed for the goroutine count from the pprof index page.
    public static let indexPollFloor: Duration = .seconds(1)
    /// Default `cooldown`.
    public static let defaultCooldown: Duration = .seconds(600)
    /// Default `window`.
    public static let defaultWindow = 10
}

extension Loader {
    static let triggerKeys = ["name", "targets", "selector", "signal", "source", "metrics_path", "poll", "above", "rise_percent",
                              "window", "doubles_since_last_capture", "min", "cooldown", "max_per_hour", "kinds", "params"]

    mutating func readTriggers(_ node: Node, targets: [TargetSpec], defaults: ScheduleDefaults) -> [ConfiguredTrigger] {
        guard case .sequence(let seq) = node else {
            reader.fail(node, "triggers must be a list of rules, found \(NodeReader.describe(node))")
            return []
        }
        var out: [ConfiguredTrigger] = []
        var firstLine: [String: Int] = [:]
        for (index, item) in seq.enumerated() {
            guard let pairs = reader.mapping(item, Self.label(item, "trigger", index), allowed: Self.triggerKeys) else { continue }
            let get = { (k: String) in pairs.first { $0.key == k }?.value }
            guard let nameNode = get("name"), let name = reader.string(nameNode, "trigger #\(index + 1) name") else {
                if get("name") == nil { reader.fail(item, "trigger #\(index + 1) has no name") }
                continue
            }
            let context = "trigger \"\(name)\""
            var ok = true
            if let line = firstLine[name] {
                reader.fail(nameNode, "duplicate trigger name \"\(name)\" (first defined on line \(line))")
                continue
            }
            firstLine[name] = nameNode.mark?.line ?? 0
            if !Self.isSafeName(name) {
                reader.fail(nameNode, "\(context): the name must be letters, digits, '.', '_' or '-' (snapshots are recorded under schedule trigger/\(name))")
                ok = false
            }

            var signal: TriggerSignal?
            if let s = get("signal"), let text = reader.string(s, "\(context): signal") {
                signal = TriggerSignal(rawValue: text)
                if signal == nil {
                    let names = TriggerSignal.allCases.map(\.rawValue)
                    let hint = NodeReader.closest(text, in: names).map { "did you mean \"\($0)\"? " } ?? ""
                    reader.fail(s, "\(context): unknown signal \"\(text)\"; \(hint)signals: \(names.joined(separator: ", "))")
                }
            } else if get("signal") == nil {
                reader.fail(item, "\(context) has no signal (one of \(TriggerSignal.allCases.map(\.rawValue).joined(separator: ", ")))")
            }

            var source = ConfiguredTrigger.Source.auto
            if let s = get("source"), let text = reader.string(s, "\(context): source") {
                if let v = ConfiguredTrigger.Source(rawValue: text) {
                    source = v
                    if v == .pprofIndex, let signal, signal != .goroutines {
                        reader.fail(s, "\(context): source pprof_index has only the goroutine count, not \(signal.rawValue); use vars or metrics")
                        ok = false
                    }
                } else {
                    reader.fail(s, "\(context): source must be \(ConfiguredTrigger.Source.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(text)\"")
                    ok = false
                }
            }
            var metricsPath = "/metrics"
            if let m = get("metrics_path"), let text = reader.string(m, "\(context): metrics_path") {
                if text.hasPrefix("/") { metricsPath = text } else {
                    reader.fail(m, "\(context): metrics_path \"\(text)\" must start with /")
                    ok = false
                }
            }

            // The condition.
            var condition = TriggerCondition(window: ConfiguredTrigger.defaultWindow)
            if let a = get("above") { if let v = threshold(a, signal, "\(context): above") { condition.above = v } else { ok = false } }
            if let m = get("min") { if let v = threshold(m, signal, "\(context): min") { condition.min = v } else { ok = false } }
            if let r = get("rise_percent") {
                if let v = number(r, "\(context): rise_percent"), v > 0 { condition.risePercent = v } else {
                    if number(r, "", quiet: true).map({ $0 <= 0 }) == true { reader.fail(r, "\(context): rise_percent must be more than 0") }
                    ok = false
                }
            }
            if let w = get("window") { if let v = reader.int(w, "\(context): window", min: 1, max: 10_000) { condition.window = v } else { ok = false } }
            if let d = get("doubles_since_last_capture") {
                if let v = reader.bool(d, "\(context): doubles_since_last_capture") { condition.doublesSinceLastCapture = v } else { ok = false }
            }
            if condition.above == nil && condition.risePercent == nil && !condition.doublesSinceLastCapture {
                reader.fail(item, "\(context) has no condition; give above:, rise_percent: or doubles_since_last_capture: true")
                ok = false
            }

            var poll: Duration?
            if let p = get("poll") {
                poll = reader.duration(p, "\(context): poll")
                if let d = poll, let signal {
                    let usesMemstats = signal != .goroutines || source == .vars
                    let floor = usesMemstats ? ConfiguredTrigger.memstatsPollFloor : ConfiguredTrigger.indexPollFloor
                    if d < floor {
                        reader.fail(p, "\(context): poll \(DurationParser.format(d)) is faster than \(DurationParser.format(floor)), "
                            + (usesMemstats ? "the floor for memstats signals (each read stops the world briefly)" : "the floor for polls"))
                        ok = false
                    }
                }
            } else {
                reader.fail(item, "\(context) has no poll interval (e.g. poll: 10s)")
            }
            var cooldown = ConfiguredTrigger.defaultCooldown
            if let c = get("cooldown") { if let d = reader.duration(c, "\(context): cooldown") { cooldown = d } else { ok = false } }
            var maxPerHour: Int?
            if let m = get("max_per_hour") { maxPerHour = reader.int(m, "\(context): max_per_hour", min: 1, max: 3600); if maxPerHour == nil { ok = false } }

            var kinds = defaults.kinds
            if let k = get("kinds") { kinds = readKinds(k, context: context) }
            if kinds == nil { reader.fail(item, "\(context) has no kinds to capture when it fires (and defaults: sets none)") }
            var params = defaults.params
            if let p = get("params") { readParams(p, into: &params, context: context) }

            let selected = resolveTargets(targetsNode: get("targets"), selectorNode: get("selector"), item: item, targets: targets, context: context)
            if ok, let signal, let poll, let kinds, let selected {
                out.append(ConfiguredTrigger(
                    rule: TriggerRule(name: name, signal: signal, condition: condition, cooldown: cooldown, maxPerHour: maxPerHour),
                    targets: selected, poll: poll, source: source, metricsPath: metricsPath, kinds: kinds, parameters: params))
            }
        }
        return out
    }

    /// A threshold in the signal's unit: byte sizes (`512MiB`) for byte signals, else a plain number.
    mutating func threshold(_ node: Node, _ signal: TriggerSignal?, _ what: String) -> Double? {
        if signal == .heapInuseBytes || signal == .allocBytesPerSecond { return reader.size(node, what).map(Double.init) }
        return number(node, what)
    }

    mutating func number(_ node: Node, _ what: String, quiet: Bool = false) -> Double? {
        guard case .scalar(let s) = node, let v = Double(s.string.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            if !quiet { reader.fail(node, "\(what) must be a number, found \(NodeReader.describe(node))") }
            return nil
        }
        return v
    }
}
