import Testing
@testable import Diff

@Suite("--fail-on gates")
struct FailOnGateTests {
    let metrics: [String: GateMetricValue] = [
        "goroutines": GateMetricValue(a: 7, b: 139, unit: .count),
        "heap.inuse_space": GateMetricValue(a: 10 * 1024 * 1024, b: 13 * 1024 * 1024, unit: .bytes),
        "gc.pause_max": GateMetricValue(a: 0, b: 2_500_000, unit: .nanoseconds),
        "alloc_rate": GateMetricValue(a: 0, b: 60 * 1024 * 1024, unit: .bytesPerSecond),
        "malloc_rate": GateMetricValue(a: 0, b: 1_000, unit: .perSecond),
        "empty": GateMetricValue(a: 0, b: 5, unit: .count),
    ]

    func outcome(_ text: String) throws -> GateOutcome {
        try FailOnGate(parsing: text).evaluate(metrics: metrics)
    }

    @Test("parsing splits metric, selector, operator, threshold and unit")
    func parse() throws {
        let g = try FailOnGate(parsing: "  heap.inuse_space.delta >= 1.5MiB ")
        #expect(g.metric == "heap.inuse_space" && g.selector == .delta && g.comparison == .greaterOrEqual)
        #expect(g.threshold == 1.5 * 1024 * 1024 && g.thresholdUnit == .bytes && !g.perSecond)
        #expect(g.description == "heap.inuse_space.delta >= 1.5MiB")
        let bare = try FailOnGate(parsing: "goroutines<=5000")
        #expect(bare.metric == "goroutines" && bare.selector == .b && bare.comparison == .lessOrEqual)
        let rate = try FailOnGate(parsing: "alloc_rate>50MB/s")
        #expect(rate.perSecond && rate.threshold == 50 * 1024 * 1024)
        #expect(try FailOnGate(parsing: "gc.pause_max.b>2ms").threshold == 2_000_000)
        #expect(try FailOnGate(parsing: "gc.pause_max.b<1s").threshold == 1e9)
        #expect(try FailOnGate(parsing: "gc.pause_max.b<10us").threshold == 10_000)
        #expect(try FailOnGate(parsing: "x.a==3kB").threshold == 3072)
        #expect(try FailOnGate(parsing: "x.delta<-2").threshold == -2)
    }

    @Test("the brief's examples evaluate with the numbers in the message")
    func examples() throws {
        let grew = try outcome("goroutines.delta>100")
        #expect(grew.tripped && grew.observed == 132)
        #expect(grew.message == "gate \"goroutines.delta>100\" tripped: goroutines grew by 132 (7 -> 139)")
        let total = try outcome("goroutines.b>=5000")
        #expect(!total.tripped && total.message == "gate \"goroutines.b>=5000\" passed: goroutines is 139 in B")
        let pct = try outcome("heap.inuse_space.delta>20%")
        #expect(pct.tripped && pct.observed == 30)
        #expect(pct.message == "gate \"heap.inuse_space.delta>20%\" tripped: heap.inuse_space grew by 30.0% (10MB -> 13MB)")
        let rate = try outcome("alloc_rate>50MB/s")
        #expect(rate.tripped && rate.message == "gate \"alloc_rate>50MB/s\" tripped: alloc_rate is 60MB/s in B")
        let pause = try outcome("gc.pause_max>2ms")
        #expect(pause.tripped && pause.message.hasSuffix("gc.pause_max is 2.50ms in B"))
        #expect(try outcome("goroutines.a==7").message == "gate \"goroutines.a==7\" tripped: goroutines was 7 in A")
        #expect(try !outcome("goroutines.delta<0").tripped)
        #expect(try outcome("heap.inuse_space.delta>3MB").message.hasSuffix("grew by 3MB (10MB -> 13MB)"))
        #expect(try outcome("malloc_rate>=1000/s").tripped)
    }

