import Foundation
import GBSnapTestSupport
import Profiles
import Testing
@testable import Triggers

@Suite("Trigger signals read from real targets")
struct SignalReaderTests {
    @Test("the pprof index page's goroutine count is runtime.NumGoroutine(), as debug=1's total says")
    func goroutineCount() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        _ = try await fixture.get("/leak?kind=chanrecv&n=40")
        let index = try #require(SignalReaders.goroutines(pprofIndex: try await fixture.get("/debug/pprof/")))
        let debug1 = try #require(SignalReaders.goroutines(debug1: try await fixture.get("/debug/pprof/goroutine?debug=1")))
        #expect(index >= 40)
        #expect(abs(index - debug1) <= 2, "index \(index), debug=1 \(debug1)")  // the requests themselves run goroutines
        #expect(SignalReaders.goroutines(pprofIndex: "<html>no table</html>") == nil)
        #expect(SignalReaders.goroutines(debug1: "goroutine 1 [running]:") == nil)
    }

    @Test("memstats levels and the allocation rate between two polls of /debug/vars")
    func vars() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        var state = TriggerState(rule: TriggerRule(name: "alloc", signal: .allocBytesPerSecond, condition: TriggerCondition(above: 1), cooldown: .zero))
        let v0 = try ExpVars.parse(try await fixture.get("/debug/vars"))
        let t0 = Date()
        let c0 = try #require(SignalReaders.reading(.allocBytesPerSecond, vars: v0))
        let first = state.rate(counter: c0, at: t0)
        #expect(first == nil)
        _ = try await fixture.get("/grow?mb=16&site=buffers")
        let v1 = try ExpVars.parse(try await fixture.get("/debug/vars"))
        let c1 = try #require(SignalReaders.reading(.allocBytesPerSecond, vars: v1))
        let second = state.rate(counter: c1, at: t0.addingTimeInterval(1))
        let rate = try #require(second)
        #expect(rate >= 16 * 1_048_576)
        #expect(try #require(SignalReaders.reading(.heapInuseBytes, vars: v1)) >= 16 * 1_048_576)
        #expect(try #require(SignalReaders.reading(.goroutines, vars: v1)) > 0)
    }

    @Test("client_golang's /metrics of a real Go service (etcd) carries the same figures")
    func prometheus() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let metrics = try etcd.get("/metrics")
        #expect(try #require(SignalReaders.reading(.goroutines, prometheus: metrics)) > 5)
        #expect(try #require(SignalReaders.reading(.heapInuseBytes, prometheus: metrics)) > 1_000_000)
        #expect(SignalReaders.reading(.heapObjects, prometheus: metrics) != nil)
        #expect(SignalReaders.reading(.allocBytesPerSecond, prometheus: metrics) != nil)
        #expect(SignalReaders.reading(.gcPauseSeconds, prometheus: metrics) != nil)
    }

    @Test("the exposition reader takes the unlabelled series, skips comments and longer names")
    func expositionText() {
        let text = """
            # HELP go_goroutines Number of goroutines that currently exist.
            # TYPE go_goroutines gauge
            go_goroutines_total_fake 9
            go_goroutines 42
            go_gc_duration_seconds{quantile="0.5"} 1.5e-05
            go_gc_duration_seconds_sum 0.0123
            go_info{version="go1.21.5"} 1
            """
        #expect(PrometheusText.value(of: "go_goroutines", in: text) == 42)
        #expect(PrometheusText.value(of: "go_gc_duration_seconds", in: text) == 1.5e-05)
        #expect(PrometheusText.value(of: "go_gc_duration_seconds_sum", in: text) == 0.0123)
        #expect(PrometheusText.value(of: "go_memstats_heap_inuse_bytes", in: text) == nil)
    }
}
