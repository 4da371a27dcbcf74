import Foundation
import GBSnapTestSupport
import Testing
@testable import Traces

@Suite("Trace reader on damaged and hostile input")
struct TraceHostileInputTests {
    @Test("headers: not a trace, the old format, versions this reader does not know")
    func headers() throws {
        func reason(_ bytes: [UInt8]) -> TraceError.Reason? {
            do {
                _ = try TraceSummarizer.summarize(bytes)
                return nil
            } catch {
                return error.reason
            }
        }
        func header(_ text: String) -> [UInt8] { Array(text.utf8) + [UInt8](repeating: 0, count: 16 - text.utf8.count) }
        #expect(reason([]) == .notATrace)
        #expect(reason(Array("goroutine 1 [running]:\n".utf8)) == .notATrace)
        #expect(reason(Array("go 1.22 trac".utf8)) == .notATrace)
        #expect(reason(header("go 1.21 trace")) == .oldFormat(minor: 21))
        #expect(reason(header("go 1.5 trace")) == .oldFormat(minor: 5))
        #expect(reason(header("go 1.24 trace")) == .unsupportedVersion(minor: 24))
        #expect(reason(header("go 1.31 trace")) == .unsupportedVersion(minor: 31))
        // A valid header with nothing after it: no generation, so nothing to summarise.
        #expect(reason(header("go 1.26 trace")) == .truncated(offset: 16))
        #expect(TraceError(.oldFormat(minor: 19)).description.contains("archived but not summarised"))
        #expect(TraceError(.truncated(offset: 99)).description.contains("at byte 99"))
    }

    @Test("hundreds of mutated copies of a real trace: a summary or a TraceError every time, never a crash or a hang",
          .enabled(if: GoToolchains.installed("1.27"), GoToolchains.missing("1.27")))
    func mutations() async throws {
        let directory = TemporaryDirectory("gbsnap-traces")
        defer { directory.cleanup() }
        let trace = try await CapturedTrace.capture("1.27", work: "gcs=1&chans=3&sleeps=3&for=10s", in: directory).bytes
        let original = try TraceSummarizer.summarize(trace)
        #expect(original.gc.count >= 1)

        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
        var summaries = 0, errors = 0
        for round in 0..<400 {
            var bytes = trace
            switch round % 4 {
            case 0:  // flip a few bytes past the header
                for _ in 0..<(1 + random(8)) { bytes[16 + random(bytes.count - 16)] ^= UInt8(1 + random(255)) }
            case 1:  // truncate anywhere
                bytes.removeSubrange(random(bytes.count)...)
            case 2:  // duplicate a chunk somewhere else
                let start = random(bytes.count), length = random(4096)
                let chunk = bytes[start..<min(bytes.count, start + length)]
                bytes.insert(contentsOf: chunk, at: 16 + random(bytes.count - 16))
            default:  // overwrite a run with 0xFF (huge varints) or 0x00
                let start = 16 + random(bytes.count - 16)
                let fill: UInt8 = random(2) == 0 ? 0xFF : 0x00
                for i in start..<min(bytes.count, start + 1 + random(64)) { bytes[i] = fill }
            }
            do {
                let summary = try TraceSummarizer.summarize(bytes)
                summaries += 1
                // Whatever a damaged trace claims, it cannot claim more events than it has bytes.
                #expect(summary.goroutines.created <= bytes.count)
                #expect(summary.gc.count <= bytes.count)
                #expect(summary.schedLatencySeconds.count <= bytes.count)
                #expect(summary.block.byReason.values.reduce(0) { $0 + $1.count } <= bytes.count)
            } catch {
                errors += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(summaries + errors == 400)
        #expect(errors > 0)  // truncations at least are refused
    }
}
