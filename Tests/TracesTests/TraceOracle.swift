// The oracle: `go tool trace -d=parsed FILE` (Go 1.25+; `-d=1` before) of the toolchain that wrote
// the trace prints every event Go's own parser reads. This replays that text into the same counts and
// durations the summary holds.

import Foundation
import GBSnapTestSupport

struct TraceOracle {
    var gcCount = 0
    var stwByKind: [String: Int] = [:]
    var created = 0
    var ended = 0
    var atStart = 0
    var maxAlive = 0
    var blockByReason: [String: Int] = [:]
    var blockNanosByReason: [String: Double] = [:]
    var syscalls = 0
    var latenciesNanos: [Double] = []
    var gomaxprocs: Int?
    var heapMin: UInt64?
    var heapMax: UInt64?
    var firstTime: Double = .infinity
    var lastTime: Double = 0
    var events = 0

    static func run(go: String, minor: String, trace: String) async throws -> TraceOracle {
        let parts = minor.split(separator: ".")
        let newFlag = parts.count == 2 && (Int(parts[1]) ?? 0) >= 25
        let result = try await Subprocess.run(go, ["tool", "trace", newFlag ? "-d=parsed" : "-d=1", trace],
                                        environment: ["GOTOOLCHAIN": "local"])
        guard result.status == 0 else {
            throw GoFixtureError(description: "go tool trace -d on \(trace) failed (exit \(result.status)): \(result.stderr.prefix(2000))")
        }
        return TraceOracle(parsing: result.stdoutText)
    }

    init(parsing text: String) {
        var alive = 0
        var runnableSince: [Int: Double] = [:]
        var blocked: [Int: (since: Double, reason: String)] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) where rawLine.hasPrefix("M=") {
            let line = Substring(rawLine)
            events += 1
            guard let time = Self.number(after: " Time=", in: line) else { continue }
            if !line.contains(" Sync Time=") {
                firstTime = min(firstTime, time)
                lastTime = max(lastTime, time)
            }
            if line.contains(" RangeBegin Time="), let name = Self.quoted(after: " Name=", in: line) {
                if name == "GC concurrent mark phase" { gcCount += 1 }
                if name.hasPrefix("stop-the-world ("), name.hasSuffix(")") {
                    stwByKind[String(name.dropFirst("stop-the-world (".count).dropLast()), default: 0] += 1
                }
            } else if line.contains(" Metric Time="), let name = Self.quoted(after: " Name=", in: line),
                      let value = Self.number(after: "Uint64(", in: line) {
                // "Value=Uint64(2)" (Go 1.22, 1.23) or "Value=Value{Uint64(2)}" (Go 1.25+).
                if name == "/sched/gomaxprocs:threads" { gomaxprocs = Int(value) }
                if name == "/memory/classes/heap/objects:bytes" {
                    let v = UInt64(value)
                    heapMin = min(heapMin ?? v, v)
                    heapMax = max(heapMax ?? v, v)
                }
            } else if line.contains(" StateTransition "), let g = Self.number(after: " GoID=", in: line) {
                let id = Int(g)
                guard let transition = line.split(separator: " ").first(where: { $0.contains("->") }) else { continue }
                let states = transition.split(separator: "-", maxSplits: 1)
                let old = String(states[0]), new = String(states[1].dropFirst())
                let reason = Self.quoted(after: " Reason=", in: line) ?? ""
                if old == "Undetermined" && new != "NotExist" { atStart += 1; alive += 1 }
                if old == "NotExist" { created += 1; alive += 1 }
                if new == "NotExist" { ended += 1; alive -= 1 }
                maxAlive = max(maxAlive, alive)
                if old == "Running" && new == "Syscall" { syscalls += 1 }
                if old == "Waiting" && new != "Waiting", let open = blocked.removeValue(forKey: id) {
                    blockNanosByReason[open.reason, default: 0] += time - open.since
                }
                if old == "Running" && new == "Waiting" {
                    // Go's parser records a coroutine switch as a block with no reason.
                    let name = reason.isEmpty ? "coroutine switch" : reason
                    blockByReason[name, default: 0] += 1
                    blocked[id] = (time, name)
                }
                if new == "NotExist", let open = blocked.removeValue(forKey: id) {
                    blockNanosByReason[open.reason, default: 0] += time - open.since
                }
                if old == "Runnable" && new == "Running", let since = runnableSince.removeValue(forKey: id) {
                    latenciesNanos.append(time - since)
                }
                if new == "Runnable" && old != "Runnable" && old != "Undetermined" { runnableSince[id] = time }
                if new != "Runnable" { runnableSince[id] = nil }
            }
        }
        for open in blocked.values { blockNanosByReason[open.reason, default: 0] += lastTime - open.since }
        latenciesNanos.sort()
    }

    /// Nearest-rank percentile, in seconds.
    func latency(_ p: Double) -> Double {
        guard !latenciesNanos.isEmpty else { return 0 }
        let index = max(0, Int((p * Double(latenciesNanos.count)).rounded(.up)) - 1)
        return latenciesNanos[min(index, latenciesNanos.count - 1)] / 1e9
    }

    private static func number(after key: String, in line: Substring) -> Double? {
        guard let range = line.range(of: key) else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isNumber || $0 == "-" }
        return Double(digits)
    }

    private static func quoted(after key: String, in line: Substring) -> String? {
        guard let range = line.range(of: key + "\"") else { return nil }
        var out = ""
        var escaped = false
        for ch in line[range.upperBound...] {
            if escaped { out.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "\"" { return out }
            out.append(ch)
        }
        return nil
    }
}
