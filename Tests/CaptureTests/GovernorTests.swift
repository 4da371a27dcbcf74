import Capture
import Foundation
import GBSnapCore
import Testing

@Suite("Safety governor before a stacks (debug=2) dump")
struct GovernorTests {
    @Test("under the limit the stacks dump is taken and the count recorded")
    func underLimit() async throws {
        try await withFixture { fixture in
            try await fixture.get("/spawn?n=50")
            let (artifacts, directory) = try await captureOnce(
                fixtureTarget(fixture), kinds: [.stacks], parameters: CaptureParameters(stacksGoroutineLimit: 10_000))
            let stacks = artifacts[0]
            #expect(stacks.outcome == .captured)
            #expect(stacks.kind == .stacks)
            let count = try #require(stacks.goroutineCount)
            #expect(count >= 50 && count < 100)
            let dump = String(decoding: try contents(stacks), as: UTF8.self)
            #expect(dump.components(separatedBy: "main.parkedWorker(").count - 1 == 50)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("above the limit with downgrade, goroutine-text is captured instead and the reason recorded")
    func downgrade() async throws {
        try await withFixture { fixture in
            try await fixture.get("/spawn?n=300")
            let (artifacts, directory) = try await captureOnce(
                fixtureTarget(fixture), kinds: [.heap, .stacks],
                parameters: CaptureParameters(stacksGoroutineLimit: 100, stacksOverLimit: .downgrade))
            let artifact = artifacts[1]
            #expect(artifact.requestedKind == .stacks)
            #expect(artifact.kind == .goroutineText)
            #expect(artifact.name == "goroutine.debug1.txt")
            #expect(artifact.query == "debug=1")
            let count = try #require(artifact.goroutineCount)
            #expect(count > 300)
            guard case .downgraded(let from, let reason) = artifact.outcome else {
                Issue.record("expected a downgrade, got \(artifact.outcome)")
                return
            }
            #expect(from == .stacks)
            #expect(reason.hasPrefix("\(count) goroutines exceed the stacks limit of 100"))
            let text = String(decoding: try contents(artifact), as: UTF8.self)
            #expect(text.hasPrefix("goroutine profile: total "))
            #expect(text.contains("300 @ "))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("above the limit with skip, nothing is stored and the reason recorded")
    func skip() async throws {
        try await withFixture { fixture in
            try await fixture.get("/spawn?n=300")
            let (artifacts, directory) = try await captureOnce(
                fixtureTarget(fixture), kinds: [.stacks], parameters: CaptureParameters(stacksGoroutineLimit: 100, stacksOverLimit: .skip))
            guard case .skipped(let reason) = artifacts[0].outcome else {
                Issue.record("expected a skip, got \(artifacts[0].outcome)")
                return
            }
            #expect(reason.contains("exceed the stacks limit of 100"))
            #expect(reason.hasSuffix("so the stacks dump was skipped"))
            #expect(!artifacts[0].outcome.isFailure)
            #expect((artifacts[0].goroutineCount ?? 0) > 300)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a downgrade is not duplicated when goroutine-text is requested too")
    func downgradeWithGoroutineTextRequested() async throws {
        try await withFixture { fixture in
            try await fixture.get("/spawn?n=300")
            let (artifacts, directory) = try await captureOnce(
                fixtureTarget(fixture), kinds: [.stacks, .goroutineText], parameters: CaptureParameters(stacksGoroutineLimit: 100))
            #expect(artifacts.map(\.name) == ["stacks.debug2.txt", "goroutine.debug1.txt"])
            guard case .skipped(let reason) = artifacts[0].outcome else {
                Issue.record("expected a skip, got \(artifacts[0].outcome)")
                return
            }
            #expect(reason.contains("goroutine-text artifact holds the cheaper debug=1 dump"))
            #expect(artifacts[1].outcome == .captured)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("without a readable goroutine count the stacks dump is not taken", arguments: ["500", "garbage", "hang-before"])
    func countUnavailable(mode: String) async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/\(mode)/debug/pprof", total: .seconds(1))
            let (artifacts, directory) = try await captureOnce(target, kinds: [.stacks])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .goroutineCountUnavailable)
            #expect(failure.message.contains("GET /fault/\(mode)/debug/pprof/goroutine?debug=1"))
            #expect(failure.message.contains("the stacks dump was not taken"))
            #expect(artifacts[0].goroutineCount == nil)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }
}
