import DaemonMetrics
import Foundation
import GBSnapTestSupport
import Logging
import ServiceLifecycle
import Testing

/// The series of one family in an exposition: label text (e.g. `target="a",kind="vars"`) to value.
func samples(_ exposition: String, _ name: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        guard line.hasPrefix(name + "{") || line.hasPrefix(name + " "),
              let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        let head = line[..<space]
        let labels = head.firstIndex(of: "{").map { String(head[head.index(after: $0)..<head.index(before: head.endIndex)]) } ?? ""
        out[labels] = value
    }
    return out
}

func text(_ metrics: DaemonMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

@Suite("daemon metrics")
struct DaemonMetricsTests {
    @Test("captures count per target, kind and status; durations and sizes land in their per-kind histograms")
    func capturesCounted() {
        let m = DaemonMetrics(version: "9.9.9")
        m.captureFinished(target: "a", kind: "vars", status: .ok, duration: .milliseconds(7), bytes: 3000)
        m.captureFinished(target: "a", kind: "vars", status: .ok, duration: .milliseconds(30), bytes: 5000)
        m.captureFinished(target: "b", kind: "stacks", status: .downgraded, duration: .seconds(2), bytes: 2_000_000)
        m.captureFinished(target: "b", kind: "heap", status: .failed, duration: .seconds(10), bytes: 0)
        let t = text(m)
        #expect(samples(t, "gbsnap_captures_total") == [
            "target=\"a\",kind=\"vars\",status=\"ok\"": 2,
            "target=\"b\",kind=\"stacks\",status=\"downgraded\"": 1,
            "target=\"b\",kind=\"heap\",status=\"failed\"": 1,
        ])
        #expect(samples(t, "gbsnap_capture_duration_seconds_count")["kind=\"vars\""] == 2)
        #expect(samples(t, "gbsnap_capture_duration_seconds_bucket")["kind=\"vars\",le=\"0.01\""] == 1)
        #expect(samples(t, "gbsnap_capture_duration_seconds_bucket")["kind=\"vars\",le=\"0.05\""] == 2)
        // A failure stores nothing: no size recorded.
        #expect(samples(t, "gbsnap_capture_bytes_count")["kind=\"heap\""] == 0)
        #expect(samples(t, "gbsnap_capture_bytes_bucket")["kind=\"stacks\",le=\"4194304.0\""] == 1)
        #expect(samples(t, "gbsnap_capture_bytes_bucket")["kind=\"stacks\",le=\"1048576.0\""] == 0)
        #expect(samples(t, "gbsnap_build_info") == ["version=\"9.9.9\"": 1])
    }

    @Test("store totals: seeded absolutely, raised by each stored snapshot, lowered by retention; last success only moves forward")
    func storeTotals() {
        let m = DaemonMetrics(version: "1")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        m.storeSnapshot(target: "a", bytes: 1000, count: 2, lastSuccess: t0)
        m.snapshotStored(target: "a", takenAt: t0.addingTimeInterval(60), bytes: 500, hasData: true)
        m.snapshotStored(target: "a", takenAt: t0.addingTimeInterval(120), bytes: 100, hasData: false)
        m.retentionRemoved(target: "a", count: 1, bytes: 400)
        m.storeSnapshot(target: "a", bytes: 1200, count: 3, lastSuccess: t0)
        let t = text(m)
        #expect(samples(t, "gbsnap_store_bytes") == ["target=\"a\"": 1200])
        #expect(samples(t, "gbsnap_store_snapshots") == ["target=\"a\"": 3])
        #expect(samples(t, "gbsnap_last_success_timestamp_seconds") == ["target=\"a\"": 1_800_000_060])
        #expect(samples(t, "gbsnap_retention_removed_snapshots_total") == ["target=\"a\"": 1])
        #expect(samples(t, "gbsnap_retention_freed_bytes_total") == ["": 400])
    }

    @Test("a reload that removes a target drops its series, and later calls about it are ignored")
    func removedTargetsGoAway() {
        let m = DaemonMetrics(version: "1")
        m.retainTargets(["a", "b"])
        for target in ["a", "b"] {
            m.captureFinished(target: target, kind: "vars", status: .ok, duration: .milliseconds(1), bytes: 10)
            m.snapshotStored(target: target, takenAt: Date(), bytes: 10, hasData: true)
            m.retentionRemoved(target: target, count: 1, bytes: 1)
            m.triggerPolled(rule: "r", target: target, outcome: "ok")
            m.triggerFired(rule: "r", target: target)
        }
        m.captureFinished(target: "stranger", kind: "vars", status: .ok, duration: .zero, bytes: 1)
        m.retainTargets(["a"])
        m.captureFinished(target: "b", kind: "vars", status: .ok, duration: .zero, bytes: 1)
        m.triggerFired(rule: "r", target: "b")
        let t = text(m)
        for family in ["gbsnap_captures_total", "gbsnap_store_bytes", "gbsnap_store_snapshots", "gbsnap_last_success_timestamp_seconds",
                       "gbsnap_retention_removed_snapshots_total", "gbsnap_trigger_polls_total", "gbsnap_trigger_firings_total"] {
            let s = samples(t, family)
            #expect(s.count == 1, "\(family): \(s)")
            #expect(s.keys.allSatisfy { $0.contains("target=\"a\"") }, "\(family): \(s)")
        }
        #expect(!t.contains("stranger"))
    }

    @Test("config loads and reloads: counters by result, the hash as the one gbsnap_config_info series")
    func configReloads() {
        let m = DaemonMetrics(version: "1")
        m.configLoaded(hash: "aaa", at: Date(timeIntervalSince1970: 100))
        #expect(samples(text(m), "gbsnap_config_reloads_total") == ["result=\"success\"": 0, "result=\"failure\"": 0])
        m.configReloaded(success: false, hash: nil)
        m.configReloaded(success: true, hash: "bbb")
        let t = text(m)
        #expect(samples(t, "gbsnap_config_reloads_total") == ["result=\"success\"": 1, "result=\"failure\"": 1])
        #expect(samples(t, "gbsnap_config_info") == ["sha256=\"bbb\"": 1])
        #expect(samples(t, "gbsnap_config_last_load_success_timestamp_seconds")[""]! > 100)
    }

    @Test("lateness: negative (early) counts as on time")
    func lateness() {
        let m = DaemonMetrics(version: "1")
        m.captureStarted(lateness: .milliseconds(-5))
        m.captureStarted(lateness: .seconds(7))
        let buckets = samples(text(m), "gbsnap_capture_start_lateness_seconds_bucket")
        #expect(buckets["le=\"0.001\""] == 1)
        #expect(buckets["le=\"5.0\""] == 1)
        #expect(buckets["le=\"10.0\""] == 2)
    }

    @Test("every family in the catalog follows the naming rules: gbsnap_ prefix, _total only and always on counters")
    func names() {
        for family in MetricCatalog.all {
            #expect(family.name.hasPrefix("gbsnap_"))
            #expect(!family.help.isEmpty)
        }
        #expect(Set(MetricCatalog.all.map(\.name)).count == MetricCatalog.all.count)
        #expect(MetricCatalog.byteBuckets.first == 1024 && MetricCatalog.byteBuckets.last == 1_073_741_824)
        #expect(MetricCatalog.durationBuckets.first == .milliseconds(5) && MetricCatalog.durationBuckets.last == .seconds(600))
    }

    @Test("a full exposition with every family passes promtool check metrics", .enabled(if: Promtool.wanted))
    func promtoolAcceptsEveryFamily() async throws {
        let m = DaemonMetrics(version: "0.1.0")
        m.retainTargets(["order-api", "payment"])
        m.configLoaded(hash: String(repeating: "ab", count: 32))
        m.configReloaded(success: true, hash: String(repeating: "cd", count: 32))
        m.captureStarted(lateness: .milliseconds(12))
        for status in CaptureStatus.allCases {
            m.captureFinished(target: "order-api", kind: "heap", status: status, duration: .milliseconds(40), bytes: 12_345)
        }
        m.snapshotStored(target: "order-api", takenAt: Date(), bytes: 40_000, hasData: true)
        m.storeSnapshot(target: "payment", bytes: 9_000, count: 3)
        m.retentionRemoved(target: "payment", count: 1, bytes: 3_000)
        m.retentionRun(success: true)
        m.triggerPolled(rule: "goroutines-high", target: "payment", outcome: "ok")
        m.triggerFired(rule: "goroutines-high", target: "payment")
        m.storeProbed(writable: true)
        let exposition = text(m)
        for family in MetricCatalog.all {
            #expect(exposition.contains("# TYPE \(family.name) "), "\(family.name) missing")
            #expect(exposition.contains("# HELP \(family.name) \(family.help)"), "\(family.name) help")
        }
        let (status, output) = try await Promtool.checkMetrics(exposition)
        #expect(status == 0, "\(output)")
        #expect(!output.contains("problem"), "\(output)")
    }

    @Test("the example alert rules pass promtool test rules (docs/alerts)", .enabled(if: Promtool.wanted))
    func alertRules() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = repository.appendingPathComponent("docs/alerts").path
        let check = try await Subprocess.run(try Promtool.path(), ["check", "rules", dir + "/gbsnap.rules.yml"])
        #expect(check.status == 0, "\(check.stdoutText)\(check.stderr)")
        let test = try await Subprocess.run(try Promtool.path(), ["test", "rules", dir + "/gbsnap.rules.test.yml"])
        #expect(test.status == 0, "\(test.stdoutText)\(test.stderr)")
        #expect(test.stdoutText.contains("SUCCESS"))
        // Every metric the rules use is one the daemon exposes.
        let rules = try String(contentsOfFile: dir + "/gbsnap.rules.yml", encoding: .utf8)
        let used = Set(rules.matches(of: /gbsnap_[a-z_]+/).map { String($0.output) })
        #expect(used.isSubset(of: Set(MetricCatalog.all.map(\.name))), "\(used)")
    }
}

