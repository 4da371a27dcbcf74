import GBSnapTestSupport
import Foundation
import GBSnapCore
import SnapshotStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `gbsnap run` with `metrics_listen`: the real binary, the real Go fixture, scraped over a real socket.
@Suite("gbsnap run: metrics and health", .serialized)
struct DaemonMetricsRunTests {
    static func config(store: String, fixture: String, cron: String = "*/2 * * * * *", targets: String = "[alpha, down]") -> String {
        """
        store: \(store)
        metrics_listen: 127.0.0.1:0
        max_concurrent: 4
        targets:
          - name: alpha
            url: \(fixture)
          - name: down
            url: http://127.0.0.1:1
            connect_timeout: 1s
        schedules:
          - name: fast
            cron: "\(cron)"
            targets: \(targets)
            kinds: [vars, heap]
            stagger: 1s
        """
    }

    /// The port from the daemon's `metrics listening address=127.0.0.1:PORT` line.
    static func metricsPort(_ daemon: SpawnedProcess) async throws -> Int {
        var port: Int?
        try await waitUntil("the metrics listening line") {
            guard daemon.isRunning else { throw DaemonTestError("the daemon exited early: \(daemon.stderr)") }
            port = daemon.stderr.firstMatch(of: /metrics listening address=127\.0\.0\.1:(\d+)/).flatMap { Int($0.output.1) }
            return port != nil
        }
        return try #require(port)
    }

    /// The value of one series (`name{labels}`) in an exposition; nil when absent.
    static func value(_ exposition: String, _ series: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Where the exposition and the catalog disagree (empty when they agree).
    static func differences(_ exposition: String, _ entries: [CatalogEntry]) -> String {
        let alpha = entries.filter { $0.target == "alpha" }
        let down = entries.filter { $0.target == "down" }
        let alphaBytes: Int64 = alpha.reduce(0) { $0 + $1.bytes }
        var expected: [(String, Int)] = []
        expected.append(("gbsnap_captures_total{target=\"alpha\",kind=\"vars\",status=\"ok\"}", alpha.filter { $0.kinds.contains("vars") }.count))
        expected.append(("gbsnap_captures_total{target=\"alpha\",kind=\"heap\",status=\"ok\"}", alpha.filter { $0.kinds.contains("heap") }.count))
        expected.append(("gbsnap_captures_total{target=\"down\",kind=\"vars\",status=\"failed\"}", down.filter { $0.failedKinds.contains("vars") }.count))
        expected.append(("gbsnap_captures_total{target=\"down\",kind=\"heap\",status=\"failed\"}", down.filter { $0.failedKinds.contains("heap") }.count))
        expected.append(("gbsnap_store_snapshots{target=\"alpha\"}", alpha.count))
        expected.append(("gbsnap_store_snapshots{target=\"down\"}", down.count))
        expected.append(("gbsnap_store_bytes{target=\"alpha\"}", Int(alphaBytes)))
        expected.append(("gbsnap_capture_duration_seconds_count{kind=\"vars\"}", entries.count))
        var out: [String] = []
        for (series, count) in expected {
            let got = value(exposition, series)
            if got != Double(count) { out.append("\(series) = \(got.map { "\($0)" } ?? "absent"), catalog \(count)") }
        }
        return out.joined(separator: "; ")
    }

    @Test("scheduled captures are counted per target and kind as the catalog has them; the failing target in the failure counter and in gbsnap status' exit; promtool accepts the scrape; SIGTERM closes the listener")
    func scrapeAgreesWithCatalog() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-metrics")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        let port = try await Self.metricsPort(daemon)

        try await waitUntil("two snapshots of each target") {
            let e = DaemonRunTests.entries(store)
            return e.filter { $0.target == "alpha" }.count >= 2 && e.filter { $0.target == "down" }.count >= 2
        }
        // Captures go on while we look: compare a scrape with the catalog read just before and after it, until they agree.
        var exposition = ""
        var mismatch = ""
        defer { if !mismatch.isEmpty { Issue.record("the last scrape differs from the catalog: \(mismatch)") } }
        try await waitUntil("a scrape that agrees with the catalog") {
            let before = DaemonRunTests.entries(store)
            exposition = try HTTPProbe.request(port: port, path: "/metrics").body
            let after = DaemonRunTests.entries(store)
            guard before.count == after.count else { return false }
            mismatch = Self.differences(exposition, after)
            return mismatch.isEmpty
        }
        #expect(!DaemonRunTests.entries(store).contains { $0.target == "alpha" && $0.status != .complete })
        #expect(DaemonRunTests.entries(store).filter { $0.target == "down" }.allSatisfy { $0.status == .failed })
        #expect(Self.value(exposition, "gbsnap_captures_total{target=\"down\",kind=\"heap\",status=\"failed\"}").map { $0 >= 2 } == true)
        #expect(Self.value(exposition, "gbsnap_captures_total{target=\"alpha\",kind=\"heap\",status=\"failed\"}") == nil)
        // The last success is the time of one of alpha's snapshots (the newest when scraped: the daemon may have
        // stored another since); the down target never had one.
        let alphaTimes = DaemonRunTests.entries(store).filter { $0.target == "alpha" }.map(\.takenAt.timeIntervalSince1970)
        let lastSuccess = try #require(Self.value(exposition, "gbsnap_last_success_timestamp_seconds{target=\"alpha\"}"))
        #expect(alphaTimes.contains { abs(lastSuccess - $0) < 0.001 }, "\(lastSuccess) among \(alphaTimes)")
        #expect(Self.value(exposition, "gbsnap_last_success_timestamp_seconds{target=\"down\"}") == nil)
        #expect(Self.value(exposition, "gbsnap_capture_start_lateness_seconds_count").map { $0 >= 4 } == true)
        #expect(Self.value(exposition, "gbsnap_store_writable") == 1)
        #expect(Self.value(exposition, "gbsnap_build_info{version=\"\(GBSnapVersion.current)\"}") == 1)
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        var hasher = SHA256Hasher()
        hasher.update(Array(config.utf8))
        #expect(Self.value(exposition, "gbsnap_config_info{sha256=\"\(hasher.finalizeHex())\"}") == 1)

        if Promtool.wanted {
            let (status, output) = try await Promtool.checkMetrics(exposition)
            #expect(status == 0, "\(output)")
        }
        let health = try HTTPProbe.request(port: port, path: "/healthz")
        #expect(health.status == 200)
        #expect(health.body == "ok\n")

        // gbsnap status, beside the running daemon, fails on the down target.
        let status = try await gbsnap(["status", "--config", configPath])
        #expect(status.status == 1, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("down"))

        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(daemon.stderr.contains("metrics listener closed"))
        #expect(HTTPProbe.isRefused(port: port))
    }

