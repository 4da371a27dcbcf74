import Foundation
import GBSnapTestSupport
import Testing

/// `gbsnap trend` over real snapshots of the Go fixture service, captured through `gbsnap capture`.
@Suite("gbsnap trend on real snapshots")
struct TrendCommandTests {
    let tmp = TemporaryDirectory("gbsnap-trend")
    var store: String { "\(tmp.path)/store" }

    func capture(_ fixture: GoFixture, name: String = "fx") async throws {
        let r = try await gbsnap(["capture", "--url", fixture.baseURL, "--name", name, "--kinds", "heap,stacks,vars"], store: store)
        guard r.status == 0 else { throw CLITestError("capture failed (\(r.status)): \(r.stderr)") }
    }

    func trendJSON(_ args: [String]) async throws -> [String: Any] {
        let r = try await gbsnap(["trend"] + args + ["--format", "json"], store: store)
        guard r.status == 0 else { throw CLITestError("trend \(args) exited \(r.status): \(r.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw CLITestError("trend printed no JSON object")
        }
        return object
    }

    static func growerNames(_ report: [String: Any]) -> [String] {
        (report["growers"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test("a steady goroutine leak and a steady retained-memory site are named; a sawtooth and a one-off spike are not")
    func leaksNamedNoiseNot() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        for step in 0..<10 {
            _ = try await fixture.get("/leak?kind=chanrecv&n=12")        // steady goroutine leak
            _ = try await fixture.get("/grow?mb=3&site=records")          // steady retained memory
            // Sawtooth: 6 MiB of buffers retained on even steps, freed on odd ones.
            _ = try await fixture.get(step % 2 == 0 ? "/grow?mb=6&site=buffers" : "/release?only=buffers")
            // One-off spike of parked goroutines at step 5, gone at step 6.
            if step == 5 { _ = try await fixture.get("/spawn?n=300") }
            if step == 6 { _ = try await fixture.get("/release?only=spawned") }
            try await capture(fixture)
        }
        let report = try await trendJSON(["fx"])
        #expect(report["schema"] as? String == "gbsnap.trend/v1")
        #expect((report["snapshots"] as? [Any])?.count == 10)
        #expect((report["restarts"] as? [Any])?.isEmpty == true)
        let growers = report["growers"] as? [[String: Any]] ?? []
        let names = Self.growerNames(report)
        #expect(names.contains("main.makeRecords"), "\(names)")
        let leak = try #require(growers.first { ($0["name"] as? String)?.contains("main.leakChanRecv") == true }, "\(names)")
        #expect(leak["series"] as? String == "goroutine_group")
        #expect(leak["state"] as? String == "chan receive")
        #expect((leak["hint"] as? String)?.contains("receiving from a channel") == true)
        #expect((leak["net_delta"] as? Double ?? 0) >= 50)
        #expect((leak["consistency"] as? Double ?? 0) >= 0.9)
        for key in ["kind", "first", "last", "slope_per_hour", "seen_in", "tau"] { #expect(leak[key] != nil, "\(key)") }
        #expect(!names.contains("main.retainBuffers"), "the sawtooth was called a grower: \(names)")
        #expect(!names.contains { $0.contains("main.parkedWorker") }, "the spike was called a grower: \(names)")
        // Specific growers come before the totals they drive.
        let firstAggregate = growers.firstIndex { ["total", "runtime"].contains($0["series"] as? String ?? "") } ?? growers.count
        #expect(growers[..<firstAggregate].allSatisfy { ["function", "goroutine_group"].contains($0["series"] as? String ?? "") })

        // Series: totals, runtime figures from vars, and the functions with flat and cum per point.
        let series = try #require(report["series"] as? [String: Any])
        let runtime = (series["runtime"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(["goroutines", "heap_inuse", "heap_objects", "gc_cycles", "gc_pause_total"]).isSubset(of: runtime))
        let functions = series["functions"] as? [[String: Any]] ?? []
        let records = try #require(functions.first { $0["name"] as? String == "main.makeRecords" })
        #expect((records["flat"] as? [Any])?.count == 10)
        #expect((records["cum"] as? [Any])?.count == 10)

        // Text: the growers first, with sparklines; the gate trips with exit 3.
        let text = try await gbsnap(["trend", "fx"], store: store)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("trend of fx: 10 snapshots"))
        let growersAt = try #require(text.stdout.range(of: "growers: "))
        let totalsAt = try #require(text.stdout.range(of: "\ntotals:"))
        #expect(growersAt.lowerBound < totalsAt.lowerBound)
        #expect(text.stdout.contains("main.makeRecords"))
        #expect(text.stdout.unicodeScalars.contains { ("▁"..."█").contains($0) })
        let gate = try await gbsnap(["trend", "fx", "--fail-on", "growers.count>0", "--fail-on", "goroutines.slope_per_hour>1000000000"], store: store)
        #expect(gate.status == 3, "\(gate.stderr)")
        #expect(gate.stderr.contains("gate \"growers.count>0\" tripped"))
        #expect(!gate.stderr.contains("slope_per_hour>1000000000\" tripped"))

        // HTML: one self-contained file with a chart per grower.
        let html = "\(tmp.path)/trend.html"
        let h = try await gbsnap(["trend", "fx", "--format", "html", "-o", html], store: store)
        #expect(h.status == 0, "\(h.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.components(separatedBy: "<article class=\"grower\"").count - 1 == growers.count)
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"))
    }

    @Test("a restart in the middle splits the series, and growth across it is not a leak")
    func restartSplits() async throws {
        var fixture = try await GoFixture.start()
        for step in 0..<8 {
            if step == 4 {
                // A new process: counters, goroutine ids and uptime start again.
                _ = fixture.stop()
                fixture = try await GoFixture.start()
                _ = try await fixture.get("/grow?mb=40&site=strings")  // a higher, flat level in the second lifetime
            }
            _ = try await fixture.get("/leak?kind=select&n=10")
            try await capture(fixture)
        }
        defer { _ = fixture.stop() }
        let report = try await trendJSON(["fx"])
        let restarts = report["restarts"] as? [[String: Any]] ?? []
        #expect(restarts.count == 1)
        let segments = (report["snapshots"] as? [[String: Any]] ?? []).compactMap { $0["segment"] as? Int }
        #expect(segments == [0, 0, 0, 0, 1, 1, 1, 1])
        let names = Self.growerNames(report)
        #expect(names.contains { $0.contains("main.leakSelect") }, "\(names)")
        #expect(!names.contains("main.internStrings"), "growth across the restart was called a leak: \(names)")
        let text = try await gbsnap(["trend", "fx"], store: store)
        #expect(text.stdout.contains("1 restart"))
        #expect(text.stdout.contains("restart: between"))
    }

    @Test("progress shows on a terminal and never in JSON; --sample-index and --kind choose what is read")
    func progressAndSelection() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        for _ in 0..<3 { try await capture(fixture) }
        let shown = try await onTerminal(["trend", "fx"], store: store)
        #expect(shown.contains("gbsnap trend: reading snapshot 0/3"), "\(shown)")
        #expect(shown.contains("[exit 0]"))
        let quiet = try await onTerminal(["trend", "fx", "--format", "json"], store: store)
        #expect(!quiet.contains("reading snapshot"), "\(quiet)")

        let objects = try await trendJSON(["fx", "--kind", "heap", "--sample-index", "inuse_objects"])
        let totals = (objects["series"] as? [String: Any])?["totals"] as? [[String: Any]] ?? []
        #expect(totals.map { $0["name"] as? String } == ["inuse_objects"])
        let kinds = (objects["snapshots"] as? [[String: Any]] ?? []).compactMap { $0["kinds"] as? [String] }
        #expect(kinds == Array(repeating: ["heap"], count: 3))
        #expect(((objects["series"] as? [String: Any])?["runtime"] as? [Any])?.isEmpty == true)
    }

    @Test("a damaged archive in the window stops the trend with one sentence naming the snapshot and the way past it")
    func damagedArchive() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        for _ in 0..<3 { try await capture(fixture) }
        let list = try await gbsnap(["list", "--target", "fx", "--json"], store: store)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let victim = try #require(entries.dropFirst().first)
        let id = try #require(victim["id"] as? String), key = try #require(victim["key"] as? String)
        // Overwrite the middle of the compressed stream: the manifest still reads, the later members do not.
        let path = "\(store)/\(key)"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for i in (bytes.count / 2)..<min(bytes.count, bytes.count / 2 + 64) { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let r = try await gbsnap(["trend", "fx"], store: store)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("gbsnap: gbsnap trend: snapshot \(id) cannot be read: "), "\(r.stderr)")
        #expect(r.stderr.contains("gbsnap verify \(id) checks it, gbsnap rm \(id) drops it"), "\(r.stderr)")
    }

    @Test("one snapshot says so clearly; an unknown target is a one-sentence error; an empty window names the newest snapshot")
    func edges() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        try await capture(fixture)
        let one = try await gbsnap(["trend", "fx"], store: store)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("the window holds 1 snapshot; a trend needs at least 2"))

        let unknown = try await gbsnap(["trend", "fz"], store: store)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("gbsnap: "))
        #expect(unknown.stderr.contains("fx"), "no did-you-mean: \(unknown.stderr)")
        #expect(unknown.stderr.split(separator: "\n").count == 1)

        let empty = try await gbsnap(["trend", "fx", "--since", "2000-01-01T00:00:00Z", "--until", "2000-01-02T00:00:00Z"], store: store)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("has no snapshot"), "\(empty.stderr)")

        let bad = try await gbsnap(["trend", "fx", "--since", "yesterday"], store: store)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--since \"yesterday\""))
    }
}
