import Capture
import Foundation
import GBSnapCore
import Testing

@Suite("Bad targets: every failure is recorded per artifact, with no file left behind")
struct CaptureFailureTests {
    @Test("connection refused on a closed port is retried, then reported naming target and endpoint")
    func connectionRefused() async throws {
        let target = TargetSpec(name: "closed", baseURL: "http://127.0.0.1:1", timeouts: .init(connect: .seconds(2), total: .seconds(20)))
        let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .cpu])
        for artifact in artifacts {
            let failure = try failure(artifact)
            #expect(failure.reason == .connectionRefused)
            // Retried (even cpu: a refused connection never reached the target) while the deadline allows;
            // on a heavily loaded machine the deadline may allow fewer than 3.
            #expect((1...3).contains(artifact.attempts))
            #expect(artifact.httpStatus == nil)
        }
        let message = try failure(artifacts[0]).message
        #expect(message.hasPrefix("target \"closed\" at http://127.0.0.1:1: GET /debug/pprof/heap?gc=1: connection refused"))
        expectOnlyStoredFiles(artifacts, in: directory)
    }

    @Test("a host name under .invalid fails with a DNS failure")
    func dnsFailure() async throws {
        let target = TargetSpec(name: "nxdomain", baseURL: "http://gbsnap-no-such-host.invalid:6060", timeouts: .init(connect: .seconds(5), total: .seconds(20)))
        let (artifacts, directory) = try await captureOnce(target, kinds: [.vars])
        let failure = try failure(artifacts[0])
        #expect(failure.reason == .dnsFailure)
        #expect(failure.message.contains("http://gbsnap-no-such-host.invalid:6060"))
        #expect(failure.message.contains("GET /debug/vars"))
        expectOnlyStoredFiles(artifacts, in: directory)
    }

    @Test("a target that never sends headers is ended by the deadline", arguments: ["/debug/pprof", "/debug/vars"])
    func hangBeforeHeaders(path: String) async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/hang-before/debug/pprof", varsPath: "/fault/hang-before/debug/vars", total: .seconds(1))
            let (artifacts, directory) = try await captureOnce(target, kinds: [path == "/debug/vars" ? .vars : .heap])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .deadlineExceeded)
            #expect(failure.message.contains("no response headers within the deadline of 1s"))
            #expect(artifacts[0].attempts == 1)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a target that hangs in the middle of the body is ended by the deadline and its partial body deleted")
    func hangDuringBody() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/hang-during/debug/pprof", total: .seconds(1))
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .goroutine])
            for artifact in artifacts {
                let failure = try failure(artifact)
                #expect(failure.reason == .deadlineExceeded)
                #expect(failure.message.contains("the body was incomplete after 1024 bytes when the deadline of 1s passed"))
                #expect(artifact.httpStatus == 200)
            }
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a slow drip of one byte per second is ended by the deadline")
    func slowDrip() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/slowdrip/debug/pprof", total: .seconds(2))
            let (artifacts, directory) = try await captureOnce(target, kinds: [.goroutineText])
            #expect(try failure(artifacts[0]).reason == .deadlineExceeded)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("HTTP 404 fails an ordinary kind but marks goroutineleak as not supported")
    func notFound() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/404/debug/pprof")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .goroutineleak])
            let heap = try failure(artifacts[0])
            #expect(heap.reason == .httpStatus)
            #expect(heap.message == "target \"fixture\" at \(fixture.baseURL): GET /fault/404/debug/pprof/heap?gc=1: HTTP 404: Unknown profile")
            #expect(artifacts[0].httpStatus == 404)
            guard case .notSupported(let reason) = artifacts[1].outcome else {
                Issue.record("goroutineleak should be not supported: \(artifacts[1].outcome)")
                return
            }
            #expect(reason.contains("does not serve goroutineleak"))
            #expect(!artifacts[1].outcome.isFailure)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("HTTP 500 is a failure carrying the server's message, and is not retried")
    func serverError() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/500/debug/pprof")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.allocs])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .httpStatus)
            #expect(failure.message.hasSuffix("GET /fault/500/debug/pprof/allocs: HTTP 500: failed to collect profile"))
            #expect(artifacts[0].attempts == 1)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("Go's 500 'cpu profiling already in use' says another CPU profile is running on the target")
    func busyMessage() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/busy/debug/pprof")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.cpu], parameters: CaptureParameters(cpuSeconds: 1))
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .profilerBusy)
            #expect(failure.message.contains("another CPU profile is already running on \(fixture.baseURL)"))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a real CPU profile or trace held by another client makes ours fail clearly", arguments: [CaptureKind.cpu, .trace])
    func profilerHeldByAnotherClient(kind: CaptureKind) async throws {
        try await withFixture { fixture in
            let otherDirectory = try makeTemporaryDirectory()
            let other = Capturer(temporaryDirectory: otherDirectory)
            let long = CaptureRequest(target: fixtureTarget(fixture), kinds: [kind], parameters: CaptureParameters(cpuSeconds: 600, traceSeconds: 600))
            let holder = Task { try await other.capture(long) }
            // Wait until the other client's handler is inside its sleep, i.e. the profile or trace runs.
            let handler = kind == .cpu ? "net/http/pprof.Profile" : "net/http/pprof.Trace"
            var running = false
            for _ in 0..<600 where !running {
                running = try await fixture.get("/debug/pprof/goroutine?debug=1").contains(handler)
                if !running { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(running)

            let (artifacts, directory) = try await captureOnce(
                fixtureTarget(fixture), kinds: [kind], parameters: CaptureParameters(cpuSeconds: 1, traceSeconds: 1))
            let busy = try failure(artifacts[0])
            #expect(busy.reason == .profilerBusy)
            let what = kind == .cpu ? "another CPU profile" : "another execution trace"
            #expect(busy.message.contains("\(what) is already running on \(fixture.baseURL)"))
            #expect(artifacts[0].attempts == 1)
            expectOnlyStoredFiles(artifacts, in: directory)

            holder.cancel()
            let held = try await holder.value
            #expect(try failure(held[0]).reason == .cancelled)
            try await other.shutdown()
            expectOnlyStoredFiles(held, in: otherDirectory)
        }
    }

    @Test("a body shorter than its Content-Length is reported as truncated")
    func truncated() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/truncated/debug/pprof")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .truncated)
            #expect(failure.message.contains("of the 65536 bytes announced by Content-Length"))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a connection reset is retried for idempotent kinds but never for cpu, trace or custom endpoints")
    func reset() async throws {
        try await withFixture { fixture in
            // A generous deadline: on a loaded machine the three attempts must never be cut short by it.
            let target = fixtureTarget(fixture, prefix: "/fault/reset/debug/pprof", total: .seconds(600))
            let parameters = CaptureParameters(cpuSeconds: 1, traceSeconds: 1, customEndpoints: [.init(name: "fgprof", path: "/fault/reset/debug/fgprof", query: "seconds=1")])
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .cpu, .trace, .custom], parameters: parameters)
            #expect(artifacts.map(\.name) == ["heap.pb.gz", "cpu.pb.gz", "trace.out", "fgprof"])
            for artifact in artifacts {
                #expect(try failure(artifact).reason == .connectionLost)
            }
            #expect(artifacts.map(\.attempts) == [3, 1, 1, 1])
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a body over the byte cap is aborted and deleted, whether announced or streamed")
    func oversized() async throws {
        try await withFixture { fixture in
            // 1000 goroutines make a stacks dump far larger than Go's response buffer, so it is
            // streamed without a Content-Length and the cap trips while reading.
            try await fixture.get("/spawn?n=1000")
            var target = fixtureTarget(fixture, maxBytes: 200)
            let (artifacts, directory) = try await captureOnce(target, kinds: [.stacks])
            let streamed = try failure(artifacts[0])
            #expect(streamed.reason == .tooLarge)
            #expect(streamed.message.hasSuffix("GET /debug/pprof/goroutine?debug=2: the body exceeded the limit of 200 bytes and was discarded"))
            expectOnlyStoredFiles(artifacts, in: directory)

            target = fixtureTarget(fixture, prefix: "/fault/garbage/debug/pprof", maxBytes: 1000)
            let (announced, directory2) = try await captureOnce(target, kinds: [.heap])
            #expect(try failure(announced[0]).message.contains("the announced body of 4096 bytes exceeds the limit of 1000 bytes"))
            expectOnlyStoredFiles(announced, in: directory2)
        }
    }

    @Test("an endless body stops at the byte cap, or at the deadline when the cap is larger")
    func endless() async throws {
        try await withFixture { fixture in
            // The cap must trip first, however slowly a loaded machine moves the bytes.
            let capped = fixtureTarget(fixture, prefix: "/fault/endless/debug/pprof", total: .seconds(600), maxBytes: 8 << 20)
            let (artifacts, directory) = try await captureOnce(capped, kinds: [.heap])
            #expect(try failure(artifacts[0]).reason == .tooLarge)
            expectOnlyStoredFiles(artifacts, in: directory)

            let timed = fixtureTarget(fixture, prefix: "/fault/endless/debug/pprof", total: .seconds(1), maxBytes: .max)
            let (timedOut, directory2) = try await captureOnce(timed, kinds: [.heap])
            #expect(try failure(timedOut[0]).reason == .deadlineExceeded)
            expectOnlyStoredFiles(timedOut, in: directory2)
        }
    }

    @Test("random bytes where a profile is expected fail the artifact; their first 4 KiB are kept, never the rest")
    func garbage() async throws {
        try await withFixture { fixture in
            let target = fixtureTarget(fixture, prefix: "/fault/garbage/debug/pprof", total: .seconds(10))
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .unexpectedBody)
            #expect(failure.message.contains("GET /fault/garbage/debug/pprof/heap?gc=1: the body is not a profile: it should start with gzip data (1f 8b) but starts with bytes "))
            #expect(failure.message.hasSuffix("(its first 4096 bytes are kept as heap.pb.gz.rejected)"))
            #expect(artifacts[0].httpStatus == 200)
            #expect(artifacts[0].bytes == 4096)
            #expect(try artifacts[0].sha256 == sha256Hex(ofFile: #require(artifacts[0].file)))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("one failing kind does not disturb the others of the same capture")
    func partialFailure() async throws {
        try await withFixture { fixture in
            var target = fixtureTarget(fixture)
            target.varsPath = "/fault/500/debug/vars"
            let (artifacts, directory) = try await captureOnce(target, kinds: [.heap, .vars, .goroutine])
            #expect(artifacts.map(\.outcome.status) == ["captured", "failed", "captured"])
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a redirect is not followed")
    func redirectNotFollowed() async throws {
        try await withFixture { fixture in
            // Go's ServeMux answers a path without its trailing slash with 301 to the slash form.
            let target = fixtureTarget(fixture, prefix: "/debug/pprof", varsPath: "/auth")
            let (artifacts, directory) = try await captureOnce(target, kinds: [.vars])
            let failure = try failure(artifacts[0])
            #expect(failure.reason == .redirect)
            #expect(failure.message.contains("HTTP 301 redirect to /auth/"))
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a capture cancelled by its caller reports every artifact as cancelled")
    func cancelled() async throws {
        try await withFixture { fixture in
            let directory = try makeTemporaryDirectory()
            let capturer = Capturer(temporaryDirectory: directory)
            let request = CaptureRequest(
                target: fixtureTarget(fixture, prefix: "/fault/hang-before/debug/pprof"), kinds: [.heap, .goroutine])
            let task = Task { try await capturer.capture(request) }
            var waiting = false
            for _ in 0..<600 where !waiting {
                waiting = try await fixture.get("/debug/pprof/goroutine?debug=1").contains("main.waitGone")
                if !waiting { try await Task.sleep(for: .milliseconds(50)) }
            }
            task.cancel()
            let artifacts = try await task.value
            try await capturer.shutdown()
            #expect(try artifacts.map { try failure($0).reason } == [.cancelled, .cancelled])
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("after shutdown a capturer reports every artifact as cancelled")
    func afterShutdown() async throws {
        let directory = try makeTemporaryDirectory()
        let capturer = Capturer(temporaryDirectory: directory)
        try await capturer.shutdown()
        let artifacts = try await capturer.capture(CaptureRequest(target: TargetSpec(name: "t", baseURL: "http://127.0.0.1:1"), kinds: [.heap]))
        #expect(try failure(artifacts[0]).message == "target \"t\" at http://127.0.0.1:1: GET /debug/pprof/heap?gc=1: the capturer has been shut down")
        expectOnlyStoredFiles(artifacts, in: directory)
    }
}
