import GBSnapTestSupport
import Capture
import Foundation
import GBSnapCore
import Testing

@Suite("Capturing every kind from the Go fixture")
struct CaptureKindsTests {
    @Test("every built-in kind and a custom endpoint arrive complete, hashed and with the right endpoint and query")
    func everyKind() async throws {
        let goMinor = try await GoFixture.goMinorVersion
        try await withFixture { fixture in
            try await fixture.get("/leak?kind=chanrecv&n=6")
            try await fixture.get("/grow?mb=4")
            try await fixture.get("/cpu?ms=3000&background=1")
            let parameters = CaptureParameters(
                cpuSeconds: 1, traceSeconds: 1,
                customEndpoints: [.init(name: "echo.json", path: "/echo", query: "from=gbsnap")])
            var target = fixtureTarget(fixture)
            target.headers = ["X-Gbsnap-Test": "custom-header-value"]
            let kinds: [CaptureKind] = [
                .heap, .allocs, .goroutine, .stacks, .goroutineText, .cpu, .trace, .block, .mutex, .threadcreate,
                .goroutineleak, .vars, .custom,
            ]
            let (artifacts, directory) = try await captureOnce(target, kinds: kinds, parameters: parameters)
            #expect(artifacts.map(\.name) == [
                "heap.pb.gz", "allocs.pb.gz", "goroutine.pb.gz", "stacks.debug2.txt", "goroutine.debug1.txt", "cpu.pb.gz",
                "trace.out", "block.pb.gz", "mutex.pb.gz", "threadcreate.pb.gz", "goroutineleak.pb.gz", "vars.json", "echo.json",
            ])
            let byName = Dictionary(uniqueKeysWithValues: artifacts.map { ($0.name, $0) })
            let expectedRequests: [String: (String, String)] = [
                "heap.pb.gz": ("/debug/pprof/heap", "gc=1"),
                "allocs.pb.gz": ("/debug/pprof/allocs", ""),
                "goroutine.pb.gz": ("/debug/pprof/goroutine", ""),
                "stacks.debug2.txt": ("/debug/pprof/goroutine", "debug=2"),
                "goroutine.debug1.txt": ("/debug/pprof/goroutine", "debug=1"),
                "cpu.pb.gz": ("/debug/pprof/profile", "seconds=1"),
                "trace.out": ("/debug/pprof/trace", "seconds=1"),
                "block.pb.gz": ("/debug/pprof/block", ""),
                "mutex.pb.gz": ("/debug/pprof/mutex", ""),
                "threadcreate.pb.gz": ("/debug/pprof/threadcreate", ""),
                "goroutineleak.pb.gz": ("/debug/pprof/goroutineleak", ""),
                "vars.json": ("/debug/vars", ""),
                "echo.json": ("/echo", "from=gbsnap"),
            ]
            for artifact in artifacts {
                let expected = try #require(expectedRequests[artifact.name])
                #expect(artifact.endpoint == expected.0, "\(artifact.name)")
                #expect(artifact.query == expected.1, "\(artifact.name)")
                #expect(artifact.kind == artifact.requestedKind)
                if artifact.name == "goroutineleak.pb.gz", goMinor < 26 {
                    guard case .notSupported(let reason) = artifact.outcome else {
                        Issue.record("goroutineleak on go1.\(goMinor) should be not supported, got \(artifact.outcome)")
                        continue
                    }
                    #expect(reason.contains("HTTP 404"))
                    #expect(reason.contains("/debug/pprof/goroutineleak"))
                    #expect(artifact.httpStatus == 404)
                    continue
                }
                #expect(artifact.outcome == .captured, "\(artifact.name): \(artifact.outcome)")
                #expect(artifact.httpStatus == 200)
                #expect(artifact.attempts == 1)
                let data = try contents(artifact)
                #expect(Int64(data.count) == artifact.bytes)
                #expect(artifact.bytes > 0)
                #expect(try artifact.sha256 == sha256Hex(ofFile: #require(artifact.file)))
                #expect(artifact.file.map { ($0 as NSString).deletingLastPathComponent } == directory)
                if artifact.kind.isProfileProto {
                    #expect(data.prefix(2) == Data([0x1f, 0x8b]), "\(artifact.name) is gzip")
                    #expect(artifact.contentType == "application/octet-stream")
                }
            }