    @Test("percent growth from zero is infinite; no change is 0%")
    func percentFromZero() throws {
        let o = try outcome("empty.delta>1000%")
        #expect(o.tripped && o.observed == .infinity && o.message.hasSuffix("empty grew from zero (0 -> 5)"))
        let same = try FailOnGate(parsing: "x.delta>0%").evaluate(metrics: ["x": GateMetricValue(a: 0, b: 0)])
        #expect(!same.tripped && same.message.hasSuffix("x did not change (0 -> 0)"))
        let shrink = try FailOnGate(parsing: "x.delta<-10%").evaluate(metrics: ["x": GateMetricValue(a: 200, b: 100)])
        #expect(shrink.tripped && shrink.message.hasSuffix("x shrank by 50.0% (200 -> 100)"))
    }

    @Test("a plain (a, b) lookup closure works for profile totals")
    func closure() throws {
        let gate = try FailOnGate(parsing: "heap.inuse_space.delta>100")
        let o = try gate.evaluate(knownMetrics: ["heap.inuse_space"]) { (name: String) -> (a: Double, b: Double)? in
            name == "heap.inuse_space" ? (a: 10, b: 500) : nil
        }
        #expect(o.tripped && o.message == "gate \"heap.inuse_space.delta>100\" tripped: heap.inuse_space grew by 490 (10 -> 500)")
    }

    @Test("syntax errors say what is wrong", arguments: [
        ("goroutines", "no comparison operator"),
        ("goroutines=5", "\"=\" is not one of > >= < <= =="),
        (">5", "no metric before the operator"),
        ("gor utines>5", "is not a dotted name"),
        ("goroutines..delta>5", "is not a dotted name"),
        ("goroutines.delta>", "does not start with a number"),
        ("goroutines.delta>abc", "does not start with a number"),
        ("goroutines.delta>5 parsecs", "unknown unit \"parsecs\""),
        ("goroutines.b>20%", "% needs the delta selector"),
        ("gc.pause_max>5ms/s", "/s only follows a byte unit"),
    ])
    func syntax(text: String, expected: String) throws {
        let error = #expect(throws: GateError.self) { try FailOnGate(parsing: text) }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("--fail-on \"") == true)
    }

    @Test("unknown metrics list the known ones")
    func unknownMetric() throws {
        let error = #expect(throws: GateError.self) { try outcome("heap.alloc_space.delta>5") }
        #expect(error == .unknownMetric(expression: "heap.alloc_space.delta>5", metric: "heap.alloc_space",
                                        known: metrics.keys.sorted()))
        #expect(error?.description == "--fail-on \"heap.alloc_space.delta>5\": unknown metric \"heap.alloc_space\" "
            + "(known metrics: alloc_rate, empty, gc.pause_max, goroutines, heap.inuse_space, malloc_rate)")
        #expect(GateError.unknownMetric(expression: "x>1", metric: "x", known: []).description.hasSuffix("(known metrics: none)"))
    }

    @Test("units must fit the metric", arguments: ["goroutines.delta>5MB", "heap.inuse_space.b>5ms", "goroutines>5/s", "alloc_rate>5ms"])
    func unitMismatch(text: String) throws {
        let error = #expect(throws: GateError.self) { try outcome(text) }
        guard case .unitMismatch = error else {
            Issue.record("expected unitMismatch, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("does not fit") == true)
    }

    @Test("thresholds use the one unit vocabulary: byte units are powers of 1024 as in the config and flags, IEC spellings, any case, and every duration unit")
    func oneUnitVocabulary() throws {
        for text in ["10GB", "10GiB", "10gib", "10 GB"] {
            let gate = try FailOnGate(parsing: "heap.delta>\(text)")
            #expect(gate.threshold == Double(ByteSizeParser.parse("10GiB")!) && gate.thresholdUnit == .bytes, "\(text)")
        }
        #expect(try FailOnGate(parsing: "heap>1TiB").threshold == 1_099_511_627_776)
        #expect(try FailOnGate(parsing: "gc.pause_max.b>1m").threshold == 60e9)
        #expect(try FailOnGate(parsing: "gc.pause_max.b>250µs").thresholdUnit == .time)
        #expect(throws: GateError.self) { try FailOnGate(parsing: "heap>10XB") }
    }
}
