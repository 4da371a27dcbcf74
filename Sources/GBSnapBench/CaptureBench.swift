import Capture
import Foundation
import GBSnapCore

/// `gbsnap-bench capture URL [--kind K[,K...]] [--count N] [--prefix P] [--limit N] [--tmp DIR]`
///
/// Captures the given kinds from a running target `count` times through one `Capturer`, printing
/// the wall time and size of every capture, then captures per second and this process's peak RSS
/// (VmHWM). Bodies are deleted after each capture. The stacks governor limit defaults to
/// unlimited so a `stacks` benchmark really takes the debug=2 dump.
func benchCapture(arguments: [String]) async throws {
    var url: String?
    var kinds: [CaptureKind] = [.stacks]
    var count = 10
    var prefix = "/debug/pprof"
    var limit = Int.max
    var temporary = FileManager.default.temporaryDirectory.appendingPathComponent("gbsnap-bench-\(getpid())").path
    var index = 0
    func value(_ flag: String) throws -> String {
        index += 1
        guard index < arguments.count else { throw CaptureBenchError(description: "\(flag) needs a value") }
        return arguments[index]
    }
    while index < arguments.count {
        let argument = arguments[index]
        switch argument {
        case "--kind", "--kinds":
            let names = try value(argument).split(separator: ",").map(String.init)
            kinds = try names.map { name in
                guard let kind = CaptureKind(userName: name), kind != .custom else {
                    throw CaptureBenchError(description: "unknown capture kind \"\(name)\"")
                }
                return kind
            }
        case "--count":
            let text = try value(argument)
            guard let n = Int(text), n > 0 else { throw CaptureBenchError(description: "--count \"\(text)\" is not a positive integer") }
            count = n
        case "--prefix":
            prefix = try value(argument)
        case "--limit":
            let text = try value(argument)
            guard let n = Int(text), n >= 0 else { throw CaptureBenchError(description: "--limit \"\(text)\" is not a non-negative integer") }
            limit = n
        case "--tmp":
            temporary = try value(argument)
        default:
            guard !argument.hasPrefix("-"), url == nil else {
                throw CaptureBenchError(description: "unexpected argument \"\(argument)\"; usage: gbsnap-bench capture URL [--kind K,K] [--count N] [--prefix P] [--limit N] [--tmp DIR]")
            }
            url = argument
        }
        index += 1
    }
    guard let url else { throw CaptureBenchError(description: "capture benchmark needs the target URL") }

    let target = TargetSpec(name: "bench", baseURL: url, pprofPrefix: prefix, timeouts: .init(connect: .seconds(5), total: .seconds(300)))
    let request = CaptureRequest(target: target, kinds: kinds, parameters: CaptureParameters(stacksGoroutineLimit: limit))
    let capturer = Capturer(temporaryDirectory: temporary)
    let clock = ContinuousClock()
    var times: [Duration] = []
    var totalBytes: Int64 = 0
    let kindNames = kinds.map(\.rawValue).joined(separator: ",")
    print("capturing \(kindNames) from \(target.redactedBaseURL) \(count) times; peak RSS before: \(peakRSSDescription())")
    do {
        for i in 1...count {
            let start = clock.now
            let artifacts = try await capturer.capture(request)
            let elapsed = clock.now - start
            times.append(elapsed)
            var bytes: Int64 = 0
            for artifact in artifacts {
                if let failure = artifact.outcome.message, artifact.outcome.isFailure {
                    print("  \(artifact.name): \(failure)")
                }
                bytes += artifact.bytes
                if let file = artifact.file { try? FileManager.default.removeItem(atPath: file) }
            }
            totalBytes += bytes
            print("capture \(i): \(formatBytes(bytes)) in \(formatSeconds(elapsed))")
        }
    } catch {
        try await capturer.shutdown()
        throw error
    }
    try await capturer.shutdown()
    try? FileManager.default.removeItem(atPath: temporary)

    let total = times.reduce(Duration.zero, +)
    let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
    let sorted = times.sorted()
    print("captures: \(count), total \(formatSeconds(total)), \(String(format: "%.2f", Double(count) / max(seconds, 1e-9))) captures/s")
    print("per capture: min \(formatSeconds(sorted.first ?? .zero)), median \(formatSeconds(sorted[sorted.count / 2])), max \(formatSeconds(sorted.last ?? .zero)); mean size \(formatBytes(totalBytes / Int64(count)))")
    print("peak RSS (VmHWM): \(peakRSSDescription())")
}

struct CaptureBenchError: Error, CustomStringConvertible {
    var description: String
}

/// `VmHWM` from /proc/self/status, e.g. `23.4 MiB`, or `unavailable` off Linux.
private func peakRSSDescription() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Int64(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    else { return "unavailable" }
    return formatBytes(kib * 1024)
}

private func formatBytes(_ bytes: Int64) -> String {
    if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
    if bytes >= 1 << 10 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
    return "\(bytes) B"
}

private func formatSeconds(_ duration: Duration) -> String {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return String(format: "%.3f s", seconds)
}
