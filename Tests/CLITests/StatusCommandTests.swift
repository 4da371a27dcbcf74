import Foundation
import GBSnapTestSupport
import Testing

/// `gbsnap status` over a store written by real captures of the Go fixture service.
@Suite("gbsnap status")
struct StatusCommandTests {
    let tmp = TemporaryDirectory("gbsnap-status")
    var store: String { "\(tmp.path)/store" }

    func config(_ fixture: GoFixture, cron: String = "*/5 * * * *") throws -> String {
        let path = "\(tmp.path)/gbsnap.yaml"
        try """
            store: \(store)
            targets:
              - name: api
                url: \(fixture.baseURL)
              - name: down
                url: http://127.0.0.1:9
            schedules:
              - name: often
                cron: "\(cron)"
                targets: [api, down]
                kinds: [heap, vars]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func status(_ args: [String]) async throws -> (CLIResult, [String: Any]) {
        let text = try await gbsnap(["status"] + args, store: nil)
        let json = try await gbsnap(["status", "--json"] + args, store: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(json.status == text.status)
        return (text, object)
    }

    static func row(_ report: [String: Any], _ target: String) -> [String: Any]? {
        (report["targets"] as? [[String: Any]])?.first { $0["target"] as? String == target }
    }

    @Test("a fresh capture is ok; a failed capture and a target never captured need attention (exit 1); the next capture is planned")
    func failuresExit1() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        let cfg = try config(fixture)
        #expect(try await gbsnap(["capture", "--config", cfg, "api"]).status == 0)
        var (text, report) = try await status(["--config", cfg])
        #expect(text.status == 1, "\(text.stdout)\(text.stderr)")
        #expect(Self.row(report, "api")?["problem"] is NSNull)
        #expect(Self.row(report, "api")?["last_status"] as? String == "complete")
        #expect(Self.row(report, "api")?["stale_after_seconds"] as? Double == 600)
        #expect(Self.row(report, "api")?["next_schedule"] as? String == "often")
        #expect((Self.row(report, "down")?["problem"] as? String)?.contains("no snapshot yet") == true)
        #expect(text.stdout.contains("1 of 2 targets need attention"))

        // The target that is down fails its capture: status says so and names the snapshot to show.
        #expect(try await gbsnap(["capture", "--config", cfg, "down"]).status != 0)
        (text, report) = try await status(["--config", cfg])
        #expect(text.status == 1)
        let down = try #require(Self.row(report, "down"))
        #expect(down["last_status"] as? String == "failed")
        #expect((down["problem"] as? String)?.contains("the last capture failed") == true)
        #expect((down["failed_kinds"] as? [String])?.sorted() == ["heap", "vars"])

        // Without the config every target of the store is listed and only failures count.
        (text, report) = try await status(["--store", store])
        #expect((report["targets"] as? [Any])?.count == 2)
        #expect(text.status == 1)
    }

    @Test("a last snapshot older than twice the schedule's period is stale; a daemon holding daemon.lock is named")
    func staleAndDaemon() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        // Hourly: a snapshot imported two and a half hours ago is stale.
        let cfg = try config(fixture, cron: "0 * * * *")
        let old = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-9000))
        let sample = Samples.path("go1.27/heap-gc-a.pb.gz")
        #expect(try await gbsnap(["import", sample, "--target", "api", "--taken-at", old, "--store", store]).status == 0)
        #expect(try await gbsnap(["import", sample, "--target", "down", "--store", store]).status == 0)
        var (text, report) = try await status(["--config", cfg])
        #expect(text.status == 1)
        #expect((Self.row(report, "api")?["problem"] as? String)?.contains("more than twice its schedule's period") == true)
        #expect(Self.row(report, "down")?["problem"] is NSNull)
        #expect(report["daemon_running"] as? Bool == false)

        // Another process holds daemon.lock exclusively (flock(1)), with its pid in the file, as the daemon does.
        let lock = "\(store)/daemon.lock"
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-x", lock, "/bin/sh", "-c", "echo 4242 > \(lock); sleep 4"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        for _ in 0..<100 where ((try? String(contentsOfFile: lock, encoding: .utf8)) ?? "").isEmpty { usleep(20_000) }
        (text, report) = try await status(["--config", cfg])
        #expect(report["daemon_running"] as? Bool == true)
        #expect(report["daemon_pid"] as? Int == 4242)
        #expect(text.stdout.hasPrefix("daemon: pid 4242 serves"))
    }
}
