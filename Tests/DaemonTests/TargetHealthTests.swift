import Testing
@testable import Daemon

@Suite("a target that is down is logged once per change, not once per firing")
struct TargetHealthTests {
    @Test("healthy, then down for three snapshots, then up: two changes")
    func downThenUp() {
        var health = TargetHealth()
        #expect(health.record(target: "a", failedKinds: []) == nil)
        #expect(health.record(target: "a", failedKinds: ["vars", "heap"]) == .failing(kinds: ["heap", "vars"]))
        #expect(health.record(target: "a", failedKinds: ["heap", "vars"]) == nil)
        #expect(health.record(target: "a", failedKinds: ["heap", "vars"]) == nil)
        #expect(health.record(target: "a", failedKinds: []) == .recovered(failedSnapshots: 3))
        #expect(health.record(target: "a", failedKinds: []) == nil)
    }

    @Test("a target failing from its first snapshot is reported; a change of failing kinds is a change; targets are separate")
    func changesAndTargets() {
        var health = TargetHealth()
        #expect(health.record(target: "a", failedKinds: ["heap"]) == .failing(kinds: ["heap"]))
        #expect(health.record(target: "b", failedKinds: []) == nil)
        #expect(health.record(target: "a", failedKinds: ["heap", "cpu"]) == .failing(kinds: ["cpu", "heap"]))
        #expect(health.record(target: "a", failedKinds: []) == .recovered(failedSnapshots: 2))
    }
}
