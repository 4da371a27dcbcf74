import Capture
import Foundation
import GBSnapCore
import Testing

/// Writes `text` to a new file in a fresh directory and returns its path.
private func secretFile(_ text: String) throws -> String {
    let path = (try makeTemporaryDirectory() as NSString).appendingPathComponent("secret")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Every string form of the artifacts, to check that no credential leaked into any field.
private func everything(_ artifacts: [CapturedArtifact]) -> String {
    artifacts.map { "\($0) \(String(reflecting: $0)) \($0.outcome.message ?? "")" }.joined(separator: "\n")
}

@Suite("Authentication, TLS and credential hygiene")
struct AuthAndTLSTests {
    static let password = "fixture-password"
    static let token = "fixture-bearer-token"

    @Test("without credentials the authenticated prefix answers 401, reported as unauthorized")
    func missingCredentials() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/auth/debug/pprof")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .unauthorized)
            #expect(failure.message.hasSuffix("GET /auth/debug/pprof/heap?gc=1: HTTP 401: the target refused the request's credentials"))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a bearer token read from a file reaches the server and appears nowhere in the result")
    func bearerToken() async throws {
        try await withFixture { fixture in
            var target = fixtureTarget(fixture, prefix: "/auth/debug/pprof", varsPath: "/auth/debug/vars")
            target.auth = .init(bearerTokenFile: try secretFile(Self.token + "\n"))
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .vars])
            #expect(artifacts.map(\.outcome) == [.captured, .captured])
            #expect(!everything(artifacts).contains(Self.token))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("basic auth with a password file reaches the server; a wrong password is unauthorized and not echoed")
    func basicAuth() async throws {
        try await withFixture { fixture in
            var target = fixtureTarget(fixture, prefix: "/auth/debug/pprof")
            target.auth = .init(basicUsername: "fixture-user", basicPasswordFile: try secretFile(Self.password))
            let (artifacts, directory) = try await captureOnce(target, kinds: [.goroutine])
            #expect(artifacts[0].outcome == .captured)
            #expect(!everything(artifacts).contains(Self.password))
            expectOnlyStoredFiles(artifacts, in: directory)

            target.auth = .init(basicUsername: "fixture-user", basicPasswordFile: try secretFile("wrong-secret-42"))
            let (denied, directory2) = try await captureOnce(target, kinds: [.goroutine])
            #expect(try failure(denied[0]).reason == .unauthorized)
            #expect(!everything(denied).contains("wrong-secret-42"))
            expectOnlyStoredFiles(denied, in: directory2)
        }
    }

    @Test("credentials in the URL are used as basic auth and never stored, logged into results or put in errors")
    func credentialsInURL() async throws {
        try await withFixture { fixture in
            var target = fixtureTarget(fixture, prefix: "/auth/debug/pprof")
            target.baseURL = "http://fixture-user:\(Self.password)@\(fixture.address)"
            #expect(target.redactedBaseURL == fixture.baseURL)
            let (artifacts, directory) = try await captureOnce(target, kinds: [.goroutine, .stacks])
            #expect(artifacts.map(\.outcome) == [.captured, .captured])
            #expect(!everything(artifacts).contains(Self.password))
            expectOnlyStoredFiles(artifacts, in: directory)

            target.baseURL = "http://fixture-user:hunter2-secret@\(fixture.address)"
            let (denied, directory2) = try await captureOnce(target, kinds: [.goroutine])
            let failure = try failure(denied[0])
            #expect(failure.reason == .unauthorized)
            #expect(failure.message.contains(" at \(fixture.baseURL): "))
            #expect(!everything(denied).contains("hunter2-secret"))
            #expect(!everything(denied).contains("fixture-user"))
            expectOnlyStoredFiles(denied, in: directory2)
        }
    }

    @Test("credentials in the URL stay out of connection errors too")
    func credentialsInURLOnConnectionError() async throws {
        let target = TargetSpec(name: "closed", baseURL: "http://admin:s3cr3t-pass@127.0.0.1:1", timeouts: .init(connect: .seconds(1), total: .seconds(5)))
        let (artifacts, directory) = try await captureOnce(target, kinds: [.heap])
        #expect(try failure(artifacts[0]).message.hasPrefix("target \"closed\" at http://127.0.0.1:1: "))
        #expect(!everything(artifacts).contains("s3cr3t-pass"))
        expectOnlyStoredFiles(artifacts, in: directory)
    }

    @Test("HTTPS with the fixture's certificate as CA file works; without it verification fails; insecure skips it")
    func tls() async throws {
        try await withFixture(tls: true) { fixture in
            let ca = try #require(fixture.certificateFile)
            var target = fixtureTarget(fixture)
            target.tls = .init(caFile: ca)
            let (trusted, directory) = try await captureOnce(target, kinds: [.heap, .vars])
            #expect(trusted.map(\.outcome) == [.captured, .captured])
            expectOnlyStoredFiles(trusted, in: directory)

            target.tls = nil
            let (untrusted, directory2) = try await captureOnce(target, kinds: [.heap])
            let failure = try failure(untrusted[0])
            #expect(failure.reason == .tlsFailure)
            #expect(failure.message.contains(" at \(fixture.baseURL): GET /debug/pprof/heap?gc=1: TLS failed"))
            expectOnlyStoredFiles(untrusted, in: directory2)

            target.tls = .init(insecureSkipVerify: true)
            let (insecure, directory3) = try await captureOnce(target, kinds: [.goroutine])
            #expect(insecure[0].outcome == .captured)
            expectOnlyStoredFiles(insecure, in: directory3)
        }
    }
}
