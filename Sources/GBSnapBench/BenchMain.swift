import Foundation

/// `gbsnap-bench <benchmark> [arguments]`: the benchmarks behind docs/benchmarks.md.
/// `scripts/bench` runs them beside the reference tools.
@main
enum BenchMain {
    static func main() async {
        var args = Array(CommandLine.arguments.dropFirst())
        guard !args.isEmpty else {
            print("usage: gbsnap-bench store|profile-diff|goroutine-parse|trace-summary|retention-plan|prune|capture|daemon|triggers|metrics ...")
            exit(2)
        }
        let name = args.removeFirst()
        do {
            switch name {
            case "store": try benchStore(arguments: args)
            case "profile-diff": try benchProfileDiff(arguments: args)
            case "goroutine-parse": try benchGoroutineParse(arguments: args)
            case "trace-summary": try benchTraceSummary(arguments: args)
            case "retention-plan": try benchRetentionPlan(arguments: args)
            case "prune": try benchPrune(arguments: args)
            case "capture": try await benchCapture(arguments: args)
            case "daemon": try benchDaemon(arguments: args)
            case "triggers": try benchTriggers(arguments: args)
            case "metrics": try await benchMetrics(arguments: args)
            default:
                print("unknown benchmark \(name)")
                exit(2)
            }
        } catch {
            FileHandle.standardError.write(Data("gbsnap-bench \(name): \(error)\n".utf8))
            exit(1)
        }
    }
}
