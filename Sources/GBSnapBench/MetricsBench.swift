import AsyncHTTPClient
import DaemonMetrics
import Foundation
import Logging

/// `gbsnap-bench metrics [--targets N] [--kinds K,K] [--scrapes N]`
///
/// The cost of a scrape of the daemon's `/metrics` with N targets: fills a `DaemonMetrics` the way
/// the daemon does after one capture of every kind of every target (one `ok` series per target and
/// kind, one in ten targets also `failed`, store totals, last success, a retention removal), then
/// renders the exposition `scrapes` times in process and scrapes it `scrapes` times over loopback
/// HTTP from the real `MetricsServer`. Prints series, bytes, render and scrape times (p50, p99,
/// max) and CPU per render.
func benchMetrics(arguments: [String]) async throws {
    var targets = 5000
    var kinds = ["heap", "goroutine", "vars"]
    var scrapes = 50
    var index = 0
    while index < arguments.count {
        let flag = arguments[index]
        index += 1
        guard index < arguments.count else { throw CaptureBenchError(description: "\(flag) needs a value") }
        let value = arguments[index]
        index += 1
        switch flag {
        case "--targets":
            guard let n = Int(value), n > 0 else { throw CaptureBenchError(description: "--targets \"\(value)\" is not a positive integer") }
            targets = n
        case "--kinds": kinds = value.split(separator: ",").map(String.init)
        case "--scrapes":
            guard let n = Int(value), n > 0 else { throw CaptureBenchError(description: "--scrapes \"\(value)\" is not a positive integer") }
            scrapes = n
        default:
            throw CaptureBenchError(description: "unknown option \(flag); usage: gbsnap-bench metrics [--targets N] [--kinds K,K] [--scrapes N]")
        }
    }

    let clock = ContinuousClock()
    let setupStart = clock.now
    let setupCPU = cpuSeconds()
    let metrics = DaemonMetrics(version: "bench")
    let names = (0..<targets).map { String(format: "order-api-%05d", $0) }
    metrics.retainTargets(Set(names))
    metrics.configLoaded(hash: String(repeating: "0", count: 64))
    let now = Date()
    // What the daemon does at start from the catalog: store totals and last success of every target.
    for name in names { metrics.storeSnapshot(target: name, bytes: 1_000_000, count: 40, lastSuccess: now) }
    let seedWall = (clock.now - setupStart).seconds
    for (i, name) in names.enumerated() {
        for kind in kinds {
            metrics.captureStarted(lateness: .milliseconds(2))
            metrics.captureFinished(target: name, kind: kind, status: .ok, duration: .milliseconds(8), bytes: 24_000)
            if i % 10 == 0 { metrics.captureFinished(target: name, kind: kind, status: .failed, duration: .seconds(1), bytes: 0) }
        }
        metrics.retentionRemoved(target: name, count: 1, bytes: 20_000)
    }
    let setupWall = (clock.now - setupStart).seconds
    let setupCPUSeconds = cpuSeconds() - setupCPU
    // Steady state: one more capture of every target and kind, on series that exist.
    let updateStart = clock.now
    for name in names {
        for kind in kinds { metrics.captureFinished(target: name, kind: kind, status: .ok, duration: .milliseconds(8), bytes: 24_000) }
        metrics.snapshotStored(target: name, takenAt: now, bytes: 30_000, hasData: true)
    }
    let updatePerSnapshot = (clock.now - updateStart).seconds / Double(names.count)

    func summary(_ values: [Double]) -> String {
        let sorted = values.sorted()
        func p(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] }
        return String(format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms", p(0.5) * 1000, p(0.99) * 1000, sorted.last! * 1000)
    }

    var bytes = 0
    var renders: [Double] = []
    let cpuBefore = cpuSeconds()
    for _ in 0..<scrapes {
        let start = clock.now
        bytes = metrics.exposition().count
        renders.append((clock.now - start).seconds)
    }
    let cpuPerRender = (cpuSeconds() - cpuBefore) / Double(scrapes)
    let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
    let seriesCount = exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
    print("targets: \(targets), kinds: \(kinds.joined(separator: ",")), series (sample lines): \(seriesCount)")
    print(String(format: "seeding store totals and last success of every target (3 gauges each, at daemon start): %.1f s wall", seedWall))
    print(String(format: "creating every series (seeding, then the first capture of every target and kind, a retention removal each): %.1f s wall, %.1f s CPU", setupWall, setupCPUSeconds))
    print(String(format: "recording one more snapshot of %d kinds on existing series: %.1f µs per snapshot", kinds.count, updatePerSnapshot * 1e6))
    print("exposition: \(bytes) bytes (\(String(format: "%.2f", Double(bytes) / 1_048_576)) MiB)")
    print("render in process (\(scrapes)x): \(summary(renders)); CPU \(String(format: "%.1f", cpuPerRender * 1000)) ms per render")

    let server = try await MetricsServer.bind(host: "127.0.0.1", port: 0, metrics: metrics, probeStore: { nil }, logger: Logger(label: "bench"))
    let port = server.port
    let serving = Task { try await server.run() }
    var times: [Double] = []
    var received = 0
    for _ in 0..<scrapes {
        let start = clock.now
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 256 << 20)
        times.append((clock.now - start).seconds)
        received = body.readableBytes
        guard response.status == .ok else { throw CaptureBenchError(description: "scrape answered \(response.status)") }
    }
    serving.cancel()
    _ = try? await serving.value
    print("scrape over loopback HTTP (\(scrapes)x, sequential): \(summary(times)); \(received) bytes each")
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    if let hwm = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
        print("peak RSS of the bench process: \(hwm.dropFirst(6).trimmingCharacters(in: .whitespaces))")
    }
}

private func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
