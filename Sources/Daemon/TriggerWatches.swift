import Capture
import Config
import Cron
import Foundation
import GBSnapCore
import Profiles
import Triggers

/// One (rule, target) pair the daemon polls, with its deterministic place in the poll interval.
struct TriggerWatch: Sendable {
    /// `rule \0 target`: the key of its rolling state, kept across reloads while the rule is unchanged.
    let key: String
    let trigger: ConfiguredTrigger
    let target: TargetSpec
    let pollTarget: PollTarget
    /// Offset of this pair's polls inside the poll interval, so many targets do not poll at once.
    let phase: TimeInterval

    var rule: TriggerRule { trigger.rule }
    var interval: TimeInterval { trigger.poll.timeInterval }

    /// Polls must be short: a target that does not answer within this is "not answering", and the next
    /// poll is the retry. Half the interval, at most 2 s.
    var timeout: Duration { min(.seconds(2), trigger.poll / 2) }

    /// The first poll time strictly after `time`: `k × interval + phase` seconds since the epoch, so the
    /// same pair polls on the same grid in every process (as staggering places captures).
    func nextPoll(after time: Date) -> Date {
        let t = time.timeIntervalSince1970
        let k = ((t - phase) / interval).rounded(.down) + 1
        return Date(timeIntervalSince1970: k * interval + phase)
    }

    static func key(rule: String, target: String) -> String { rule + "\u{0}" + target }

    /// The phase of `rule` on `target` in `interval`: FNV-1a of both names, in whole milliseconds.
    static func phase(rule: String, target: String, interval: TimeInterval) -> TimeInterval {
        let ms = max(1, UInt64(interval * 1000))
        return Double(StableHash.mix(StableHash.fnv1a64("trigger\u{0}" + rule + "\u{0}" + target)) % ms) / 1000
    }

    /// The watches of `config`; targets whose credentials or TLS cannot be loaded are returned as problems
    /// (one sentence each) and not polled.
    static func all(in config: ConfigFile) -> (watches: [TriggerWatch], problems: [String]) {
        var watches: [TriggerWatch] = []
        var problems: [String] = []
        let targets = Dictionary(config.targets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for trigger in config.triggers {
            for name in trigger.targets {
                guard let target = targets[name] else { continue }
                do {
                    let poll = try Capturer.pollTarget(target)
                    watches.append(TriggerWatch(key: key(rule: trigger.rule.name, target: name), trigger: trigger, target: target,
                                                pollTarget: poll,
                                                phase: phase(rule: trigger.rule.name, target: name, interval: trigger.poll.timeInterval)))
                } catch {
                    problems.append("trigger \"\(trigger.rule.name)\" cannot poll \(error)")
                }
            }
        }
        return (watches, problems)
    }
}

/// Where a poll reads a signal, and how the body becomes a raw reading. Pure: the poller does the GETs.
enum SignalSource: Sendable, Hashable {
    /// The `/debug/pprof/` index page (goroutines, nearly free for the target).
    case pprofIndex
    /// The first line of `goroutine?debug=1` (the index page's fallback).
    case goroutineDebug1
    /// expvar `/debug/vars` memstats.
    case vars
    /// A Prometheus exposition at this path.
    case metrics(String)

    /// The manifest's name of the source.
    var name: String {
        switch self {
        case .pprofIndex: "pprof_index"
        case .goroutineDebug1: "goroutine_debug1"
        case .vars: "vars"
        case .metrics: "metrics"
        }
    }

    /// Bytes read at most: an index page is ~2 KiB, memstats ~10 KiB, an exposition can be large; the first
    /// line of a debug=1 dump is all that is needed of it.
    var limit: Int {
        switch self {
        case .pprofIndex: 64 << 10
        case .goroutineDebug1: 4 << 10
        case .vars: 1 << 20
        case .metrics: 8 << 20
        }
    }

    func path(on target: PollTarget) -> String {
        switch self {
        case .pprofIndex: target.pprofIndexPath
        case .goroutineDebug1: target.goroutineDebug1Path
        case .vars: target.varsPath
        case .metrics(let p): target.path(p)
        }
    }

    /// The sources to try for `trigger`, cheapest first (the fallback is tried when the first has no value).
    static func plan(_ trigger: ConfiguredTrigger) -> [SignalSource] {
        switch (trigger.source, trigger.rule.signal) {
        case (.metrics, _): [.metrics(trigger.metricsPath)]
        case (.vars, _): [.vars]
        case (.pprofIndex, _): [.pprofIndex]
        case (.auto, .goroutines): [.pprofIndex, .goroutineDebug1]
        case (.auto, _): [.vars]
        }
    }

    /// The raw reading of `signal` in `body` (a level, or the counter of a rate signal), or why there is none.
    func reading(_ signal: TriggerSignal, body: String) -> Result<Double, ReadingProblem> {
        let value: Double?
        switch self {
        case .pprofIndex: value = SignalReaders.goroutines(pprofIndex: body)
        case .goroutineDebug1: value = SignalReaders.goroutines(debug1: body)
        case .metrics: value = SignalReaders.reading(signal, prometheus: body)
        case .vars:
            guard let vars = try? ExpVars.parse(Array(body.utf8)) else {
                return .failure(ReadingProblem("the body is not expvar JSON"))
            }
            value = SignalReaders.reading(signal, vars: vars)
        }
        guard let value, value.isFinite else {
            return .failure(ReadingProblem(missingText(signal)))
        }
        return .success(value)
    }

    private func missingText(_ signal: TriggerSignal) -> String {
        switch self {
        case .pprofIndex: "the pprof index page has no goroutine row"
        case .goroutineDebug1: "the first line is not \"goroutine profile: total N\""
        case .vars: "/debug/vars has no memstats value for \(signal.rawValue)"
        case .metrics: "the exposition has no \(SignalReaders.prometheusMetric(signal)) sample"
        }
    }

    /// Raw counter units to the signal's unit (pause nanoseconds from memstats to seconds).
    var fromVars: Bool { self == .vars }
}

/// Why a body held no reading.
struct ReadingProblem: Error, Sendable, Hashable {
    let text: String
    init(_ text: String) { self.text = text }
}
