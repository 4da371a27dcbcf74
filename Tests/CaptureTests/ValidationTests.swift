@testable import Capture
import Foundation
import GBSnapCore
import Testing

private func request(_ target: TargetSpec, kinds: [CaptureKind] = [.heap], parameters: CaptureParameters = CaptureParameters()) -> CaptureRequest {
    CaptureRequest(target: target, kinds: kinds, parameters: parameters)
}

@Suite("Up-front validation: typed errors before any request")
struct ValidationTests {
    @Test(
        "invalid base URLs are rejected without revealing credentials",
        arguments: [
            ("not a url at all", "base URL \"not a url at all\" must start with http:// or https://"),
            ("ftp://example.com", "base URL \"ftp://example.com\" must start with http:// or https://"),
            ("http://", "base URL \"http://\" has no host"),
            ("http://user:topsecret@", "base URL \"http://\" has no host"),
            ("http://127.0.0.1:6060?x=1", "base URL \"http://127.0.0.1:6060?x=1\" must not have a query or fragment"),
            ("http://127.0.0.1:99999", "base URL \"http://127.0.0.1:99999\" has port 99999 outside 1-65535"),
        ])
    func invalidURL(url: String, problem: String) throws {
        let error = try #require(configurationError(request(TargetSpec(name: "api", baseURL: url))))
        #expect(error.reason == .invalidURL)
        #expect(error.description == "target \"api\": \(problem)")
        #expect(!error.description.contains("topsecret"))
    }

    @Test("a capture with an invalid URL throws before sending anything")
    func captureThrows() async throws {
        let directory = try makeTemporaryDirectory()
        let capturer = Capturer(temporaryDirectory: directory)
        await #expect(throws: CaptureConfigurationError.self) {
            _ = try await capturer.capture(request(TargetSpec(name: "api", baseURL: "gopher://x")))
        }
        try await capturer.shutdown()
        #expect(filesIn(directory).isEmpty)
    }

    @Test("missing, empty or multi-line credential files are typed errors naming the file")
    func credentialFiles() throws {
        var target = TargetSpec(name: "api", baseURL: "http://127.0.0.1:6060")
        target.auth = .init(bearerTokenFile: "/nonexistent/gbsnap/token")
        var error = try #require(configurationError(request(target)))
        #expect(error.reason == .credentialsFileMissing)
        #expect(error.description == "target \"api\": bearer token file \"/nonexistent/gbsnap/token\" does not exist")

        let empty = try existingFile("\n")
        target.auth = .init(bearerTokenFile: empty)
        error = try #require(configurationError(request(target)))
        #expect(error.reason == .credentialsFileEmpty)

        target.auth = .init(bearerTokenFile: try existingFile("line-one\nline-two\n"))
        error = try #require(configurationError(request(target)))
        #expect(error.reason == .credentialsFileUnreadable)
        #expect(!error.description.contains("line-one"))

        target.auth = .init(basicUsername: "u", basicPasswordFile: "/nonexistent/gbsnap/password")
        error = try #require(configurationError(request(target)))
        #expect(error.reason == .credentialsFileMissing)
        #expect(error.description.contains("basic-auth password file \"/nonexistent/gbsnap/password\""))

        target.auth = .init(basicUsername: "u")
        #expect(configurationError(request(target))?.reason == .incompleteCredentials)
        target.auth = .init(basicPasswordFile: try existingFile("pw"))
        #expect(configurationError(request(target))?.reason == .incompleteCredentials)
    }

    @Test("two sources of credentials at once are refused")
    func conflictingCredentials() throws {
        var target = TargetSpec(name: "api", baseURL: "http://u:p@127.0.0.1:6060")
        target.auth = .init(bearerTokenFile: try existingFile("token"))
        #expect(configurationError(request(target))?.reason == .conflictingCredentials)
        target.baseURL = "http://127.0.0.1:6060"
        target.headers = ["authorization": "Bearer x"]
        #expect(configurationError(request(target))?.reason == .conflictingCredentials)
    }

    @Test("TLS files must exist and be PEM, and certificate and key come together")
    func tlsFiles() throws {
        var target = TargetSpec(name: "api", baseURL: "https://127.0.0.1:6060")
        target.tls = .init(caFile: "/nonexistent/ca.pem")
        #expect(configurationError(request(target))?.reason == .tlsFileMissing)
        target.tls = .init(caFile: try existingFile("not a certificate"))
        #expect(configurationError(request(target))?.reason == .tlsFileInvalid)
        target.tls = .init(certFile: try existingFile("x"))
        #expect(configurationError(request(target))?.reason == .incompleteCredentials)
        target.tls = .init(keyFile: try existingFile("x"))
        #expect(configurationError(request(target))?.reason == .incompleteCredentials)
        target.tls = .init(insecureSkipVerify: true)
        #expect(configurationError(request(target)) == nil)
    }

    @Test("headers, limits, timeouts and parameters are checked")
    func parameters() throws {
        let base = TargetSpec(name: "api", baseURL: "http://127.0.0.1:6060")
        var target = base
        target.headers = ["X-Bad": "a\r\nInjected: yes"]
        #expect(configurationError(request(target))?.reason == .invalidHeader)
        target = base
        target.headers = ["Bad Header": "x"]
        #expect(configurationError(request(target))?.reason == .invalidHeader)
        target = base
        target.maxArtifactBytes = 0
        #expect(configurationError(request(target))?.reason == .invalidParameter)
        target = base
        target.timeouts = .init(connect: .zero, total: .seconds(1))
        #expect(configurationError(request(target))?.reason == .invalidParameter)
        target = base
        target.pprofPrefix = "debug/pprof"
        #expect(configurationError(request(target))?.description == "target \"api\": pprof prefix \"debug/pprof\" must start with /")
        #expect(configurationError(request(base, kinds: [.cpu], parameters: .init(cpuSeconds: 0)))?.reason == .invalidParameter)
        #expect(configurationError(request(base, kinds: [.trace], parameters: .init(traceSeconds: -1)))?.reason == .invalidParameter)
        #expect(configurationError(request(base, kinds: [.heap], parameters: .init(cpuSeconds: 0))) == nil)
    }

    @Test(
        "custom endpoints need safe, unique names and plain paths",
        arguments: [
            ([], "kind custom was requested but no custom endpoints are configured"),
            ([CaptureParameters.CustomEndpoint(name: "../x", path: "/x")], "custom endpoint name \"../x\" is not a safe file name"),
            ([.init(name: "heap.pb.gz", path: "/x")], "custom endpoint name \"heap.pb.gz\" clashes with a built-in artifact name"),
            ([.init(name: "a", path: "/x"), .init(name: "a", path: "/y")], "custom endpoint name \"a\" is used twice"),
            ([.init(name: "a", path: "x")], "custom endpoint \"a\" path \"x\" must start with / and hold no query, fragment or spaces"),
            ([.init(name: "a", path: "/x", query: "?s=1")], "custom endpoint \"a\" query \"?s=1\" must be given without ? and without spaces or #"),
        ])
    func customEndpoints(endpoints: [CaptureParameters.CustomEndpoint], problem: String) throws {
        let target = TargetSpec(name: "api", baseURL: "http://127.0.0.1:6060")
        let error = try #require(configurationError(request(target, kinds: [.custom], parameters: .init(customEndpoints: endpoints))))
        #expect(error.reason == .invalidCustomEndpoint)
        #expect(error.description == "target \"api\": \(problem)")
    }
}

