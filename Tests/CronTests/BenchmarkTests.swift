import Units
import Foundation
import Testing
@testable import Cron

/// Prints how long chained next() calls take (no time limit is asserted; the figure is for
/// docs/benchmarks.md). The regular suite makes 10,000 calls; the full 100,000 run with
/// `GBSNAP_BENCH_FULL=1 swift test -c release -Xswiftc -enable-testing --filter CronBenchmark`.
@Suite("CronBenchmark", .serialized)
struct CronBenchmarkTests {
    static let calls = ProcessInfo.processInfo.environment["GBSNAP_BENCH_FULL"] == "1" ? 100_000 : 10_000

    @Test("Chained next() calls", arguments: [
        ("*/5 * * * *", "UTC"), ("*/5 * * * *", "America/New_York"),
        ("30 2 * * *", "America/New_York"), ("0 0 * * 5#5", "Europe/Berlin"),
    ])
    func chainedNext(expression: String, zone: String) throws {
        let cron = try CronExpression(expression)
        let tz = try #require(TimeZone(identifier: zone))
        var cursor = at("2026-01-01T00:00:00Z")
        let clock = ContinuousClock()
        var fired = 0
        let elapsed = clock.measure {
            for _ in 0..<Self.calls {
                guard let n = cron.next(after: cursor, in: tz) else { break }
                cursor = n
                fired += 1
            }
        }
        #expect(fired == Self.calls)
        print("bench \(expression) \(zone): \(Self.calls) next() in \(elapsed) (\(elapsed / Self.calls) per call), last \(ISO8601Offset.format(cursor, in: tz))")
    }
}