@Suite("healthz verdict")
struct HealthReportTests {
    @Test("unhealthy before the first heartbeat, on a stale one, before the first probe and while the store fails; else ok")
    func verdicts() {
        let bound = Duration.seconds(30)
        #expect(HealthReport.evaluate(heartbeatAge: nil, staleAfter: bound, storeProblem: .some(nil))
            == HealthReport(healthy: false, reason: "the scheduler loop has not started"))
        #expect(HealthReport.evaluate(heartbeatAge: .seconds(31), staleAfter: bound, storeProblem: .some(nil))
            == HealthReport(healthy: false, reason: "the scheduler loop has not run for 31 s (stuck or stopped)"))
        #expect(HealthReport.evaluate(heartbeatAge: .seconds(1), staleAfter: bound, storeProblem: nil)
            == HealthReport(healthy: false, reason: "the store has not been probed yet"))
        #expect(HealthReport.evaluate(heartbeatAge: .seconds(1), staleAfter: bound, storeProblem: .some("disk\nfull"))
            == HealthReport(healthy: false, reason: "the store cannot be written: disk full"))
        #expect(HealthReport.evaluate(heartbeatAge: .seconds(30), staleAfter: bound, storeProblem: .some(nil))
            == HealthReport(healthy: true, reason: "ok"))
    }

    @Test("the monitor: a beat and a good probe make it healthy; a beat older than the bound does not")
    func monitor() {
        let monitor = HealthMonitor(staleAfter: .seconds(30))
        #expect(!monitor.report().healthy)
        monitor.heartbeat()
        monitor.storeProbed(problem: nil)
        #expect(monitor.report() == HealthReport(healthy: true, reason: "ok"))
        #expect(!monitor.report(now: .now + .seconds(31)).healthy)
        monitor.storeProbed(problem: "store /s cannot be written: EROFS")
        #expect(monitor.report().reason == "the store cannot be written: store /s cannot be written: EROFS")
    }
}
