import Foundation
import Traces

/// `gbsnap-bench trace-summary FILE [--iterations N]`
///
/// Reads an execution trace once, summarises it `N` times (default 5) and prints, per iteration and
/// overall, the wall and process CPU time and the throughput in MB/s (10^6 bytes) by both, with the
/// summary's headline counts. CPU-time throughput is the figure to compare on a shared, loaded machine.
func benchTraceSummary(arguments: [String]) throws {
    let usage = "usage: gbsnap-bench trace-summary FILE [--iterations N]"
    var path: String?
    var iterations = 5
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "--iterations" || argument == "-n" {
            index += 1
            guard index < arguments.count, let n = Int(arguments[index]), n > 0 else {
                throw GoroutineBenchError(description: "\(argument) needs a positive integer; \(usage)")
            }
            iterations = n
        } else if !argument.hasPrefix("-") && path == nil {
            path = argument
        } else {
            throw GoroutineBenchError(description: "unexpected argument \"\(argument)\"; \(usage)")
        }
        index += 1
    }
    guard let path else { throw GoroutineBenchError(description: "trace-summary needs a trace file; \(usage)") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw GoroutineBenchError(description: "cannot read trace \"\(path)\"")
    }
    let bytes = [UInt8](data)
    let megabytes = Double(bytes.count) / 1e6
    print("trace-summary: \(path), \(String(format: "%.1f", megabytes)) MB, \(iterations) iterations")
    var bestWall = Double.infinity, bestCPU = Double.infinity
    for i in 1...iterations {
        var usage0 = rusage(), usage1 = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage0)
        let start = DispatchTime.now().uptimeNanoseconds
        let summary = try TraceSummarizer.summarize(bytes)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        getrusage(RUSAGE_SELF.rawValue, &usage1)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let cpu = seconds(usage1.ru_utime) + seconds(usage1.ru_stime) - seconds(usage0.ru_utime) - seconds(usage0.ru_stime)
        bestWall = min(bestWall, wall)
        bestCPU = min(bestCPU, max(cpu, 1e-6))
        let blocks = summary.block.byReason.values.reduce(0) { $0 + $1.count }
        print(String(format: "iteration %d: wall %.3f s (%.1f MB/s), cpu %.3f s (%.1f MB/s); %d GCs, %d goroutines created, %d blocks, %d schedulings",
                     i, wall, megabytes / wall, cpu, megabytes / max(cpu, 1e-6), summary.gc.count,
                     summary.goroutines.created, blocks, summary.schedLatencySeconds.count))
    }
    print(String(format: "best wall %.3f s (%.1f MB/s), best cpu %.3f s (%.1f MB/s)",
                 bestWall, megabytes / bestWall, bestCPU, megabytes / bestCPU))
}
