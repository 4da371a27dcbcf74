import DaemonMetrics
import Foundation
import GBSnapTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The listener over a real loopback socket, run as a service of a real `ServiceGroup`.
@Suite("metrics listener")
struct MetricsServerTests {
    /// Runs a server on a free port with `probe` as the store probe; `body` gets the port; the
    /// group is shut down gracefully afterwards and the port returned.
    static func withServer(metrics: DaemonMetrics, idleTimeout: Duration = .seconds(30), probe: @escaping @Sendable () async -> String? = { nil },
                           _ body: (Int) async throws -> Void) async throws -> Int {
        let server = try await MetricsServer.bind(host: "127.0.0.1", port: 0, metrics: metrics, probeInterval: .milliseconds(100),
                                                  idleTimeout: idleTimeout, probeStore: probe, logger: Logger(label: "test"))
        let port = server.port
        #expect(port > 0)
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        async let running: Void = group.run()
        do { try await body(port) } catch {
            await group.triggerGracefulShutdown()
            try await running
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running
        return port
    }

    @Test("GET /metrics serves the exposition; other paths 404; other methods 405 with Allow: GET; a query is ignored")
    func routes() async throws {
        let metrics = DaemonMetrics(version: "1.2.3")
        metrics.captureFinished(target: "a", kind: "vars", status: .ok, duration: .milliseconds(3), bytes: 100)
        _ = try await Self.withServer(metrics: metrics) { port in
            let scrape = try HTTPProbe.request(port: port, path: "/metrics?x=1")
            #expect(scrape.status == 200)
            #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(scrape.body.contains("gbsnap_captures_total{target=\"a\",kind=\"vars\",status=\"ok\"} 1"))
            #expect(scrape.body.contains("gbsnap_build_info{version=\"1.2.3\"} 1"))
            #expect(Int(scrape.headers["content-length"] ?? "") == scrape.body.utf8.count)
            let missing = try HTTPProbe.request(port: port, path: "/")
            #expect(missing.status == 404)
            #expect(missing.body == "not found: /; this listener serves GET /metrics and GET /healthz\n")
            for method in ["POST", "HEAD", "DELETE"] {
                let refused = try HTTPProbe.request(port: port, method: method, path: "/metrics")
                #expect(refused.status == 405, "\(method)")
                #expect(refused.headers["allow"] == "GET")
            }
            #expect(try HTTPProbe.request(port: port, method: "PUT", path: "/healthz").status == 405)
        }
    }

    @Test("/healthz: 503 until the scheduler beats, 200 ok with a writable store, 503 with the reason while the probe fails")
    func health() async throws {
        let metrics = DaemonMetrics(version: "1")
        let problem = Mutex<String?>(nil)
        let port = try await Self.withServer(metrics: metrics, probe: { problem.withLock { $0 } }) { port in
            let before = try HTTPProbe.request(port: port, path: "/healthz")
            #expect(before.status == 503)
            #expect(before.body == "the scheduler loop has not started\n")
            metrics.health.heartbeat()
            let ok = try HTTPProbe.request(port: port, path: "/healthz")
            #expect(ok.status == 200)
            #expect(ok.body == "ok\n")
            problem.withLock { $0 = "store /x cannot be written: No space left on device" }
            try await poll("a 503 naming the store from /healthz") {
                metrics.health.heartbeat()
                let r = try HTTPProbe.request(port: port, path: "/healthz")
                return r.status == 503 && r.body.contains("cannot be written")
            }
            let failing = try HTTPProbe.request(port: port, path: "/healthz")
            #expect(failing.body == "the store cannot be written: store /x cannot be written: No space left on device\n")
            #expect(try HTTPProbe.request(port: port, path: "/metrics").body.contains("gbsnap_store_writable 0.0"))
            problem.withLock { $0 = nil }
            try await poll("a 200 from /healthz again") {
                metrics.health.heartbeat()
                return try HTTPProbe.request(port: port, path: "/healthz").status == 200
            }
        }
        // Graceful shutdown closed the listener.
        #expect(HTTPProbe.isRefused(port: port))
    }

    @Test("many scrapes at once all get the whole exposition")
    func concurrentScrapes() async throws {
        let metrics = DaemonMetrics(version: "1")
        for i in 0..<500 { metrics.captureFinished(target: "t\(i)", kind: "heap", status: .ok, duration: .milliseconds(5), bytes: 2048) }
        let expected = metrics.exposition().count
        _ = try await Self.withServer(metrics: metrics) { port in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 {
                    group.addTask { try HTTPProbe.request(port: port, path: "/metrics").body.utf8.count }
                }
                for try await size in group { #expect(size == expected) }
            }
        }
    }

    @Test("a connection that sends nothing is closed by the server after the idle timeout")
    func idleConnectionsAreClosed() async throws {
        _ = try await Self.withServer(metrics: DaemonMetrics(version: "1"), idleTimeout: .milliseconds(200)) { port in
            // A hang guard only: recv gives up (-1) if the server never closes.
            let fd = try HTTPProbe.connect(port: port, receiveTimeoutSeconds: 120)
            defer { close(fd) }
            // recv blocks until the server closes the silent connection: then it reads end of file.
            var byte: UInt8 = 0
            #expect(recv(fd, &byte, 1, 0) == 0)
            // The listener still serves.
            let after = try HTTPProbe.request(port: port, path: "/metrics")
            #expect(after.status == 200)
        }
    }

    @Test("a port already in use: bind throws naming the address and what to do")
    func portInUse() async throws {
        let metrics = DaemonMetrics(version: "1")
        _ = try await Self.withServer(metrics: metrics) { port in
            do {
                _ = try await MetricsServer.bind(host: "127.0.0.1", port: port, metrics: metrics, probeStore: { nil }, logger: Logger(label: "test"))
                Issue.record("a second listener on port \(port) started")
            } catch let error as MetricsServerError {
                #expect(error.address == "127.0.0.1:\(port)")
                #expect(error.description.hasPrefix("cannot listen for metrics on 127.0.0.1:\(port) (metrics_listen): "))
                #expect(error.description.hasSuffix("; choose a free port and an address of this host"))
            }
        }
    }
}

/// Polls `condition` every 50 ms; fails after a generous hang guard (never a performance bound).
func poll(_ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(120)
    while try await !condition() {
        guard Date() < deadline else { throw Promtool.Failure(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}