            let stacks = String(decoding: try contents(try #require(byName["stacks.debug2.txt"])), as: UTF8.self)
            #expect(stacks.hasPrefix("goroutine "))
            #expect(stacks.contains("main.leakChanRecv"))
            let text = String(decoding: try contents(try #require(byName["goroutine.debug1.txt"])), as: UTF8.self)
            #expect(text.hasPrefix("goroutine profile: total "))
            #expect(text.contains("# labels: {\"worker\":\"leaky\"}"))
            let trace = try contents(try #require(byName["trace.out"]))
            #expect(String(decoding: trace.prefix(5), as: UTF8.self) == "go 1.")

            let vars = try JSONSerialization.jsonObject(with: try contents(try #require(byName["vars.json"]))) as? [String: Any]
            let memstats = try #require(vars?["memstats"] as? [String: Any])
            #expect((memstats["HeapAlloc"] as? Int ?? 0) > 0)
            #expect(vars?["leaked_goroutines"] as? Int == 6)

            let echo = try JSONSerialization.jsonObject(with: try contents(try #require(byName["echo.json"]))) as? [String: String]
            #expect(echo?[":query"] == "from=gbsnap")
            #expect(echo?["X-Gbsnap-Test"] == "custom-header-value")
            #expect(echo?["User-Agent"] == "gbsnap")
            #expect(echo?["Authorization"] == nil)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("heap without gc asks for no query, and duplicate kinds are captured once")
    func heapWithoutGC() async throws {
        try await withFixture { fixture in
            let (artifacts, directory) = try await captureOnce(
                fixtureTarget(fixture), kinds: [.heap, .heap, .vars], parameters: CaptureParameters(heapGC: false))
            #expect(artifacts.map(\.name) == ["heap.pb.gz", "vars.json"])
            #expect(artifacts[0].query == "")
            #expect(artifacts[0].outcome == .captured)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("a base URL with a path and a custom pprof prefix are both prepended")
    func basePathAndPrefix() async throws {
        try await withFixture { fixture in
            var target = fixtureTarget(fixture, prefix: "/debug/pprof/", varsPath: "/debug/vars")
            target.baseURL = fixture.baseURL + "/auth/"
            target.headers = ["Authorization": "Bearer fixture-bearer-token"]
            let (artifacts, directory) = try await captureOnce(target, kinds: [.goroutineText, .vars])
            #expect(artifacts.map(\.endpoint) == ["/auth/debug/pprof/goroutine", "/auth/debug/vars"])
            #expect(artifacts.allSatisfy { $0.outcome == .captured })
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("leak kinds of the fixture show up by name in the stacks dump")
    func leakKinds() async throws {
        try await withFixture { fixture in
            for kind in ["chansend", "chanrecv", "select", "mutex", "sleep", "httpbody"] {
                try await fixture.get("/leak?kind=\(kind)&n=3")
            }
            let (artifacts, directory) = try await captureOnce(fixtureTarget(fixture), kinds: [.stacks])
            let stacks = String(decoding: try contents(artifacts[0]), as: UTF8.self)
            for function in [
                "main.leakChanSend", "main.leakChanRecv", "main.leakSelect", "main.leakMutexWait", "main.leakSleep",
                "net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop",
            ] {
                #expect(stacks.contains(function), "\(function) in stacks")
            }
            #expect(artifacts[0].goroutineCount.map { $0 >= 3 * 7 } == true)
            expectOnlyStoredFiles(artifacts, in: directory)
        }
    }

    @Test("captures of one target through one capturer are serialized, so two concurrent cpu captures both succeed")
    func sameTargetSerialized() async throws {
        try await withFixture { fixture in
            let directory = try makeTemporaryDirectory()
            let capturer = Capturer(temporaryDirectory: directory)
            let request = CaptureRequest(target: fixtureTarget(fixture), kinds: [.cpu], parameters: CaptureParameters(cpuSeconds: 1))
            async let first = capturer.capture(request)
            async let second = capturer.capture(request)
            let results = try await [first, second]
            try await capturer.shutdown()
            #expect(results.flatMap { $0 }.map(\.outcome) == [.captured, .captured])
            expectOnlyStoredFiles(results.flatMap { $0 }, in: directory)
        }
    }

    @Test("the fixture exits with status 0 on SIGTERM")
    func fixtureStopsCleanly() async throws {
        let fixture = try await GoFixture.start()
        try await fixture.get("/leak?kind=chansend&n=2")
        #expect(fixture.stop() == 0)
    }
}
