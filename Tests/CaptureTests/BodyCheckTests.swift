import Capture
import Foundation
import GBSnapCore
import Testing

/// A 200 answer that is not what the endpoint serves is a failed artifact, whatever the status said.
@Suite("Body check: a 2xx body that is not what the endpoint serves is never captured")
struct BodyCheckTests {
    @Test("a login page answered on every path fails every kind, naming the HTML page and what to check")
    func htmlLoginPage() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/html/debug/pprof", varsPath: "/fault/html/debug/vars")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .goroutine, .goroutineText, .trace, .vars])
            for artifact in artifacts {
                let failure = try failure(artifact)
                #expect(failure.reason == .unexpectedBody, "\(artifact.name)")
                #expect(failure.message.contains("the target answered with an HTML page, not "), "\(failure.message)")
                #expect(failure.message.contains("or whether a login sits in front of it"))
                #expect(failure.message.hasSuffix("are kept as \(artifact.name).rejected)"))
                #expect(try String(decoding: contents(artifact), as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
            }
            #expect(try failure(artifacts[0]).message.contains(
                "GET /fault/html/debug/pprof/heap?gc=1: the target answered with an HTML page, not a profile: check the URL and pprof prefix, or whether a login sits in front of it"))
            #expect(try failure(artifacts[4]).message.contains("not expvar JSON: check the URL and vars path"))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("the stacks governor names the HTML page when it cannot read the goroutine count")
    func htmlBeforeStacks() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/html/debug/pprof")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.stacks])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .goroutineCountUnavailable)
            #expect(failure.message.contains("the target answered with an HTML page, not a goroutine dump"))
            #expect(failure.message.hasSuffix("without the goroutine count the stacks dump was not taken"))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a JSON error answered with 200 is named as one, with its text, for profiles and vars alike")
    func jsonErrorBody() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/jsonerror/debug/pprof", varsPath: "/fault/jsonerror/debug/vars")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .vars])
            for artifact in artifacts {
                let failure = try failure(artifact)
                #expect(failure.reason == .unexpectedBody)
                #expect(failure.message.contains(
                    "the target answered with a JSON error body, not \(artifact.kind == .vars ? "expvar JSON" : "a profile") ({\"error\":\"unauthorized\",\"message\":\"a session cookie is required\"})"))
            }
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("random bytes fail the text and trace kinds too, quoting their first bytes in hex")
    func randomBytes() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/garbage/debug/pprof", varsPath: "/fault/garbage/debug/vars")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.goroutineText, .trace, .vars])
            for artifact in artifacts {
                let failure = try failure(artifact)
                #expect(failure.reason == .unexpectedBody)
                #expect(failure.message.contains("but starts with bytes "), "\(failure.message)")
                #expect(artifact.bytes == 4096)
            }
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("an empty 200 body fails as empty, and nothing is kept")
    func emptyBody() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, varsPath: "/fault/empty/debug/vars")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.vars])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .unexpectedBody)
            #expect(failure.message.contains("the target answered with an empty body, not expvar JSON"))
            #expect(artifacts[0].file == nil)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a custom endpoint is not checked: whatever it answers is captured")
    func customUnchecked() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture)
            var parameters = CaptureParameters()
            parameters.customEndpoints = [CaptureParameters.CustomEndpoint(name: "page.html", path: "/fault/html/x", query: "")]
            let (artifacts, directory) = try await captureOnce(target, kinds: [.custom], parameters: parameters)
            #expect(artifacts[0].outcome == .captured)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }
}
