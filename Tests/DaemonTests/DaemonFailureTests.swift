import GBSnapTestSupport
import Foundation
import SnapshotStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `gbsnap run` when things go wrong: the real binary, a real notify socket and the real Go fixture.
@Suite("gbsnap run: failures and crash recovery", .serialized)
struct DaemonFailureTests {
    /// A daemon serving a fresh store with `DaemonRunTests.config`, ready; the caller stops the
    /// listener and removes `dir` (in that order, by `defer`).
    struct Running {
        let dir: TemporaryDirectory
        let store: String
        let listener: NotifySocketListener
        let process: SpawnedProcess
    }

    static func launch(_ label: String, fixture: String, cron: String = "*/2 * * * * *", targets: String = "[alpha]") async throws -> Running {
        let dir = TemporaryDirectory(label)
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", DaemonRunTests.config(store: store, fixture: fixture, cron: cron, targets: targets))
        let listener = try NotifySocketListener()
        let process = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        return Running(dir: dir, store: store, listener: listener, process: process)
    }
    @Test("a store that can no longer be written stops the daemon with exit 1 and the reason on stderr and in STATUS=")
    func unwritableStoreExitsNonZero() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        let running = try await Self.launch("gbsnap-daemon-fail", fixture: fixture.baseURL)
        defer { running.dir.cleanup() }
        defer { running.listener.stop() }
        let (store, listener, daemon) = (running.store, running.listener, running.process)
        try await waitUntil("a first snapshot") { !DaemonRunTests.entries(store).isEmpty }

        // The catalog directory is replaced by a file: no snapshot can be recorded any more (root or not).
        try FileManager.default.removeItem(atPath: store + "/catalog")
        #expect(FileManager.default.createFile(atPath: store + "/catalog", contents: Data()))
        let status = await daemon.exitStatus()
        #expect(status == 1, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("capture not taken"))
        #expect(daemon.stderr.contains("gbsnap: store \(store) cannot be written: "))
        #expect(daemon.stderr.contains("no snapshot can be stored, so the daemon stops (fix the store, then restart it)"))
        #expect(listener.assignments.contains { $0.hasPrefix("STATUS=failed: store \(store) cannot be written") })
    }

    @Test("SIGTERM is a requested stop: exit 0")
    func requestedStopExitsZero() async throws {
        let running = try await Self.launch("gbsnap-daemon-stop", fixture: "http://127.0.0.1:1", cron: "0 0 1 1 *")
        defer { running.dir.cleanup() }
        defer { running.listener.stop() }
        let (listener, daemon) = (running.listener, running.process)
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(!listener.assignments.contains { $0.hasPrefix("STATUS=failed") })
    }

    @Test("at start, archives missing from the catalog (a crash after the rename) are adopted and logged, each once")
    func adoptsArchivesMissingFromTheCatalog() async throws {
        let dir = TemporaryDirectory("gbsnap-daemon-adopt")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        var ids: [String] = []
        for time in ["2026-11-26T02:00:00Z", "2026-11-27T02:00:00Z"] {
            let r = try await gbsnap(["import", Samples.path("go1.27/vars-a.json"), "--target", "alpha", "--taken-at", time], environment: ["GBSNAP_STORE": store])
            ids.append(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Keep only the first snapshot's catalog line: the second is what a kill -9 between rename and append leaves.
        let shard = store + "/catalog/alpha.jsonl"
        let firstLine = try String(contentsOfFile: shard, encoding: .utf8).split(separator: "\n")[0]
        try (firstLine + "\n").write(toFile: shard, atomically: true, encoding: .utf8)
        #expect(DaemonRunTests.entries(store).map(\.id) == [ids[0]])

        let configPath = dir.file("gbsnap.yaml", DaemonRunTests.config(store: store, fixture: "http://127.0.0.1:1", cron: "0 0 1 1 *"))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(DaemonRunTests.entries(store).map(\.id) == ids)
        let adopted = daemon.stderr.split(separator: "\n").filter { $0.contains("adopted a snapshot missing from the catalog") }
        #expect(adopted.count == 1)
        #expect(adopted.first?.contains("id=\(ids[1])") == true)
        #expect(try await gbsnap(["verify"], environment: ["GBSNAP_STORE": store]).status == 0)
    }

    @Test("a target that goes down keeps getting failed snapshots, logged once when it starts failing")
    func downTargetIsLoggedOnce() async throws {
        let fixture = try await GoFixture.start()
        let running = try await Self.launch("gbsnap-daemon-down", fixture: fixture.baseURL)
        defer { running.dir.cleanup() }
        defer { running.listener.stop() }
        let (store, daemon) = (running.store, running.process)
        try await waitUntil("a good snapshot") { DaemonRunTests.entries(store).contains { $0.status == .complete } }
        _ = fixture.stop()
        try await waitUntil("three failed snapshots") { DaemonRunTests.entries(store).filter { $0.status == .failed }.count >= 3 }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        let lines = daemon.stderr.split(separator: "\n")
        let failing = lines.filter { $0.contains("target failing") }
        #expect(failing.count == 1, "\(daemon.stderr)")
        #expect(failing.first?.contains("kinds=vars") == true)
        #expect(failing.first?.contains("GET /debug/vars: connection refused") == true)
        #expect(!lines.contains { $0.contains("artifact capture failed") })
    }
}