@Suite("Endpoint plan")
struct EndpointPlanTests {
    @Test("each kind maps to its endpoint and query")
    func kinds() {
        let parameters = CaptureParameters(cpuSeconds: 7, traceSeconds: 3, heapGC: true)
        let fetches = EndpointPlan.fetches(
            kinds: CaptureKind.allCases.filter { $0 != .custom }, parameters: parameters, basePath: "", pprofPrefix: "/debug/pprof",
            varsPath: "/debug/vars")
        let table = fetches.map { "\($0.kind.rawValue) \($0.pathAndQuery) +\($0.extraSeconds) \($0.mayStartProfile ? "no-retry" : "retry")" }
        #expect(table == [
            "heap /debug/pprof/heap?gc=1 +0 retry",
            "allocs /debug/pprof/allocs +0 retry",
            "goroutine /debug/pprof/goroutine +0 retry",
            "stacks /debug/pprof/goroutine?debug=2 +0 retry",
            "goroutine-text /debug/pprof/goroutine?debug=1 +0 retry",
            "cpu /debug/pprof/profile?seconds=7 +7 no-retry",
            "trace /debug/pprof/trace?seconds=3 +3 no-retry",
            "block /debug/pprof/block +0 retry",
            "mutex /debug/pprof/mutex +0 retry",
            "threadcreate /debug/pprof/threadcreate +0 retry",
            "goroutineleak /debug/pprof/goroutineleak +0 retry",
            "vars /debug/vars +0 retry",
        ])
        #expect(fetches.filter(\.notFoundMeansUnsupported).map(\.kind) == [.goroutineleak])
    }

    @Test("custom endpoints expand in place and get the base path")
    func custom() {
        let parameters = CaptureParameters(customEndpoints: [
            .init(name: "fgprof", path: "/debug/fgprof", query: "seconds=5", extraSeconds: 5), .init(name: "health", path: "/healthz"),
        ])
        let fetches = EndpointPlan.fetches(kinds: [.vars, .custom, .heap], parameters: parameters, basePath: "/svc", pprofPrefix: "/pp", varsPath: "/v")
        #expect(fetches.map(\.name) == ["vars.json", "fgprof", "health", "heap.pb.gz"])
        #expect(fetches.map(\.pathAndQuery) == ["/svc/v", "/svc/debug/fgprof?seconds=5", "/svc/healthz", "/svc/pp/heap?gc=1"])
        #expect(fetches[1].extraSeconds == 5 && fetches[1].mayStartProfile)
    }

    @Test("the goroutine count is read from the debug=1 header line only")
    func goroutineTotal() {
        #expect(EndpointPlan.goroutineTotal(firstLine: "goroutine profile: total 100004") == 100_004)
        #expect(EndpointPlan.goroutineTotal(firstLine: "goroutine profile: total 7\r") == 7)
        #expect(EndpointPlan.goroutineTotal(firstLine: "heap profile: 1: 2 [3: 4] @ heap/1048576") == nil)
        #expect(EndpointPlan.goroutineTotal(firstLine: "goroutine profile: total ") == nil)
        #expect(EndpointPlan.goroutineTotal(firstLine: "goroutine profile: total 99999999999999999999999") == nil)
        #expect(EndpointPlan.goroutineTotal(firstLine: "goroutine profile: total -3") == nil)
    }

    @Test("durations in messages are short")
    func durations() {
        #expect(format(.seconds(30)) == "30s")
        #expect(format(.milliseconds(1500)) == "1.5s")
        #expect(format(.milliseconds(250)) == "250ms")
    }
}
