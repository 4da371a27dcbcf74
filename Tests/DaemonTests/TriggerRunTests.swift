import GBSnapTestSupport
import Foundation
import SnapshotStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Triggers in the real daemon against the real Go fixture: goroutines leaked on request move the
/// signal, the daemon polls the fixture's `/debug/pprof/` index page and takes full snapshots.
@Suite("gbsnap run: triggers", .serialized)
struct TriggerRunTests {
    /// A config with two targets on `fixture` (and whatever else `extraTargets` adds), a schedule that
    /// never fires in a test, and the given `triggers:` block.
    static func config(store: String, fixture: String, extraTargets: String = "", triggers: String) -> String {
        """
        store: \(store)
        max_concurrent: 4
        targets:
          - name: alpha
            url: \(fixture)
          - name: beta
            url: \(fixture)
        \(extraTargets)
        schedules:
          - name: yearly
            cron: "0 0 1 1 *"
            targets: [alpha]
            kinds: [vars]
        triggers:
        \(triggers)
        """
    }

    /// The fixture's goroutine count now (its `/release` answer ends with it), after releasing every leak.
    static func releasedCount(_ fixture: GoFixture) async throws -> Int {
        let answer = try await fixture.get("/release")
        return try #require(answer.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
    }

    static func triggered(_ store: String, rule: String) -> [CatalogEntry] {
        DaemonRunTests.entries(store).filter { $0.schedule == "trigger/\(rule)" }.sorted { $0.takenAt < $1.takenAt }
    }

    static func manifest(_ store: String, _ entry: CatalogEntry) throws -> Manifest {
        let s = try SnapshotStore(root: store, create: false)
        return try s.readManifest(archivePath: s.path(forKey: entry.key))
    }

    static func count(_ text: String, in log: String) -> Int { log.components(separatedBy: text).count - 1 }

    /// The fixture's `requests_served` counter (this read included).
    static func served(_ fixture: GoFixture) async throws -> Int {
        let vars = try await fixture.get("/debug/vars")
        let range = try #require(vars.range(of: "\"requests_served\": "))
        return try #require(Int(vars[range.upperBound...].prefix { $0.isNumber }))
    }

    /// Waits until the fixture has served `polls` requests that were not this function's own reads.
    static func waitForPolls(_ fixture: GoFixture, _ polls: Int) async throws {
        let start = try await served(fixture)
        for reads in 1...2_400 {
            if try await served(fixture) - start - reads >= polls { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw DaemonTestError("timed out waiting for \(polls) polls of the fixture")
    }

    @Test("goroutines above a threshold fire at the first poll that sees them; the snapshot holds the leaked stacks, names the snapshot before, and the stacks governor downgrades; a target that does not answer never fires and is logged once")
    func aboveThreshold() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let base = try await Self.releasedCount(fixture)
        let dir = TemporaryDirectory("gbsnap-trigger-above")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let threshold = base + 40
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL, extraTargets: """
              - name: gone
                url: http://127.0.0.1:1
            """, triggers: """
              - name: pileup
                targets: [alpha, gone]
                signal: goroutines
                poll: 1s
                above: \(threshold)
                cooldown: 1h
                kinds: [goroutine, stacks]
                params: { stacks_goroutine_limit: \(base + 60), stacks_over_limit: downgrade }
            """))
        // The snapshot before the firing: a manual capture.
        let manual = try await gbsnap(["capture", "alpha", "--config", configPath, "--kinds", "vars", "--json"])
        #expect(manual.status == 0, "\(manual.stderr)")
        let before = try #require(DaemonRunTests.entries(store).first)

        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        try await waitUntil("the unreachable target's poll failure") { daemon.stderr.contains("trigger poll failing") }
        try await Self.waitForPolls(fixture, 1)
        #expect(Self.triggered(store, rule: "pileup").isEmpty)

        _ = try await fixture.get("/leak?kind=chanrecv&n=100")
        try await waitUntil("a snapshot of trigger/pileup") { !Self.triggered(store, rule: "pileup").isEmpty }
        let entry = try #require(Self.triggered(store, rule: "pileup").first)
        #expect(entry.target == "alpha")
        let manifest = try Self.manifest(store, entry)
        let trigger = try #require(manifest.trigger)
        #expect(trigger.rule == "pileup")
        #expect(trigger.signal == "goroutines")
        #expect(trigger.source == "pprof_index")
        #expect(trigger.observed >= Double(base + 100))
        #expect(trigger.baseline == Double(threshold))
        #expect(trigger.reason == "above \(threshold)")
        #expect(trigger.previousSnapshot == before.id)
        // It fired at the first poll that saw the leak: every earlier sample of the window is below the threshold.
        #expect(trigger.samples.last == trigger.observed)
        #expect(trigger.samples.dropLast().allSatisfy { $0 <= Double(threshold) }, "\(trigger.samples)")
        #expect(!trigger.samples.dropLast().isEmpty)

