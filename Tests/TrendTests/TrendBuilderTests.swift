import Diff
import Foundation
import Testing
@testable import Trend

/// The builder fed `/debug/vars` documents as a Go service writes them (memstats fields by their Go names).
@Suite("Trend builder: points, restarts and bounded series")
struct TrendBuilderTests {
    static func vars(heapInuse: Int, numGC: Int) -> [UInt8] {
        Array("""
            {"cmdline": ["svc"], "memstats": {"HeapInuse": \(heapInuse), "HeapObjects": \(heapInuse / 64), "NumGC": \(numGC), \
            "PauseTotalNs": \(numGC * 1000), "TotalAlloc": \(numGC * 1_000_000), "Mallocs": \(numGC * 100)}}
            """.utf8)
    }

    static func snapshot(_ i: Int, heapInuse: Int, numGC: Int) -> TrendBuilder.Snapshot {
        let bytes = vars(heapInuse: heapInuse, numGC: numGC)
        return TrendBuilder.Snapshot(id: "s\(i)", target: "svc", takenAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(i) * 600),
                                     kinds: [.vars], load: { _ in bytes })
    }

    @Test("more snapshots than the point cap share points (their mean), and a restart always starts a new point")
    func bounded() throws {
        var builder = TrendBuilder(plannedSnapshots: 1000, maxPoints: 100)
        for i in 0..<1000 {
            // A restart at snapshot 503: NumGC goes back.
            let gc = i < 503 ? 10 + i : i - 500
            try builder.add(Self.snapshot(i, heapInuse: 50_000_000 + i * 100_000, numGC: gc))
        }
        let report = try builder.finish(target: "svc", window: .init(since: nil, until: nil, last: nil))
        #expect(report.snapshots.count == 1000)
        #expect(report.points.count <= 101)
        #expect(report.points.reduce(0) { $0 + $1.snapshots } == 1000)
        #expect(report.restarts.count == 1)
        #expect(report.restarts.first?.after == "s502" && report.restarts.first?.before == "s503")
        #expect(report.restarts.first?.reasons.first?.contains("NumGC went back") == true)
        #expect(Set(report.points.map(\.segment)) == [0, 1])
        let heap = try #require(report.growers.first { $0.name == "heap_inuse" })
        // 100,000 bytes per 10 minutes is 600,000 an hour, whatever the averaging.
        #expect(abs(heap.slopePerHour - 600_000) < 1)
        #expect(!report.growers.contains { $0.name == "gc_cycles" || $0.name == "gc_pause_total" })
    }

    @Test("a bad artifact names its snapshot and leaves the builder as it was")
    func badArtifact() throws {
        var builder = TrendBuilder(plannedSnapshots: 2)
        try builder.add(Self.snapshot(0, heapInuse: 1, numGC: 1))
        let bad = TrendBuilder.Snapshot(id: "s1", target: "svc", takenAt: Date(timeIntervalSince1970: 1_800_000_600), kinds: [.vars],
                                        load: { _ in Array("<html>login</html>".utf8) })
        #expect {
            try builder.add(bad)
        } throws: { error in
            "\(error)".contains("snapshot s1") && "\(error)".contains("gbsnap verify s1")
        }
        #expect(builder.snapshots.count == 1)
    }
}
