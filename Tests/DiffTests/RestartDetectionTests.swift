import Foundation
import Profiles
import Testing
@testable import Diff

/// A diff across a restart of the target says so, from every sign the snapshots carry.
@Suite struct RestartDetectionTests {
    static func vars(_ other: [String: ExpVarValue] = [:], numGC: UInt64 = 10) -> ExpVars {
        var m = GoMemStats()
        m.numGC = numGC
        m.totalAlloc = numGC * 1000
        m.mallocs = numGC * 10
        return ExpVars(memStats: m, other: other)
    }

    @Test func aPublishedStartTimeThatChangesIsARestart() {
        let older = Self.vars(["process_start_time_seconds": .integer(1_764_115_200)])
        let newer = Self.vars(["process_start_time_seconds": .integer(1_764_118_800)], numGC: 20)
        #expect(RestartDetection.fromVars(older: older, newer: newer, seconds: 7200)
            == "process_start_time_seconds changed from 2025-11-26T00:00:00Z to 2025-11-26T01:00:00Z")
        #expect(RestartDetection.fromVars(older: older, newer: Self.vars(["process_start_time_seconds": .integer(1_764_115_200)], numGC: 20), seconds: 7200) == nil)
        let iso = Self.vars(["started_at": .string("2026-11-26T02:00:00Z")])
        #expect(RestartDetection.fromVars(older: iso, newer: Self.vars(["started_at": .string("2026-11-26T03:00:00.5Z")], numGC: 20), seconds: 7200) != nil)
    }

    @Test func anUptimeShorterThanTheGapIsARestartAndOneThatKeptCountingIsNot() {
        let older = Self.vars(["uptime": .number(3600)])
        #expect(RestartDetection.fromVars(older: older, newer: Self.vars(["uptime": .number(3660)], numGC: 20), seconds: 60) == nil)
        #expect(RestartDetection.fromVars(older: older, newer: Self.vars(["uptime": .number(30)], numGC: 20), seconds: 60)
            == "uptime went back from 3600 s to 30 s")
        // Restarted long enough ago that uptime exceeds A's, but less than A's uptime plus the gap.
        #expect(RestartDetection.fromVars(older: older, newer: Self.vars(["uptime": .number(4000)], numGC: 20), seconds: 86_400) != nil)
    }

    @Test func memstatsCountersGoingBackAreARestart() {
        #expect(RestartDetection.fromVars(older: Self.vars(numGC: 50), newer: Self.vars(numGC: 3), seconds: 60)
            == "memstats NumGC went back from 50 to 3")
        #expect(RestartDetection.fromVars(older: Self.vars(numGC: 3), newer: Self.vars(numGC: 50), seconds: 60) == nil)
    }

    @Test func goroutineIDsGoingBackAreARestart() {
        #expect(RestartDetection.fromGoroutineIDs(older: [1, 7, 5123], newer: [1, 6, 42]) == "the highest goroutine id went back from 5123 to 42")
        #expect(RestartDetection.fromGoroutineIDs(older: [1, 7, 40], newer: [1, 6, 41]) == nil)
        #expect(RestartDetection.fromGoroutineIDs(older: [], newer: [1]) == nil)
    }
}
