@testable import Daemon
import Config
import DaemonMetrics
import Foundation
import Logging
import Testing
import Triggers

/// The pure parts of the trigger poller: where each pair polls, which source it reads, how bodies
/// become readings, the poll queue, and which windows a reload keeps.
@Suite("trigger watches")
struct TriggerWatchTests {
    static func config(_ triggers: String, targets: Int = 3) throws -> ConfigFile {
        var yaml = "targets:\n"
        for i in 0..<targets { yaml += "  - name: t\(i)\n    url: http://127.0.0.1:\(7000 + i)\n    labels: { fleet: a }\n" }
        yaml += "triggers:\n" + triggers
        return try ConfigFile.parse(yaml: yaml, fileName: "gbsnap.yaml")
    }

    static let rule = """
          - name: pileup
            selector: { labels: { fleet: a } }
            signal: goroutines
            poll: 10s
            above: 500
            kinds: [goroutine]

        """

    @Test("each pair polls on its own grid: k x interval + phase, strictly after the given time")
    func grid() throws {
        let (watches, problems) = TriggerWatch.all(in: try Self.config(Self.rule))
        #expect(problems.isEmpty)
        #expect(watches.count == 3)
        for w in watches {
            #expect(w.phase >= 0 && w.phase < 10)
            #expect(w.phase == TriggerWatch.phase(rule: "pileup", target: w.target.name, interval: 10))
            let t = Date(timeIntervalSince1970: 1_800_000_000.25)
            let next = w.nextPoll(after: t)
            #expect(next > t && next.timeIntervalSince(t) <= 10)
            let offset = next.timeIntervalSince1970.truncatingRemainder(dividingBy: 10)
            #expect(abs(offset - w.phase) < 1e-6)
            #expect(abs(w.nextPoll(after: next).timeIntervalSince(next) - 10) < 1e-6)
            #expect(w.timeout == .seconds(2))
        }
    }

    @Test("phases spread many targets over the interval")
    func spread() {
        var buckets = [Int](repeating: 0, count: 10)
        for i in 0..<5_000 {
            buckets[Int(TriggerWatch.phase(rule: "pileup", target: "svc-\(i)", interval: 10))] += 1
        }
        // 500 per second on average; a hash spread stays well within ±20 %.
        #expect(buckets.allSatisfy { (400...600).contains($0) }, "\(buckets)")
    }

    @Test("sources: the index page with its debug=1 fallback for goroutines, vars for memstats, metrics when asked")
    func plans() throws {
        let config = try Self.config("""
              - name: g
                targets: [t0]
                signal: goroutines
                poll: 5s
                above: 1
                kinds: [goroutine]
              - name: h
                targets: [t0]
                signal: heap_inuse_bytes
                poll: 5s
                above: 1GiB
                kinds: [heap]
              - name: m
                targets: [t0]
                signal: goroutines
                source: metrics
                metrics_path: /prom
                poll: 5s
                above: 1
                kinds: [goroutine]

            """)
        let plans = config.triggers.map(SignalSource.plan)
        #expect(plans == [[.pprofIndex, .goroutineDebug1], [.vars], [.metrics("/prom")]])
        let w = try #require(TriggerWatch.all(in: config).watches.first)
        #expect(SignalSource.pprofIndex.path(on: w.pollTarget) == "/debug/pprof/")
        #expect(SignalSource.goroutineDebug1.path(on: w.pollTarget) == "/debug/pprof/goroutine?debug=1")
        #expect(SignalSource.vars.path(on: w.pollTarget) == "/debug/vars")
        #expect(SignalSource.metrics("/prom").path(on: w.pollTarget) == "/prom")
        #expect(w.timeout == .seconds(2))
    }

    @Test("bodies become readings, or one sentence saying what the body lacks")
    func readings() {
        let index = "<tr><td>7</td><td><a href='allocs?debug=1'>allocs</a></td></tr>\n<tr><td>125</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>"
        #expect(SignalSource.pprofIndex.reading(.goroutines, body: index) == .success(125))
        #expect(SignalSource.pprofIndex.reading(.goroutines, body: "<html>login</html>") == .failure(ReadingProblem("the pprof index page has no goroutine row")))
        #expect(SignalSource.goroutineDebug1.reading(.goroutines, body: "goroutine profile: total 42\n1 @ 0x1\n") == .success(42))
        #expect(SignalSource.vars.reading(.heapInuseBytes, body: "<html>") == .failure(ReadingProblem("the body is not expvar JSON")))
        #expect(SignalSource.vars.reading(.heapInuseBytes, body: "{\"cmdline\": []}")
            == .failure(ReadingProblem("/debug/vars has no memstats value for heap_inuse_bytes")))
        #expect(SignalSource.metrics("/metrics").reading(.goroutines, body: "# TYPE go_goroutines gauge\ngo_goroutines 17\n") == .success(17))
        #expect(SignalSource.metrics("/metrics").reading(.goroutines, body: "up 1\n")
            == .failure(ReadingProblem("the exposition has no go_goroutines sample")))
    }

    @Test("the poll queue hands out pairs in due order and re-queues each on its grid")
    func queue() throws {
        let (watches, _) = TriggerWatch.all(in: try Self.config(Self.rule, targets: 50))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var q = PollQueue(watches, now: start)
        var last = start
        var seen: [Int: Int] = [:]
        for _ in 0..<500 {
            let (due, index) = try #require(q.first)
            #expect(due >= last)
            last = due
            seen[index, default: 0] += 1
            q.replaceFirst(watches[index].nextPoll(after: due))
        }
        // Ten rounds of 50 pairs, each pair once a round.
        #expect(seen.count == 50 && seen.values.allSatisfy { $0 == 10 })
    }

    @Test("a reload keeps the window of a pair whose rule is unchanged and drops the others; one poll per pair at a time")
    func reloadKeeps() async throws {
        let before = try Self.config(Self.rule, targets: 2)
        let changed = try Self.config(Self.rule.replacingOccurrences(of: "above: 500", with: "above: 600"), targets: 2)
        let metrics = DaemonMetrics(version: "test")
        let book = TriggerBook(taker: FakeTaker(clock: TestClock(Date())), activity: TriggerActivity(),
                               metrics: metrics, logger: Logger(label: "test"))
        let watches = TriggerWatch.all(in: before).watches
        #expect(await book.keep(watches) == 0)
        #expect(await book.begin(watches[0].key, limit: 10))
        #expect(await !book.begin(watches[0].key, limit: 10))
        #expect(await !book.begin(watches[1].key, limit: 1))
        await book.end(watches[0].key)
        #expect(await book.begin(watches[1].key, limit: 1))
        await book.end(watches[1].key)
        let runner = CaptureRunner(taker: FakeTaker(clock: TestClock(Date())), maxConcurrent: 1, logger: Logger(label: "test"),
                                   metrics: DaemonMetrics(version: "test"))
        for w in watches { await book.observe(w, raw: 10, source: .pprofIndex, at: Date(), runner: runner) }
        // Each read poll is counted per rule, target and outcome.
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"gbsnap_trigger_polls_total{rule="pileup",target="t0",outcome="ok"} 1"#), "\(text)")
        #expect(await book.keep(TriggerWatch.all(in: before).watches) == 2)
        #expect(await book.keep(TriggerWatch.all(in: changed).watches) == 0)
    }
}