    @Test("/healthz turns 503 with the reason while the store cannot be written, and back to 200 once it can")
    func healthFollowsTheStore() async throws {
        let dir = TemporaryDirectory("gbsnap-daemon-health")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        // A yearly schedule: nothing is captured, so the daemon stays up while its store is broken.
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: "http://127.0.0.1:1", cron: "0 0 1 1 *"))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        let port = try await Self.metricsPort(daemon)
        try await waitUntil("a 200 from /healthz") { try HTTPProbe.request(port: port, path: "/healthz").status == 200 }

        // The catalog directory is replaced by a file (root ignores permissions; this it cannot write through).
        try FileManager.default.moveItem(atPath: store + "/catalog", toPath: store + "/catalog.aside")
        #expect(FileManager.default.createFile(atPath: store + "/catalog", contents: Data()))
        var response: HTTPProbe.Response?
        try await waitUntil("a 503 from /healthz") {
            response = try HTTPProbe.request(port: port, path: "/healthz")
            return response?.status == 503
        }
        let failing = try #require(response)
        #expect(failing.body.hasPrefix("the store cannot be written: store \(store) cannot be written: "), "\(failing.body)")
        #expect(failing.body.hasSuffix("\n") && failing.body.split(separator: "\n").count == 1)
        #expect(Self.value(try HTTPProbe.request(port: port, path: "/metrics").body, "gbsnap_store_writable") == 0)

        try FileManager.default.removeItem(atPath: store + "/catalog")
        try FileManager.default.moveItem(atPath: store + "/catalog.aside", toPath: store + "/catalog")
        try await waitUntil("a 200 from /healthz again") { try HTTPProbe.request(port: port, path: "/healthz").status == 200 }
        #expect(Self.value(try HTTPProbe.request(port: port, path: "/metrics").body, "gbsnap_store_writable") == 1)
        #expect(daemon.isRunning)
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(HTTPProbe.isRefused(port: port))
    }

    @Test("SIGHUP: a reload that removes a target drops its series; reloads are counted; the config hash follows the file")
    func reloadDropsRemovedTargets() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-metrics-reload")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        let port = try await Self.metricsPort(daemon)
        try await waitUntil("a failed capture of down in the exposition") {
            try HTTPProbe.request(port: port, path: "/metrics").body.contains("target=\"down\"")
        }

        // alpha alone; the down target is gone from the config; the new listen address is not taken (start only).
        let reloaded = Self.config(store: store, fixture: fixture.baseURL, targets: "[alpha]")
            .replacingOccurrences(of: "  - name: down\n    url: http://127.0.0.1:1\n    connect_timeout: 1s\n", with: "")
            .replacingOccurrences(of: "metrics_listen: 127.0.0.1:0", with: "metrics_listen: 127.0.0.1:1")
        _ = dir.file("gbsnap.yaml", reloaded)
        daemon.signal(SIGHUP)
        try await waitUntil("the reload in the log") { daemon.stderr.contains("config reloaded") }
        #expect(daemon.stderr.contains("metrics_listen cannot change on reload; restart the daemon to use it configured=127.0.0.1:1 running=127.0.0.1:0"))
        try await waitUntil("the reload counted") {
            Self.value(try HTTPProbe.request(port: port, path: "/metrics").body, "gbsnap_config_reloads_total{result=\"success\"}") == 1
        }
        let exposition = try HTTPProbe.request(port: port, path: "/metrics").body
        #expect(!exposition.contains("target=\"down\""), "\(exposition)")
        #expect(exposition.contains("target=\"alpha\""))
        var hasher = SHA256Hasher()
        hasher.update(Array(reloaded.utf8))
        #expect(Self.value(exposition, "gbsnap_config_info{sha256=\"\(hasher.finalizeHex())\"}") == 1)
        #expect(exposition.components(separatedBy: "gbsnap_config_info{").count == 2)

        _ = dir.file("gbsnap.yaml", "targets: 3\n")
        daemon.signal(SIGHUP)
        try await waitUntil("the failed reload counted") {
            Self.value(try HTTPProbe.request(port: port, path: "/metrics").body, "gbsnap_config_reloads_total{result=\"failure\"}") == 1
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
    }

    @Test("a metrics_listen port in use: the daemon does not start (exit 1, the address and what to do on stderr, READY=1 never sent)")
    func portInUse() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-metrics-port")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        // The fixture already listens on its port.
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL, cron: "0 0 1 1 *")
            .replacingOccurrences(of: "metrics_listen: 127.0.0.1:0", with: "metrics_listen: 127.0.0.1:\(fixture.port)"))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try SpawnedProcess(GBSnapExecutable.path, ["run", "--config", configPath], environment: ["NOTIFY_SOCKET": listener.address])
        #expect(await daemon.exitStatus() == 1)
        #expect(daemon.stderr.contains("gbsnap: cannot listen for metrics on 127.0.0.1:\(fixture.port) (metrics_listen): "), "\(daemon.stderr)")
        #expect(daemon.stderr.contains("; choose a free port and an address of this host"))
        #expect(!listener.assignments.contains("READY=1"))
    }

    @Test("gbsnap config check names the metrics address, and refuses a bad one at its line and column")
    func configCheck() async throws {
        let dir = TemporaryDirectory("gbsnap-config-metrics")
        defer { dir.cleanup() }
        let good = dir.file("good.yaml", "metrics_listen: 127.0.0.1:9464\ntargets:\n  - name: a\n    url: http://127.0.0.1:1\n")
        let ok = try await gbsnap(["config", "check", good])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout == "\(good): OK: 1 target, 0 schedules, no retention, metrics on 127.0.0.1:9464\n")
        let bad = dir.file("bad.yaml", "targets:\n  - name: a\n    url: http://127.0.0.1:1\nmetrics_listen: localhost\n")
        let refused = try await gbsnap(["config", "check", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):4:17: metrics_listen \"localhost\" has no port; write HOST:PORT, e.g. 127.0.0.1:9464"), "\(refused.stderr)")
    }
}
