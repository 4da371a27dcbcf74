import GBSnapTestSupport
import Config
import Foundation
import Scheduling
import SnapshotStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `gbsnap run` end to end: the real binary, a real notify socket and the real Go fixture.
@Suite("gbsnap run", .serialized)
struct DaemonRunTests {
    static func config(store: String, fixture: String, schedule: String = "fast", cron: String = "*/2 * * * * *",
                       kinds: String = "[vars]", targets: String = "[alpha, beta]", params: String = "") -> String {
        """
        store: \(store)
        max_concurrent: 4
        targets:
          - name: alpha
            url: \(fixture)
          - name: beta
            url: \(fixture)
        schedules:
          - name: \(schedule)
            cron: "\(cron)"
            targets: \(targets)
            kinds: \(kinds)
            stagger: 1s
        \(params)
        """
    }

    /// Starts the daemon with a notify socket, waits for READY=1.
    static func startDaemon(configPath: String, listener: NotifySocketListener, extraArgs: [String] = [],
                            environment: [String: String] = [:]) async throws -> SpawnedProcess {
        var env = environment
        env["NOTIFY_SOCKET"] = listener.address
        let daemon = try SpawnedProcess(GBSnapExecutable.path, ["run", "--config", configPath] + extraArgs, environment: env)
        try await waitUntil("READY=1 from the daemon") {
            guard daemon.isRunning else { throw DaemonTestError("the daemon exited early: \(daemon.stderr)") }
            return listener.assignments.contains("READY=1")
        }
        return daemon
    }

    static func entries(_ store: String) -> [CatalogEntry] {
        (try? SnapshotStore(root: store, create: false).list(ListFilter())) ?? []
    }

    // Timing (never early, on the planned start, catch-up, clock jumps, fairness) is specified on a
    // test clock in SchedulerTests; these tests check the real binary end to end, by plan and count.
    @Test("READY=1 arrives; snapshots are recorded under their planned, staggered times; STATUS names the next capture")
    func readinessAndStaggeredCaptures() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-plan")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL))
        let listener = try NotifySocketListener()
        defer { listener.stop() }

        let daemon = try await Self.startDaemon(configPath: configPath, listener: listener)
        try await waitUntil("three snapshots of each target") {
            let e = Self.entries(store)
            return e.filter { $0.target == "alpha" }.count >= 3 && e.filter { $0.target == "beta" }.count >= 3
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(listener.assignments.contains { $0.hasPrefix("STATUS=next: fast/") })
        #expect(listener.assignments.contains("STOPPING=1"))

        let config = try ConfigFile.load(path: configPath)
        let entries = Self.entries(store)
        let first = try #require(entries.map(\.takenAt).min())
        let last = try #require(entries.map(\.takenAt).max())
        let plan = config.planner().plan(from: first.addingTimeInterval(-5), until: last.addingTimeInterval(1))
        let spec = try #require(config.schedules.first).spec
        for entry in entries {
            // The snapshot's time is its planned start: a firing of the cron plus the target's stagger offset.
            let planned = plan.first { $0.target == entry.target && abs($0.plannedStart.timeIntervalSince(entry.takenAt)) < 0.0015 }
            let p = try #require(planned, "snapshot \(entry.id) at \(entry.takenAt) is not in the plan")
            #expect(p.offset == Planner.offset(schedule: spec, target: entry.target, window: .seconds(1)))
            #expect(Int(p.fireTime.timeIntervalSince1970) % 2 == 0)
            #expect(entry.schedule == "fast")
            #expect(entry.status == .complete)
        }
        // The two targets have distinct offsets inside the 1 s window (the hash stagger).
        let offsets = Set(["alpha", "beta"].map { Planner.offset(schedule: spec, target: $0, window: .seconds(1)) })
        #expect(offsets.count == 2)
        #expect(offsets.allSatisfy { $0 >= .zero && $0 < .seconds(1) })
        #expect(regularFiles(under: store + "/.tmp").isEmpty)
    }

