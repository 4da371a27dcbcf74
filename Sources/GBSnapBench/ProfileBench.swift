import Diff
import Foundation
import Profiles

/// A `profile-diff` benchmark usage error.
struct ProfileBenchUsageError: Error, CustomStringConvertible {
    var description: String
}

/// `gbsnap-bench profile-diff A B [--iterations N] [--sample-index X] [--lines] [--json FILE]`
///
/// Reads two profiles once, then N times decodes both and computes the diff, printing the
/// timings, throughput over the compressed and inflated bytes, and peak RSS (VmHWM).
func benchProfileDiff(arguments: [String]) throws {
    var paths: [String] = []
    var iterations = 5
    var sampleIndex: SampleIndexSelector?
    var granularity = ProfileDiffGranularity.functions
    var jsonPath: String?
    var i = 0
    while i < arguments.count {
        let argument = arguments[i]
        switch argument {
        case "--iterations", "-n":
            guard i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 else {
                throw ProfileBenchUsageError(description: "profile-diff: --iterations needs a positive number")
            }
            iterations = n
            i += 1
        case "--sample-index":
            guard i + 1 < arguments.count else {
                throw ProfileBenchUsageError(description: "profile-diff: --sample-index needs a value")
            }
            sampleIndex = SampleIndexSelector(arguments[i + 1])
            i += 1
        case "--json":
            guard i + 1 < arguments.count else {
                throw ProfileBenchUsageError(description: "profile-diff: --json needs a file name")
            }
            jsonPath = arguments[i + 1]
            i += 1
        case "--lines":
            granularity = .lines
        default:
            paths.append(argument)
        }
        i += 1
    }
    guard paths.count == 2 else {
        throw ProfileBenchUsageError(
            description: "usage: gbsnap-bench profile-diff A B [--iterations N] [--sample-index X] [--lines] [--json FILE]")
    }
    let fileA = [UInt8](try Data(contentsOf: URL(fileURLWithPath: paths[0])))
    let fileB = [UInt8](try Data(contentsOf: URL(fileURLWithPath: paths[1])))
    let decoder = ProfileDecoder()
    let clock = ContinuousClock()

    // Warm-up, and the figures describing the inputs.
    // Re-encoded messages stand in for the inflated inputs (same content, our field order).
    let (messageA, messageB): ([UInt8], [UInt8]) = try {
        let warmA = try decoder.decode(fileA)
        let warmB = try decoder.decode(fileB)
        print("inputs: A \(warmA.samples.count) samples, \(fileA.count) B gzipped; B \(warmB.samples.count) samples, \(fileB.count) B gzipped")
        return (ProfileEncoder.encodeMessage(warmA), ProfileEncoder.encodeMessage(warmB))
    }()
    let inflated = messageA.count + messageB.count

    var parseTimes: [Duration] = []
    var decodeTimes: [Duration] = []
    var diffTimes: [Duration] = []
    var diff: ProfileDiff?
    for _ in 0..<iterations {
        do {
            // Freed before the next timed block, so none pays for freeing an earlier result and
            // peak RSS reflects one decoded pair.
            var parsedA = Profile(), parsedB = Profile()
            parseTimes.append(try clock.measure {
                parsedA = try ProfileDecoder.decodeMessage(messageA)
                parsedB = try ProfileDecoder.decodeMessage(messageB)
            })
            withExtendedLifetime((parsedA, parsedB)) {}
        }
        var a = Profile(), b = Profile()
        decodeTimes.append(try clock.measure {
            a = try decoder.decode(fileA)
            b = try decoder.decode(fileB)
        })
        diffTimes.append(try clock.measure {
            diff = try ProfileDiff.compute(base: a, current: b, sampleIndex: sampleIndex, granularity: granularity)
        })
    }
    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
    let cpuBefore = profileBenchThreadCPUSeconds()
    _ = try decoder.decode(fileA)
    _ = try decoder.decode(fileB)
    let cpuDecode = profileBenchThreadCPUSeconds() - cpuBefore
    let decodeBest = decodeTimes.map(seconds).min() ?? 0
    let parseBest = parseTimes.map(seconds).min() ?? 0
    let diffBest = diffTimes.map(seconds).min() ?? 0
    let compressed = Double(fileA.count + fileB.count)
    func format(_ v: Double) -> String { String(format: "%.3f", v) }
    print("iterations: \(iterations), sample type: \(diff?.sampleType.description ?? "?"), rows: \(diff?.entries.count ?? 0)")
    print("decode A+B: best \(format(decodeBest * 1000)) ms, "
        + "\(format(compressed / decodeBest / 1e6)) MB/s gzipped, \(format(Double(inflated) / decodeBest / 1e6)) MB/s inflated")
    print("decode A+B CPU time (one more run, immune to other processes' load): \(format(cpuDecode * 1000)) ms, "
        + "\(format(Double(inflated) / cpuDecode / 1e6)) MB/s inflated")
    print("protobuf parse only (no gzip) A+B: best \(format(parseBest * 1000)) ms, "
        + "\(format(Double(inflated) / parseBest / 1e6)) MB/s")
    print("diff: best \(format(diffBest * 1000)) ms")
    print("decode+diff: best \(format((decodeBest + diffBest) * 1000)) ms")
    if let jsonPath, let diff {
        // The diff in raw units, to cross-check with `go tool pprof -top -unit=B`.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(ProfileDiffJSON(diff)).write(to: URL(fileURLWithPath: jsonPath))
    }
    print("peak RSS (VmHWM): \(profileBenchPeakRSSKilobytes().map { "\($0) kB" } ?? "unknown")")
}

/// VmHWM from /proc/self/status, in kB (nil where /proc is unavailable).
private func profileBenchPeakRSSKilobytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
    return nil
}

/// CPU time consumed by the calling thread, in seconds.
private func profileBenchThreadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
