import GBSnapTestSupport
import Capture
import Foundation
import GBSnapCore
import Testing

/// Root of this test process's temporary directories; the roots of earlier, finished test
/// processes are removed the first time it is used, so runs do not pile up files in /tmp.
private let testRoot: URL = {
    let parent = FileManager.default.temporaryDirectory.appendingPathComponent("gbsnap-capture-tests")
    for stale in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] {
        if let pid = Int32(stale), pid != getpid(), kill(pid, 0) != 0 {
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(stale))
        }
    }
    return parent.appendingPathComponent("\(getpid())")
}()

/// A fresh temporary directory for one test's capture bodies.
func makeTemporaryDirectory() throws -> String {
    let url = testRoot.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// Writes `text` to a new file in a fresh temporary directory and returns its path.
func existingFile(_ text: String) throws -> String {
    let path = (try makeTemporaryDirectory() as NSString).appendingPathComponent("file")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The error `Capturer.validate` throws for `request`, or nil if the request is valid.
func configurationError(_ request: CaptureRequest) -> CaptureConfigurationError? {
    do {
        try Capturer.validate(request)
        return nil
    } catch {
        return error
    }
}

/// File names in `directory`.
func filesIn(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// Checks that `directory` holds exactly the files of artifacts that stored data (and the kept
/// starts of rejected bodies): nothing partial, nothing else from failed, skipped or unsupported artifacts.
func expectOnlyStoredFiles(_ artifacts: [CapturedArtifact], in directory: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let expected = artifacts.compactMap { $0.file.map { ($0 as NSString).lastPathComponent } }.sorted()
    #expect(filesIn(directory) == expected, sourceLocation: sourceLocation)
    for artifact in artifacts {
        let rejected = if case .failed(let f) = artifact.outcome { f.reason == .unexpectedBody } else { false }
        // A rejected body keeps its start unless it was empty.
        if artifact.outcome.hasData || !rejected {
            #expect((artifact.file != nil) == artifact.outcome.hasData, "\(artifact.name): \(artifact.outcome)", sourceLocation: sourceLocation)
        }
        if artifact.file == nil {
            #expect(artifact.bytes == 0 && artifact.sha256 == nil, sourceLocation: sourceLocation)
        }
    }
}

/// Lowercase hex SHA-256 of a file, computed independently of the capture code path.
func sha256Hex(ofFile path: String) throws -> String {
    var hasher = SHA256Hasher()
    hasher.update([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    return hasher.finalizeHex()
}

/// Contents of an artifact's file.
func contents(_ artifact: CapturedArtifact) throws -> Data {
    let path = try #require(artifact.file, "\(artifact.name) has no file: \(artifact.outcome)")
    return try Data(contentsOf: URL(fileURLWithPath: path))
}

/// The failure of an artifact, or a test failure if it did not fail.
func failure(_ artifact: CapturedArtifact, sourceLocation: SourceLocation = #_sourceLocation) throws -> CaptureFailure {
    guard case .failed(let failure) = artifact.outcome else {
        Issue.record("\(artifact.name) did not fail: \(artifact.outcome)", sourceLocation: sourceLocation)
        throw UnexpectedOutcome(description: "\(artifact.name): \(artifact.outcome)")
    }
    return failure
}

/// Captures `kinds` from `target` with a fresh capturer and temp directory; shuts the capturer down.
func captureOnce(
    _ target: TargetSpec, kinds: [CaptureKind], parameters: CaptureParameters = CaptureParameters(), directory: String? = nil
) async throws -> (artifacts: [CapturedArtifact], directory: String) {
    let directory = try directory ?? makeTemporaryDirectory()
    let capturer = Capturer(temporaryDirectory: directory)
    let artifacts: [CapturedArtifact]
    do {
        artifacts = try await capturer.capture(CaptureRequest(target: target, kinds: kinds, parameters: parameters))
    } catch {
        try await capturer.shutdown()
        throw error
    }
    try await capturer.shutdown()
    return (artifacts, directory)
}

/// A target for the fixture with short timeouts, so failure tests end quickly.
func fixtureTarget(
    _ fixture: GoFixture, prefix: String = "/debug/pprof", varsPath: String = "/debug/vars",
    total: Duration = .seconds(60), maxBytes: Int64 = TargetSpec.defaultMaxArtifactBytes
) -> TargetSpec {
    TargetSpec(
        name: "fixture", baseURL: fixture.baseURL, pprofPrefix: prefix, varsPath: varsPath, labels: ["env": "test"],
        timeouts: .init(connect: .seconds(5), total: total), maxArtifactBytes: maxBytes)
}

/// Starts a fixture (HTTPS with `tls`, mutual TLS with `requireClientCertificate`), runs `body`,
/// and always stops the fixture.
func withFixture<T>(
    tls: Bool = false, requireClientCertificate: Bool = false, _ body: (GoFixture) async throws -> T
) async throws -> T {
    let fixture = try await GoFixture.start(tls: tls, requireClientCertificate: requireClientCertificate)
    do {
        let result = try await body(fixture)
        fixture.stop()
        return result
    } catch {
        fixture.stop()
        throw error
    }
}

/// Thrown by `failure(_:)` after recording the issue, to stop the test.
struct UnexpectedOutcome: Error, CustomStringConvertible {
    var description: String
}
