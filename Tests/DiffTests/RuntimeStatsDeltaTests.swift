import Foundation
import Testing
@testable import Diff
import Profiles

@Suite("Runtime stats delta (expvar)")
struct RuntimeStatsDeltaTests {
    let t0 = Date(timeIntervalSince1970: 1_795_749_500)
    func vars(_ path: String) throws -> ExpVars { try ExpVars.parse(try goroutineDiffSample(path)) }

    @Test("Go 1.27 vars-a -> vars-b, 65 s apart (values computed by hand from the JSON)")
    func go127() throws {
        let d = try RuntimeStatsDelta.compute(a: vars("go1.27/vars-a.json"), takenAtA: t0,
                                              b: vars("go1.27/vars-b.json"), takenAtB: t0.addingTimeInterval(65))
        #expect(d.seconds == 65)
        #expect(d.heapInuse == .init(a: 2_752_512, b: 12_402_688))
        #expect(d.heapInuse.delta == 9_650_176)
        #expect(d.heapObjects.delta == 10_426)
        #expect(d.numGC.a == 3 && d.numGC.b == 9 && d.numGC.delta == 6)
        #expect(d.numForcedGC.delta == 2)
        #expect(d.pauseTotalNs.delta == 1_047_039)
        let p = try #require(d.pauses)
        // GC cycles 3..8 sit at PauseNs[3...8].
        #expect(p.pausesNs == [106_138, 31_937, 222_812, 364_533, 141_111, 180_508])
        #expect(p.cycles == 6 && p.available == 6 && p.lost == 0 && p.totalNs == 1_047_039)
        #expect(p.p50Ns == 141_111)  // nearest rank: 3rd of 6 sorted
        #expect(p.p99Ns == 364_533 && p.maxNs == 364_533)
        #expect(d.allocBytesPerSecond == Double(23_373_928 - 5_134_216) / 65)
        #expect(d.mallocsPerSecond == Double(27_091 - 3_992) / 65)
        #expect(!d.restarted && d.warnings.isEmpty)
    }

    @Test("Go 1.19 vars-a -> vars-b")
    func go119() throws {
        let d = try RuntimeStatsDelta.compute(a: vars("go1.19/vars-a.json"), takenAtA: t0,
                                              b: vars("go1.19/vars-b.json"), takenAtB: t0.addingTimeInterval(10))
        let p = try #require(d.pauses)
        #expect(p.pausesNs == [58_377, 13_700, 72_928, 44_347])
        #expect(p.p50Ns == 44_347 && p.p99Ns == 72_928 && p.maxNs == 72_928 && p.totalNs == 189_352)
        #expect(d.heapInuse.delta == 22_036_480 - 2_990_080)
        #expect(d.allocBytesPerSecond == 2_629_760)
    }

    func stats(numGC: UInt64, ring: (UInt64) -> UInt64 = { $0 }, total: UInt64 = 0) -> GoMemStats {
        var m = GoMemStats()
        m.numGC = numGC
        m.pauseTotalNs = total
        // Cycle n's pause is stored at n % 256; fill the ring with the cycle numbers that last wrote each slot.
        m.pauseNs = (0..<UInt64(256)).map { slot in
            guard numGC > 0 else { return 0 }
            let last = numGC - 1
            let back = (last % 256 + 256 - slot) % 256
            return back <= last ? ring(last - back) : 0
        }
        return m
    }

    @Test("the ring wraps: cycles 250..259 are read from slots 250...255 then 0...3")
    func wrap() {
        let d = RuntimeStatsDelta.compute(a: stats(numGC: 250), takenAtA: t0, b: stats(numGC: 260), takenAtB: t0)
        #expect(d.pauses?.pausesNs == Array(250..<260))
        #expect(d.pauses?.lost == 0 && d.pauses?.p50Ns == 254 && d.pauses?.maxNs == 259)
    }