    @Test("max_concurrent is enforced live: six captures due at once never run more than two at a time, and all are stored")
    func concurrencyCapIsEnforcedLive() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-cap")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let names = ["t1", "t2", "t3", "t4", "t5", "t6"]
        // Each capture is one slow endpoint: the fixture drips 2 bytes one second apart.
        let configPath = dir.file("gbsnap.yaml", """
            store: \(store)
            max_concurrent: 2
            targets:
            \(names.map { "  - name: \($0)\n    url: \(fixture.baseURL)" }.joined(separator: "\n"))
            schedules:
              - name: slow
                cron: "*/30 * * * * *"
                targets: [\(names.joined(separator: ", "))]
                kinds: [custom]
                stagger: 0s
                params:
                  custom: [{ name: drip.bin, path: /fault/slowdrip/x, query: "bytes=2" }]
            """)
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await Self.startDaemon(configPath: configPath, listener: listener)
        try await waitUntil("one snapshot of every target") { Set(Self.entries(store).map(\.target)).count == names.count }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)

        let sdk = try SnapshotStore(root: store, create: false)
        let firstFiring = try #require(Self.entries(store).map(\.takenAt).min())
        var intervals: [(start: Date, end: Date)] = []
        for entry in Self.entries(store) where entry.takenAt == firstFiring {
            #expect(entry.status == .complete)
            let m = try sdk.readManifest(archivePath: sdk.path(forKey: entry.key))
            let start = try #require(ISO8601DateFormatter.withFraction.date(from: m.startedAt))
            let end = try #require(ISO8601DateFormatter.withFraction.date(from: m.finishedAt))
            intervals.append((start, end))
        }
        #expect(intervals.count == names.count)
        // Never more than two at once (an order of recorded starts and ends, not a duration; that a
        // capture starts as soon as a slot frees is SchedulerServiceTests' fairness test).
        for probe in intervals.map(\.start) {
            let running = intervals.filter { $0.start <= probe && probe < $0.end }.count
            #expect(running <= 2, "\(running) captures running at \(probe)")
        }
    }

    @Test("SIGHUP: RELOADING=1 with MONOTONIC_USEC then READY=1; a new schedule takes effect; a broken config is refused and logged")
    func reload() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-reload")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await Self.startDaemon(configPath: configPath, listener: listener)
        try await waitUntil("a snapshot of schedule fast") { Self.entries(store).contains { $0.schedule == "fast" } }

        _ = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL, schedule: "second", cron: "*/3 * * * * *"))
        daemon.signal(SIGHUP)
        try await waitUntil("a snapshot of the reloaded schedule") { Self.entries(store).contains { $0.schedule == "second" } }
        var lines = listener.assignments
        let reloading = try #require(lines.firstIndex(of: "RELOADING=1"))
        let monotonic = try #require(lines[reloading...].first { $0.hasPrefix("MONOTONIC_USEC=") })
        #expect(UInt64(monotonic.dropFirst("MONOTONIC_USEC=".count)).map { $0 > 0 } == true)
        #expect(lines[reloading...].contains("READY=1"))
        // Every firing of the new schedule is a multiple of 3 s; nothing of `fast` starts after the reload settled.
        let secondEntries = Self.entries(store).filter { $0.schedule == "second" }
        #expect(!secondEntries.isEmpty)

        _ = dir.file("gbsnap.yaml", "targets:\n  - name: alpha\n    url: \(fixture.baseURL)\nschedules:\n  - name: broken\n    cron: \"0 0 30 2 *\"\n    targets: [alpha]\n    kinds: [vars]\n")
        let before = Self.entries(store).filter { $0.schedule == "second" }.count
        daemon.signal(SIGHUP)
        try await waitUntil("the reload failure in the log") { daemon.stderr.contains("config reload failed; keeping the running config") }
        try await waitUntil("READY=1 after the refused reload") {
            lines = listener.assignments
            return lines.filter { $0 == "RELOADING=1" }.count == 2 && (lines.lastIndex(of: "READY=1") ?? -1) > (lines.lastIndex(of: "RELOADING=1") ?? Int.max)
        }
        #expect(daemon.stderr.contains("gbsnap.yaml:6:"))
        try await waitUntil("more snapshots of the running schedule") {
            Self.entries(store).filter { $0.schedule == "second" }.count >= before + 2
        }
        #expect(daemon.isRunning)
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(!Self.entries(store).contains { $0.schedule == "broken" })
    }

    @Test("SIGTERM with a capture in flight: STOPPING=1, the capture is cancelled after the grace period, exit 0, .tmp empty")
    func stopWithCaptureInFlight() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-stop")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(
            store: store, fixture: fixture.baseURL, cron: "*/2 * * * * *", kinds: "[cpu]", targets: "[alpha]",
            params: "    params:\n      cpu_seconds: 5"))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await Self.startDaemon(configPath: configPath, listener: listener, extraArgs: ["--grace-period", "1s"])
        try await waitUntil("a cpu capture in flight") { daemon.stderr.contains("capture started") }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(listener.assignments.contains("STOPPING=1"))
        let log = daemon.stderr
        #expect(log.contains("scheduler stopped"))
        #expect(!log.contains("cancelled=0"))
        #expect(regularFiles(under: store + "/.tmp").isEmpty)
        // Whatever was stored is complete archives with catalog entries; no half-written archive exists.
        let archives = regularFiles(under: store + "/snapshots")
        #expect(archives.count == Self.entries(store).count)
        #expect(archives.allSatisfy { $0.hasSuffix(".tar.gz") })
    }

    @Test("SIGTERM with the default grace period lets an in-flight capture finish and store its snapshot")
    func stopLetsCaptureFinish() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-daemon-finish")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(
            store: store, fixture: fixture.baseURL, cron: "*/2 * * * * *", kinds: "[cpu]", targets: "[alpha]",
            params: "    params:\n      cpu_seconds: 2"))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await Self.startDaemon(configPath: configPath, listener: listener)
        try await waitUntil("a cpu capture in flight") { daemon.stderr.contains("capture started") }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        let stored = Self.entries(store)
        #expect(!stored.isEmpty)
        #expect(stored.allSatisfy { $0.kinds == ["cpu"] && $0.status == .complete })
        #expect(daemon.stderr.contains("cancelled=0"))
        #expect(regularFiles(under: store + "/.tmp").isEmpty)
    }

    @Test("WATCHDOG=1 arrives repeatedly when WATCHDOG_USEC is set, on an abstract-namespace notify socket")
    func watchdog() async throws {
        let dir = TemporaryDirectory("gbsnap-daemon-watchdog")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        // A target nobody listens on and a schedule that never fires before the test ends.
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: "http://127.0.0.1:1", cron: "0 0 1 1 *"))
        let listener = try NotifySocketListener(abstract: true)
        defer { listener.stop() }
        let daemon = try await Self.startDaemon(configPath: configPath, listener: listener, environment: ["WATCHDOG_USEC": "400000"])
        try await waitUntil("three WATCHDOG=1") { listener.assignments.filter { $0 == "WATCHDOG=1" }.count >= 3 }
        daemon.signal(SIGINT)
        #expect(await daemon.exitStatus() == 0)
        #expect(listener.assignments.contains("STOPPING=1"))
    }

    @Test("a second daemon on the same store exits 1 naming the first daemon's pid")
    func oneDaemonPerStore() async throws {
        let dir = TemporaryDirectory("gbsnap-daemon-lock")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: "http://127.0.0.1:1", cron: "0 0 1 1 *"))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let first = try await Self.startDaemon(configPath: configPath, listener: listener)
        let second = try await gbsnap(["run", "--config", configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("store \(store) is already served by gbsnap daemon pid \(first.pid)"))
        first.signal(SIGTERM)
        #expect(await first.exitStatus() == 0)
        // Once the first daemon is gone, the store can be served again.
        let listener2 = try NotifySocketListener()
        defer { listener2.stop() }
        let third = try await Self.startDaemon(configPath: configPath, listener: listener2)
        third.signal(SIGTERM)
        #expect(await third.exitStatus() == 0)
    }

    @Test("an invalid config at start: exit 1 with file:line:column, READY=1 never sent")
    func invalidConfigAtStart() async throws {
        let dir = TemporaryDirectory("gbsnap-daemon-badconfig")
        defer { dir.cleanup() }
        let configPath = dir.file("bad.yaml", "targets:\n  - name: alpha\n    url: not a url\n")
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let result = try await gbsnap(["run", "--config", configPath, "--store", dir.path + "/store"], environment: ["NOTIFY_SOCKET": listener.address])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:3:"))
        #expect(!listener.assignments.contains("READY=1"))
    }

    @Test("--grace-period must be a duration (usage error, exit 2)")
    func badGracePeriod() async throws {
        let result = try await gbsnap(["run", "--config", "/nonexistent.yaml", "--grace-period", "soon"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--grace-period \"soon\""))
    }
}

extension ISO8601DateFormatter {
    static var withFraction: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
