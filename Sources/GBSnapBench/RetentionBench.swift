import Foundation
import Retention

#if canImport(Glibc)
    import Glibc
#endif

/// `gbsnap-bench retention-plan [--entries N] [--targets T] [--seed S]`: plans retention for N
/// synthetic snapshots spread over T targets and the year 2026, with a typical three-rule policy
/// in Asia/Shanghai, and prints the wall time of building the input and of planning, the plan's
/// totals, and the process's peak resident set size (VmHWM).
func benchRetentionPlan(arguments: [String]) throws {
    let options = try RetentionBenchOptions(arguments)
    let clock = ContinuousClock()

    let buildStart = clock.now
    let candidates = RetentionBenchInput.candidates(
        entries: options.entries, targets: options.targets, seed: options.seed)
    let buildTime = clock.now - buildStart

    let policy = RetentionBenchInput.policy
    let now = Date(timeIntervalSince1970: 1_798_761_600)  // 2027-01-01T00:00:00Z
    let residentBeforePlan = RetentionBenchInput.procStatus("VmRSS")
    let planStart = clock.now
    let planCPUStart = RetentionBenchInput.processCPUSeconds()
    let plan = try RetentionPlanner.plan(candidates: candidates, policy: policy, now: now)
    let planCPU = RetentionBenchInput.processCPUSeconds().map { end in planCPUStart.map { end - $0 } } ?? nil
    let planTime = clock.now - planStart

    var kept = 0
    for decision in plan.decisions where decision.action == .keep { kept += 1 }
    print("retention-plan entries=\(candidates.count) targets=\(options.targets) seed=\(options.seed)")
    print("  build_input_seconds=\(RetentionBenchInput.seconds(buildTime))")
    print("  plan_seconds=\(RetentionBenchInput.seconds(planTime))")
    print("  plan_cpu_seconds=\(planCPU.map { String(($0 * 1000).rounded() / 1000) } ?? "unavailable")")
    print("  kept=\(kept) removed=\(plan.decisions.count - kept) bytes_freed=\(plan.bytesFreed)")
    print("  warnings=\(plan.warnings.count)")
    print("  rss_before_plan=\(residentBeforePlan ?? "unavailable")")
    print("  peak_rss=\(RetentionBenchInput.procStatus("VmHWM") ?? "unavailable")")
}

/// Command-line options of the retention-plan benchmark.
struct RetentionBenchOptions {
    var entries = 1_000_000
    var targets = 120
    var seed: UInt64 = 42

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw RetentionBenchError.missingValue(flag) }
            switch flag {
            case "--entries":
                guard let n = Int(value), n >= 0 else { throw RetentionBenchError.badValue(flag, value) }
                entries = n
            case "--targets":
                guard let n = Int(value), n > 0 else { throw RetentionBenchError.badValue(flag, value) }
                targets = n
            case "--seed":
                guard let n = UInt64(value) else { throw RetentionBenchError.badValue(flag, value) }
                seed = n
            default:
                throw RetentionBenchError.unknownFlag(flag)
            }
        }
    }
}

/// A usage error of the retention-plan benchmark.
enum RetentionBenchError: Error, CustomStringConvertible {
    case missingValue(String)
    case badValue(String, String)
    case unknownFlag(String)

    var description: String {
        switch self {
        case .missingValue(let flag): "retention-plan: option \(flag) needs a value"
        case .badValue(let flag, let value): "retention-plan: \(flag) \"\(value)\" is not a valid number"
        case .unknownFlag(let flag): "retention-plan: unknown option \(flag) (expected --entries, --targets or --seed)"
        }
    }
}

/// Synthetic input for the benchmark: deterministic for a seed.
enum RetentionBenchInput {
    static let policy = RetentionPolicy(
        rules: [
            RetentionRule(
                selector: RetentionSelector(targets: ["order-*"], kinds: ["trace"]),
                keepLast: 3, keepDaily: 7, maxAge: .seconds(30 * 86_400)),
            RetentionRule(
                selector: RetentionSelector(targets: ["order-*", "payment-*"]),
                keepHourly: 48, keepDaily: 30, keepWeekly: 12, keepMonthly: 12, keepWithin: .seconds(86_400),
                maxTotalBytes: 40 << 30),
            RetentionRule(keepDaily: 14, keepWeekly: 8, keepMonthly: 6, maxAge: .seconds(180 * 86_400)),
        ],
        timeZone: TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 28_800) ?? .gmt)

    static func candidates(entries: Int, targets: Int, seed: UInt64) -> [RetentionCandidate] {
        var random = RetentionBenchRandom(seed: seed)
        let services = ["order-api", "inventory", "payment", "coupon", "search"]
        let year2026: Double = 1_767_225_600  // 2026-01-01T00:00:00Z
        let span: Double = 365 * 86_400
        let perTarget = (entries + targets - 1) / targets
        let step = span / Double(max(1, perTarget))
        let heapKinds = ["heap", "allocs", "goroutine", "vars"]
        let traceKinds = ["trace"]
        let names = (0..<targets).map { "\(services[$0 % services.count])-\($0)" }
        let labels = (0..<targets).map { ["region": $0 % 2 == 0 ? "cn-east" : "cn-north", "env": "prod"] }
        var result: [RetentionCandidate] = []
        result.reserveCapacity(entries)
        // Round-robin over targets, so the input is time-ordered like a catalog that grows as
        // captures land.
        for i in 0..<entries {
            let t = i % targets
            let k = i / targets
            let time = year2026 + Double(k) * step + Double(random.next() % 600)
            let roll = random.next() % 100
            let (schedule, kinds) =
                roll < 5 ? ("nightly-trace", traceKinds) : (roll < 7 ? ("manual", heapKinds) : ("hourly", heapKinds))
            result.append(
                RetentionCandidate(
                    id: "\(names[t])-\(k)", target: names[t], kinds: kinds, labels: labels[t], schedule: schedule,
                    takenAt: Date(timeIntervalSince1970: time), bytes: Int64(200_000 + random.next() % 4_000_000),
                    pinned: random.next() % 10_000 == 0))
        }
        return result
    }

    /// Seconds with millisecond precision, e.g. `0.857`.
    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        let milliseconds = (Double(s) * 1000 + Double(atto) / 1e15).rounded()
        return String(milliseconds / 1000)
    }

    /// CPU time used by the process so far (wall time is misleading on a busy machine).
    static func processCPUSeconds() -> Double? {
        #if canImport(Glibc)
            var spec = timespec()
            guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec) == 0 else { return nil }
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        #else
            return nil
        #endif
    }

    /// A field of /proc/self/status (`VmHWM` is the peak resident set size), e.g. `812345 kB`;
    /// nil where /proc is not available.
    static func procStatus(_ field: String) -> String? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

/// A small seeded generator (SplitMix64), so runs are reproducible.
struct RetentionBenchRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
