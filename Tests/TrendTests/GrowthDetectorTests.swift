import Foundation
import Testing
@testable import Trend

/// A small deterministic generator (SplitMix64), so every property test sees the same noise on every run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

/// Points every 30 minutes.
func series(_ values: [Double], segments: [Int]? = nil) -> [TrendPoint] {
    values.enumerated().map { i, v in TrendPoint(time: 1_800_000_000 + Double(i) * 1800, value: v, segment: segments?[i] ?? 0) }
}

func grows(_ points: [TrendPoint], floor: Double = 1) -> Bool {
    guard let a = GrowthDetector.assess(points) else { return false }
    return GrowthDetector.isGrower(a, minimumDelta: floor)
}

@Suite("Growth detection (the pure core of gbsnap trend)")
struct GrowthDetectorTests {
    @Test("a steady leak is a grower, with its Theil–Sen slope per hour")
    func steadyLeak() throws {
        let points = series((0..<12).map { 100 + Double($0) * 10 })
        let a = try #require(GrowthDetector.assess(points))
        #expect(abs(a.slopePerHour - 20) < 1e-9)  // +10 per 30 min
        #expect(a.consistency == 1)
        #expect(a.tau == 1)
        #expect(a.netDelta == 110)
        #expect(grows(points))
    }

    @Test("noise added to a steady leak still finds it", arguments: 0..<20)
    func noisyLeak(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        // Per-step growth 10, noise with a standard deviation of 8: a fall in about one step of five.
        let values = (0..<24).map { 1000 + Double($0) * 10 + 8 * rng.gaussian() }
        #expect(grows(series(values)), "seed \(seed): \(values)")
    }

    @Test("pure noise finds nothing", arguments: 0..<200)
    func pureNoise(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &+ 1000)
        let values = (0..<24).map { _ in 1000 + 50 * rng.gaussian() }
        #expect(!grows(series(values)), "seed \(seed): \(values)")
    }

    @Test("a sawtooth (a cache filled and freed) is not a grower")
    func sawtooth() {
        let values = (0..<15).map { Double(($0 % 3) * 100) }
        #expect(!grows(series(values)))
    }

    @Test("a one-off spike is not a grower")
    func spike() {
        var values = [Double](repeating: 500, count: 12)
        values[6] = 5000
        #expect(!grows(series(values)))
    }

    @Test("a cache that filled once and stayed is not a grower")
    func filledOnce() {
        let values = [0.0] + [Double](repeating: 800, count: 11)
        #expect(!grows(series(values)))
    }

    @Test("growth across a restart is not counted; growth within each lifetime is")
    func restarts() throws {
        // Flat within both lifetimes, a jump at the restart: no grower.
        let jump = series([10, 10, 10, 10, 10, 10, 90, 90, 90, 90, 90, 90], segments: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
        #expect(!grows(jump))
        let a = try #require(GrowthDetector.assess(jump))
        #expect(a.netDelta == 0)
        // A leak that starts again after every restart is still a leak.
        let again = series([0, 10, 20, 30, 40, 50, 0, 10, 20, 30, 40, 50], segments: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
        #expect(grows(again))
        #expect(try #require(GrowthDetector.assess(again)).netDelta == 100)
    }

    @Test("too few points are never a grower, and missing values are skipped")
    func fewPoints() {
        #expect(!grows(series([1, 2, 3, 4])))
        #expect(grows(series([1, 2, .nan, 3, 4, 5, 6])))
        #expect(GrowthDetector.assess(series([.nan, 5])) == nil)
    }

    @Test("growth below the floor or below 5% of the starting value is not a grower")
    func floors() {
        let small = series((0..<12).map { 1_000_000 + Double($0) * 100 })  // +1,100 on a million: 0.1%
        #expect(!grows(small))
        #expect(!grows(series((0..<12).map { Double($0) }), floor: 100))
    }

    @Test("the cheap pre-check agrees with the net growth inside segments")
    func mayGrow() {
        #expect(GrowthDetector.mayGrow(series([0, 5, 10]), minimumDelta: 10))
        #expect(!GrowthDetector.mayGrow(series([0, 5, 10]), minimumDelta: 11))
        #expect(!GrowthDetector.mayGrow(series([0, 5, 100, 105], segments: [0, 0, 1, 1]), minimumDelta: 11))
    }

    @Test("sparklines scale to the series, mark restarts and gaps")
    func sparkline() {
        #expect(TrendRender.sparkline([0, 1, 2, 3, 4, 5, 6, 7], segments: [0, 0, 0, 0, 0, 0, 0, 0]) == "▁▂▃▄▅▆▇█")
        #expect(TrendRender.sparkline([0, nil, 7], segments: [0, 0, 1]) == "▁ |█")
        #expect(TrendRender.sparkline(Array(repeating: 3, count: 4), segments: [0, 0, 0, 0]) == "▄▄▄▄")
        #expect(TrendRender.sparkline((0..<100).map(Double.init), segments: Array(repeating: 0, count: 100), width: 10).count == 10)
    }
}
