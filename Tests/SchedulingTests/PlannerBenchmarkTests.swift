import Cron
import Foundation
import Vocabulary
import Testing
@testable import Scheduling

/// Prints the time to plan one day of N targets × 3 kinds on `*/5 * * * *` (no limit asserted; the
/// figure is for docs/benchmarks.md). The regular suite plans 500 targets; the full size (5,000) runs with
/// `GBSNAP_BENCH_FULL=1 swift test -c release -Xswiftc -enable-testing --filter PlannerBenchmark`.
@Suite("PlannerBenchmark", .serialized)
struct PlannerBenchmarkTests {
    static let targets = ProcessInfo.processInfo.environment["GBSNAP_BENCH_FULL"] == "1" ? 5000 : 500

    /// No cap; a cap of 64, which 5,000 targets overload (the backlog grows all day); a cap that never binds.
    @Test("One day of N targets × 3 kinds, every 5 minutes, 4-minute hash stagger", arguments: [nil, 64, 5000] as [Int?])
    func dayPlan(cap: Int?) throws {
        let kinds: [CaptureKind] = [.heap, .goroutine, .cpu]
        let spec = ScheduleSpec(
            name: "every-5m", cron: try CronExpression("*/5 * * * *"), timeZone: utc,
            targets: (0..<Self.targets).map { "svc-\($0)" }, kinds: kinds, stagger: .seconds(240), spread: .hash,
            estimatedCaptureDuration: CaptureEstimate.duration(kinds: kinds, cpuSeconds: 10, traceSeconds: 5))
        let planner = Planner(schedules: [spec], maxConcurrent: cap)
        var plan: [PlannedCapture] = []
        let elapsed = ContinuousClock().measure {
            plan = planner.plan(from: at("2026-01-01T00:00:00Z"), until: at("2026-01-02T00:00:00Z"))
        }
        #expect(plan.count == 288 * Self.targets)
        let pushed = plan.filter { $0.pushed != nil }.count
        print("bench plan day \(Self.targets)x3 cap=\(cap.map(String.init) ?? "none"): \(plan.count) captures in \(elapsed), \(pushed) pushed")
    }
}