        // The goroutine profile was captured; the stacks dump was over the governor's limit, so it was downgraded.
        #expect(manifest.artifacts.first { $0.name == "goroutine" }?.status == .ok)
        let stacks = try #require(manifest.artifacts.first { $0.name == "stacks" })
        #expect(stacks.kind == "goroutine-text")
        #expect(stacks.note?.contains("exceed the stacks limit of \(base + 60)") == true, "\(stacks)")
        let s = try SnapshotStore(root: store, create: false)
        let members = try s.readSnapshot(entry) { m in Set(m.artifacts.filter { $0.name == "stacks" }.compactMap(\.member)) }.members
        let text = String(decoding: try #require(members.values.first), as: UTF8.self)
        #expect(text.contains("main.leakChanRecv"))

        // The signal stays high: no second snapshot; the log says it fired, STATUS counts it.
        try await waitUntil("STATUS with the firing") {
            listener.assignments.contains { $0.contains("triggers: 1 rule on 2 targets, 1 fired (last: pileup/alpha at ") }
        }
        let log = daemon.stderr
        #expect(Self.count("trigger fired", in: log) == 1, "\(log)")
        #expect(log.contains("reason=\"above \(threshold)\""))
        #expect(Self.count("trigger poll failing", in: log) == 1)
        #expect(log.contains("target \\\"gone\\\" at http://127.0.0.1:1: GET /debug/pprof/:"))
        #expect(!DaemonRunTests.entries(store).contains { $0.target == "gone" })

        // `list --schedule 'trigger/*'` finds it.
        let listed = try await gbsnap(["list", "--store", store, "--schedule", "trigger/*"])
        #expect(listed.status == 0)
        #expect(listed.stdout.contains(entry.id))
        #expect(!listed.stdout.contains(before.id))

        // `show` says why it was taken and what to diff it with.
        let shown = try await gbsnap(["show", "--store", store, entry.id])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("trigger    pileup: goroutines \(Int(trigger.observed)) from pprof_index at "), "\(shown.stdout)")
        #expect(shown.stdout.contains("before: \(before.id)  (gbsnap diff \(before.id) \(entry.id))"))

        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(Self.triggered(store, rule: "pileup").count == 1)
    }

    @Test("edge-triggered: a flapping signal fires once per arm; a rule in its cooldown takes nothing on the next rise")
    func flappingAndCooldown() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let base = try await Self.releasedCount(fixture)
        let dir = TemporaryDirectory("gbsnap-trigger-flap")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let threshold = base + 40
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL, triggers: """
              - name: flap
                targets: [alpha]
                signal: goroutines
                poll: 1s
                above: \(threshold)
                cooldown: 0s
                kinds: [goroutine]
              - name: calm
                targets: [beta]
                signal: goroutines
                poll: 1s
                above: \(threshold)
                cooldown: 1h
                kinds: [goroutine]
            """))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)

        _ = try await fixture.get("/leak?kind=chanrecv&n=100")
        try await waitUntil("both rules fired") {
            Self.triggered(store, rule: "flap").count == 1 && Self.triggered(store, rule: "calm").count == 1
        }
        _ = try await fixture.get("/release")
        try await waitUntil("both rules re-armed") { Self.count("trigger re-armed", in: daemon.stderr) >= 2 }
        _ = try await fixture.get("/leak?kind=chanrecv&n=100")
        try await waitUntil("flap fired again") { Self.triggered(store, rule: "flap").count == 2 }
        try await waitUntil("calm held by its cooldown") {
            daemon.stderr.split(separator: "\n").contains { $0.contains("trigger condition holds but the rule does not fire") && $0.contains("trigger=calm") && $0.contains("cooling down") }
        }
        // Still high for a few more polls: nothing more is taken.
        try await Task.sleep(for: .seconds(3))
        #expect(Self.triggered(store, rule: "flap").count == 2)
        #expect(Self.triggered(store, rule: "calm").count == 1)
        let flaps = Self.triggered(store, rule: "flap")
        #expect(try Self.manifest(store, flaps[1]).trigger?.previousSnapshot == flaps[0].id)
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
    }

    @Test("rise_percent over the rolling mean: a slow drift does not fire, a jump does; SIGHUP keeps the window of an unchanged rule")
    func riseOverRollingMean() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let base = try await Self.releasedCount(fixture)
        let dir = TemporaryDirectory("gbsnap-trigger-rise")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let triggers = """
              - name: jump
                targets: [alpha]
                signal: goroutines
                poll: 1s
                rise_percent: 100
                window: 3
                cooldown: 1h
                kinds: [goroutine]
            """
        let configPath = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL, triggers: triggers))
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)

        // A drift of a few goroutines a second stays far below +100 % of the mean.
        for _ in 0..<5 {
            _ = try await fixture.get("/leak?kind=chanrecv&n=\(max(1, base / 5))")
            try await Task.sleep(for: .milliseconds(1200))
        }
        #expect(Self.triggered(store, rule: "jump").isEmpty)

        // Reload with the rule unchanged (another schedule): its window is kept, so a jump fires at once.
        _ = dir.file("gbsnap.yaml", Self.config(store: store, fixture: fixture.baseURL, triggers: triggers)
            .replacingOccurrences(of: "name: yearly", with: "name: yearly2"))
        daemon.signal(SIGHUP)
        try await waitUntil("the reload kept the window") { daemon.stderr.contains("windows_kept=1") }
        _ = try await fixture.get("/leak?kind=chanrecv&n=\(3 * base + 300)")
        try await waitUntil("a snapshot of trigger/jump") { !Self.triggered(store, rule: "jump").isEmpty }
        let trigger = try #require(try Self.manifest(store, Self.triggered(store, rule: "jump")[0]).trigger)
        #expect(trigger.samples.count == 4, "\(trigger.samples)")
        let window = trigger.samples.dropLast()
        let mean = window.reduce(0, +) / Double(window.count)
        #expect(abs(trigger.baseline - mean) < 1e-9)
        #expect(trigger.observed >= 2 * mean)
        #expect(trigger.reason.hasSuffix("over the mean of the last 3 samples (rise_percent 100)"))
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
    }

    @Test("signals from a real Prometheus exposition (etcd's client_golang /metrics): a level and a rate between two polls fire, and the snapshot comes from etcd's pprof")
    func prometheusSignals() async throws {
        let etcd = try await EtcdServer.start(pprof: true)
        defer { etcd.stop() }
        let dir = TemporaryDirectory("gbsnap-trigger-metrics")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let configPath = dir.file("gbsnap.yaml", """
            store: \(store)
            targets:
              - name: etcd
                url: \(etcd.baseURL)
            triggers:
              - name: heap
                targets: [etcd]
                signal: heap_inuse_bytes
                source: metrics
                poll: 5s
                above: 1MiB
                kinds: [heap]
              - name: allocating
                targets: [etcd]
                signal: alloc_bytes_per_second
                source: metrics
                poll: 5s
                above: 1
                kinds: [goroutine]
            """)
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let daemon = try await DaemonRunTests.startDaemon(configPath: configPath, listener: listener)
        try await waitUntil("both rules fired") {
            !Self.triggered(store, rule: "heap").isEmpty && !Self.triggered(store, rule: "allocating").isEmpty
        }
        let heap = try #require(try Self.manifest(store, Self.triggered(store, rule: "heap")[0]).trigger)
        #expect(heap.source == "metrics")
        #expect(heap.observed > 1_048_576 && heap.baseline == 1_048_576)
        // The level fires at the first poll; the rate needs two (its first poll has no difference yet).
        #expect(heap.samples.count == 1)
        let rate = try Self.manifest(store, Self.triggered(store, rule: "allocating")[0])
        #expect(rate.trigger?.observed ?? 0 > 1)
        #expect(rate.trigger?.samples.count == 1)
        #expect(rate.artifacts.first { $0.name == "goroutine" }?.status == .ok)
        let heapSnapshot = try Self.manifest(store, Self.triggered(store, rule: "heap")[0])
        #expect(heapSnapshot.artifacts.first { $0.name == "heap" }?.status == .ok)
        #expect(!daemon.stderr.contains("trigger poll failing"), "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
    }
}
