import Capture
import Foundation
import GBSnapCore
import GBSnapTestSupport
import Testing

/// A target for a fixture that requires client certificates: it trusts the fixture's server
/// certificate and sends `certificate`/`key` (none when both are nil).
private func mutualTLSTarget(_ fixture: GoFixture, certificate: String?, key: String?) throws -> TargetSpec {
    let serverCertificate = try #require(fixture.certificateFile)
    var target = fixtureTarget(fixture)
    target.tls = .init(caFile: serverCertificate, certFile: certificate, keyFile: key)
    return target
}

/// Starts a fixture that requires client certificates and runs `body` with it and its certificate files.
private func withMutualTLSFixture(_ body: (GoFixture, GoFixture.ClientCertificateFiles) async throws -> Void) async throws {
    try await withFixture(requireClientCertificate: true) { fixture in
        try await body(fixture, try #require(fixture.clientCertificates))
    }
}

@Suite("Mutual TLS against a fixture that requires client certificates")
struct MutualTLSTests {
    @Test("with the CA file and the client certificate and key, vars, heap and an exact body are captured over mutual TLS")
    func handshakeSucceeds() async throws {
        try await withMutualTLSFixture { fixture, files in
            let target = try mutualTLSTarget(fixture, certificate: files.certificateFile, key: files.keyFile)
            let parameters = CaptureParameters(customEndpoints: [.init(name: "body.bin", path: "/body", query: "bytes=100000")])
            let (artifacts, directory) = try await captureOnce(target, kinds: [.vars, .heap, .custom], parameters: parameters)
            #expect(artifacts.map(\.name) == ["vars.json", "heap.pb.gz", "body.bin"])
            for artifact in artifacts {
                #expect(artifact.outcome == .captured, "\(artifact.name): \(artifact.outcome)")
                #expect(artifact.httpStatus == 200)
                #expect(artifact.attempts == 1)
                let data = try contents(artifact)
                #expect(Int64(data.count) == artifact.bytes)
                #expect(try artifact.sha256 == sha256Hex(ofFile: #require(artifact.file)))
            }
            let byName = Dictionary(uniqueKeysWithValues: artifacts.map { ($0.name, $0) })

            // The vars come from this very fixture: its command line shows it requires client certificates.
            let vars = try JSONSerialization.jsonObject(with: contents(try #require(byName["vars.json"]))) as? [String: Any]
            let commandLine = try #require(vars?["cmdline"] as? [String])
            #expect(commandLine.contains("-tls-client-auth"))
            #expect(vars?["memstats"] is [String: Any])

            let heap = try contents(try #require(byName["heap.pb.gz"]))
            #expect(heap.prefix(2) == Data([0x1f, 0x8b]), "heap is gzip")
            #expect(heap.count > 100)

            #expect(try contents(try #require(byName["body.bin"])) == Data(count: 100_000))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("without a client certificate the refused handshake is reported as such, for every artifact, without retries")
    func noClientCertificate() async throws {
        try await withMutualTLSFixture { fixture, _ in
            let target = try mutualTLSTarget(fixture, certificate: nil, key: nil)
            let (artifacts, directory) = try await captureOnce(target, kinds: [.vars, .heap])
            for (artifact, request) in zip(artifacts, ["/debug/vars", "/debug/pprof/heap?gc=1"]) {
                let failure = try failure(artifact)
                #expect(failure.reason == .tlsFailure)
                #expect(artifact.attempts == 1)
                // Go 1.19 answers a missing certificate with bad_certificate; TLS 1.3 allows certificate_required.
                let expected = "target \"fixture\" at \(fixture.baseURL): GET \(request): TLS failed: the server requires a client certificate and none is configured (it refused the handshake with TLS alert "
                #expect([expected + "bad_certificate)", expected + "certificate_required)"].contains(failure.message), "\(failure.message)")
            }
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a client certificate signed by another CA is refused, and the message names the certificate file")
    func rogueClientCertificate() async throws {
        try await withMutualTLSFixture { fixture, files in
            let target = try mutualTLSTarget(fixture, certificate: files.rogueCertificateFile, key: files.rogueKeyFile)
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .tlsFailure)
            #expect(artifacts[0].attempts == 1)
            #expect(failure.message == "target \"fixture\" at \(fixture.baseURL): GET /debug/pprof/heap?gc=1: TLS failed: the server refused the client certificate \"\(files.rogueCertificateFile)\" (TLS alert bad_certificate); it accepts only certificates signed by a CA it trusts, unexpired and unrevoked")
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a client key that is not the certificate's, a garbage or missing key, or a certificate given as key is refused before any request")
    func unusableClientKey() async throws {
        try await withMutualTLSFixture { fixture, files in
            let garbage = try existingFile("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
            let missing = files.keyFile + ".missing"
            let cases: [(certificate: String, key: String, reason: CaptureConfigurationError.Reason, problem: String)] = [
                (files.certificateFile, files.rogueKeyFile, .tlsFileInvalid,
                 "TLS client key file \"\(files.rogueKeyFile)\" is not the private key of the certificate in \"\(files.certificateFile)\""),
                (files.certificateFile, garbage, .tlsFileInvalid, "TLS client key file \"\(garbage)\" is not a PEM private key"),
                (files.certificateFile, files.certificateFile, .tlsFileInvalid,
                 "TLS client key file \"\(files.certificateFile)\" is not a PEM private key"),
                (files.certificateFile, missing, .tlsFileMissing, "TLS client key file \"\(missing)\" does not exist or cannot be read"),
            ]
            for (certificate, key, reason, problem) in cases {
                let target = try mutualTLSTarget(fixture, certificate: certificate, key: key)
                let error = try #require(configurationError(CaptureRequest(target: target, kinds: [.heap])), "\(key)")
                #expect(error.reason == reason)
                #expect(error.description == "target \"fixture\": \(problem)")
                // capture throws the same error before sending anything.
                let directory = try makeTemporaryDirectory()
                await #expect(throws: error) { try await captureOnce(target, kinds: [.heap], directory: directory) }
                #expect(filesIn(directory).isEmpty)
            }
        }
    }
}