    @Test("more than 256 GCs between snapshots: the last 256 are used and the lost ones reported")
    func lost() {
        let d = RuntimeStatsDelta.compute(a: stats(numGC: 10, total: 1_000), takenAtA: t0,
                                          b: stats(numGC: 600, total: 9_000), takenAtB: t0.addingTimeInterval(1))
        let p = d.pauses
        #expect(p?.cycles == 590 && p?.available == 256 && p?.lost == 334)
        #expect(p?.pausesNs == Array(344..<600))
        #expect(p?.totalNs == 8_000)
        #expect(p?.p99Ns == 597)  // ceil(0.99 * 256) = 254th of 344...599
        #expect(d.warnings == ["590 GC cycles ran between the snapshots but the PauseNs ring keeps only the last 256: "
            + "334 pauses are not in the percentiles (the total still counts them)"])
        #expect(d.renderText().contains("(334 pauses lost from the 256-entry ring)"))
    }

    @Test("a document without the PauseNs ring still gives the exact pause total")
    func noRing() {
        var a = GoMemStats()
        a.numGC = 2
        a.pauseTotalNs = 100
        var b = a
        b.numGC = 5
        b.pauseTotalNs = 400
        let d = RuntimeStatsDelta.compute(a: a, takenAtA: t0, b: b, takenAtB: t0.addingTimeInterval(1))
        #expect(d.pauses?.available == 0 && d.pauses?.lost == 3 && d.pauses?.totalNs == 300 && d.pauses?.maxNs == nil)
        #expect(d.warnings == ["memstats of snapshot B has no 256-entry PauseNs ring (0 entries): the 3 pauses between "
            + "the snapshots are not in the percentiles (the total counts them)"])
    }

    @Test("no GC between snapshots: no percentiles")
    func noGC() throws {
        let d = RuntimeStatsDelta.compute(a: stats(numGC: 4), takenAtA: t0, b: stats(numGC: 4), takenAtB: t0.addingTimeInterval(5))
        #expect(d.pauses?.cycles == 0 && d.pauses?.p50Ns == nil && d.pauses?.maxNs == nil)
        #expect(d.renderText().contains("GC pauses A->B: 0 cycles\n"))
    }

    @Test("a restarted process and a reversed interval are reported, not computed")
    func restartAndReversed() throws {
        var a = stats(numGC: 50)
        a.totalAlloc = 1_000
        let d = RuntimeStatsDelta.compute(a: a, takenAtA: t0, b: stats(numGC: 3), takenAtB: t0.addingTimeInterval(60))
        #expect(d.restarted && d.pauses == nil && d.allocBytesPerSecond == nil)
        #expect(d.numGC.delta == -47)
        #expect(d.warnings.first?.contains("process restarted") == true)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(d)) as? [String: Any])
        #expect(json["pauses"] is NSNull && json["alloc_bytes_per_second"] is NSNull && json["restarted"] as? Bool == true)
        let r = RuntimeStatsDelta.compute(a: stats(numGC: 1), takenAtA: t0, b: stats(numGC: 2), takenAtB: t0)
        #expect(r.allocBytesPerSecond == nil && r.mallocsPerSecond == nil)
        #expect(r.warnings == ["snapshots A and B were taken at the same time: rates are not computed"])
        // A newer than B: counters are compared in time order, so this is a reversed pair, not a restart.
        let reversed = RuntimeStatsDelta.compute(a: stats(numGC: 50), takenAtA: t0.addingTimeInterval(60), b: stats(numGC: 3), takenAtB: t0)
        #expect(!reversed.restarted && reversed.pauses == nil && reversed.allocBytesPerSecond == nil)
        #expect(reversed.warnings == ["snapshot A is newer than snapshot B (60.0 s): pauses and rates are not computed"])
    }

    @Test("missing memstats is a clear error")
    func missingMemStats() throws {
        let error = #expect(throws: RuntimeStatsError.self) {
            try RuntimeStatsDelta.compute(a: ExpVars(), takenAtA: t0, b: ExpVars(), takenAtB: t0)
        }
        #expect(error?.description == "vars of snapshot A have no memstats object, so runtime stats cannot be compared")
        #expect(throws: RuntimeStatsError.missingMemStats(snapshot: "B")) {
            try RuntimeStatsDelta.compute(a: ExpVars(memStats: GoMemStats()), takenAtA: t0, b: ExpVars(), takenAtB: t0)
        }
    }

    @Test("JSON keys are snake_case; text shows every statistic and the rates")
    func output() throws {
        let d = try RuntimeStatsDelta.compute(a: vars("go1.27/vars-a.json"), takenAtA: t0,
                                              b: vars("go1.27/vars-b.json"), takenAtB: t0.addingTimeInterval(65))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(d)) as? [String: Any])
        #expect(Set(object.keys).isSuperset(of: ["seconds", "heap_inuse", "heap_objects", "num_gc", "pause_total_ns",
                                                 "pauses", "alloc_bytes_per_second", "mallocs_per_second", "restarted"]))
        let pauses = try #require(object["pauses"] as? [String: Any])
        #expect(pauses["p99_ns"] as? Int == 364_533 && pauses["lost"] as? Int == 0)
        #expect(try JSONDecoder().decode(RuntimeStatsDelta.self, from: JSONEncoder().encode(d)) == d)
        let text = d.renderText()
        #expect(text.contains("heap in use             2.63MB       11.83MB       +9.20MB"))
        #expect(text.contains("GC cycles                    3             9            +6"))
        #expect(text.contains("GC pauses A->B: 6 cycles, p50 141.11us, p99 364.53us, max 364.53us, total 1.05ms"))
        #expect(text.contains("allocation rate: 274.03kB/s, 355.4 objects/s"))
        let metrics = d.gateMetrics
        #expect(metrics["gc.count"] == GateMetricValue(a: 3, b: 9, unit: .count))
        #expect(metrics["gc.pause_max"]?.b == 364_533)
        #expect(metrics["alloc_rate"]?.unit == .bytesPerSecond)
    }
}
