import Foundation
import Profiles

/// `gbsnap-bench goroutine-parse FILE [--iterations N] [--format debug2|debug1]`
///
/// Reads a goroutine dump (debug=2 by default; debug=1 with `--format debug1`) once, parses it `N` times
/// (default 5) and prints, per iteration and overall, the wall time, the process CPU time, the throughput in MB/s
/// (10^6 bytes) by both, the goroutine/group count, then this process's peak RSS (VmHWM from /proc/self/status)
/// before and after. CPU-time throughput is the figure to compare on a shared, loaded machine.
func benchGoroutineParse(arguments: [String]) throws {
    var path: String?
    var iterations = 5
    var format = "debug2"
    var index = 0
    let usage = "usage: gbsnap-bench goroutine-parse FILE [--iterations N] [--format debug2|debug1]"
    while index < arguments.count {
        let argument = arguments[index]
        switch argument {
        case "--iterations", "-n":
            index += 1
            guard index < arguments.count, let n = Int(arguments[index]), n > 0 else {
                throw GoroutineBenchError(description: "\(argument) needs a positive integer; \(usage)")
            }
            iterations = n
        case "--format":
            index += 1
            guard index < arguments.count, ["debug1", "debug2"].contains(arguments[index]) else {
                throw GoroutineBenchError(description: "--format needs debug1 or debug2; \(usage)")
            }
            format = arguments[index]
        default:
            guard !argument.hasPrefix("-"), path == nil else {
                throw GoroutineBenchError(description: "unexpected argument \"\(argument)\"; \(usage)")
            }
            path = argument
        }
        index += 1
    }
    guard let path else { throw GoroutineBenchError(description: "goroutine-parse needs a dump file; \(usage)") }
    let bytes: Data
    do {
        bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw GoroutineBenchError(description: "cannot read goroutine dump \"\(path)\": \(error.localizedDescription)")
    }
    let megabytes = Double(bytes.count) / 1e6
    print("goroutine-parse \(format): \(path), \(String(format: "%.1f", megabytes)) MB, \(iterations) iterations; "
        + "peak RSS after reading: \(benchPeakRSS())")
    let clock = ContinuousClock()
    var total = Duration.zero
    var best = Duration.seconds(1_000_000)
    var totalCPU = 0.0
    for i in 1...iterations {
        let cpuStart = benchCPUSeconds()
        let start = clock.now
        let items: Int
        if format == "debug2" {
            items = try GoroutineDump.parse(bytes).goroutines.count
        } else {
            items = try GoroutineProfileText.parse(bytes).groups.count
        }
        let elapsed = clock.now - start
        let cpu = benchCPUSeconds() - cpuStart
        totalCPU += cpu
        total += elapsed
        best = min(best, elapsed)
        let seconds = benchSeconds(elapsed)
        print(String(format: "iteration %d: wall %.3f s (%.1f MB/s), cpu %.3f s (%.1f MB/s), %d %@", i, seconds,
                     megabytes / seconds, cpu, megabytes / cpu, items, format == "debug2" ? "goroutines" : "groups"))
    }
    let mean = benchSeconds(total) / Double(iterations)
    let meanCPU = totalCPU / Double(iterations)
    print(String(format: "mean wall %.3f s (%.1f MB/s), best wall %.3f s (%.1f MB/s), mean cpu %.3f s (%.1f MB/s); "
                    + "peak RSS: %@", mean, megabytes / mean, benchSeconds(best), megabytes / benchSeconds(best),
                 meanCPU, megabytes / meanCPU, benchPeakRSS()))
}

/// CPU time (user + system) this process has used, in seconds.
private func benchCPUSeconds() -> Double {
    var time = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

struct GoroutineBenchError: Error, CustomStringConvertible {
    var description: String
}

private func benchSeconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// `VmHWM` from /proc/self/status, e.g. `123.4 MiB`, or `unavailable` off Linux.
private func benchPeakRSS() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces)
              .split(separator: " ").first ?? "")
    else { return "unavailable" }
    return String(format: "%.1f MiB", kib / 1024)
}
