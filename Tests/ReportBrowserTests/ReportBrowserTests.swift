import Diff
import Foundation
import GBSnapTestSupport
import Testing

/// The HTML diff report in a real browser: Debian's chromium driven by chromedriver through python3-selenium
/// (Tests/Browser/check_report.py), with the numbers `go tool pprof` gives as the oracle. This suite is slow and
/// needs a browser; skip it locally with `scripts/test --skip ReportBrowserTests`. CI installs the browser.
@Suite("HTML report in Chromium", .serialized)
struct ReportBrowserTests {
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/check_report.py").path

    /// A store holding the Go 1.27 sample pair, the HTML report of its diff and the exported profiles.
    struct Report {
        let tmp = TemporaryDirectory("gbsnap-browser")
        var html: String { "\(tmp.path)/report.html" }
        var exportA: String { "\(tmp.path)/a" }
        var exportB: String { "\(tmp.path)/b" }

        init() async throws {
            let store = "\(tmp.path)/store"
            var ids: [String] = []
            for (side, at) in [("a", "2026-11-27T02:00:00Z"), ("b", "2026-11-27T02:01:05Z")] {
                let files = ["heap-gc-\(side).pb.gz", "goroutine-\(side).pb.gz", "goroutine-\(side).debug2.txt", "vars-\(side).json"]
                ids.append(try await Self.gbsnap(["import"] + files.map { Samples.path("go1.27/\($0)") }
                    + ["--target", "svc", "--taken-at", at, "--store", store]).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            _ = try await Self.gbsnap(["diff", ids[0], ids[1], "--format", "html", "-o", html, "--store", store])
            _ = try await Self.gbsnap(["export", ids[0], "-o", exportA, "--store", store])
            _ = try await Self.gbsnap(["export", ids[1], "-o", exportB, "--store", store])
        }

        static func gbsnap(_ args: [String]) async throws -> String {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let binary = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gbsnap").path
            let r = try await Subprocess.run(binary, args)
            guard r.status == 0 else { throw GBSnapFailure(description: "gbsnap \(args.joined(separator: " ")) failed: \(r.stderr)") }
            return r.stdoutText
        }
    }

    /// A function's flat and cum as `go tool pprof -top` computes them (raw, `-unit=B` for bytes), in the report's
    /// scaled text (``ValueFormatter`` is pprof's ScaledLabel, checked in DiffTests); deltas signed.
    static func pprof(_ arguments: [String], function: String, unit: String, signed: Bool = false) async throws -> (flat: String, cum: String) {
        let row = try await GoPprof.top((unit == "bytes" ? ["-unit=B"] : []) + arguments).rows[function] ?? (0, 0)
        return (ValueFormatter.format(row.flat, unit: unit, signed: signed), ValueFormatter.format(row.cum, unit: unit, signed: signed))
    }

    /// Runs the browser check; returns its output, recording a failure with everything it printed.
    @discardableResult
    static func check(_ arguments: [String]) async throws -> String {
        let r = try await Subprocess.run("/usr/bin/python3", [checker] + arguments)
        #expect(r.status == 0, "the browser check failed (install chromium chromium-driver python3-selenium with scripts/setup, or skip this suite with --skip ReportBrowserTests):\n\(r.stdoutText)\n\(r.stderr)")
        return r.stdoutText
    }

    @Test("flame graphs draw; hovering a frame shows go tool pprof's numbers; zoom, search, toggles, sorting work; no network, no console errors")
    func interactive() async throws {
        let report = try await Report(); defer { report.tmp.cleanup() }
        let heapA = "\(report.exportA)/heap.pb.gz", heapB = "\(report.exportB)/heap.pb.gz"
        let a = try await Self.pprof([heapA], function: "main.retainBuffers", unit: "bytes")
        let b = try await Self.pprof([heapB], function: "main.retainBuffers", unit: "bytes")
        let d = try await Self.pprof(["-diff_base=\(heapA)", heapB], function: "main.retainBuffers", unit: "bytes", signed: true)
        let goroutinesA = try await Self.pprof(["\(report.exportA)/goroutine.pb.gz"], function: "main.leakyWorker", unit: "count")
        let goroutinesB = try await Self.pprof(["\(report.exportB)/goroutine.pb.gz"], function: "main.leakyWorker", unit: "count")
        // The two growing allocation sites are leaves, so the matched share of B is their flat sum in bytes.
        let raw = try await GoPprof.top(["-unit=B", heapB])
        let matchedB = (raw.rows["main.retainBuffers"]?.flat ?? -1) + (raw.rows["main.makeRecords"]?.flat ?? -1)
        let formats: [[Any]] = [(1536, "bytes", false), (-5_780_000, "bytes", false), (13_943_462, "bytes", true),
                                (1_000_000_000, "nanoseconds", false), (364_530, "nanoseconds", true), (12, "count", true), (0, "bytes", true)]
            .map { [$0.0, $0.1, $0.2, ValueFormatter.format(Int64($0.0), unit: $0.1, signed: $0.2)] }
        let expect: [String: Any] = [
            "graphs": ["heap-inuse_space", "goroutine-goroutine", "goroutines"],
            "hover": [
                ["graph": "heap-inuse_space", "name": "main.retainBuffers",
                 "values": ["flatA": a.flat, "flatB": b.flat, "flatD": d.flat, "cumA": a.cum, "cumB": b.cum, "cumD": d.cum]],
                ["graph": "goroutines", "name": "main.leakyWorker",
                 "values": ["cumA": goroutinesA.cum, "cumB": goroutinesB.cum]],
            ],
            "zoom": ["graph": "heap-inuse_space", "name": "main.main.func3"],
            "search": ["graph": "heap-inuse_space", "pattern": "retainBuffers|makeRecords", "regex": true,
                       "contains": ["matched: "], "matchedB": matchedB],
            "toggles": "heap-inuse_space",
            "format": formats,
        ]
        let expectPath = "\(report.tmp.path)/expect.json"
        try JSONSerialization.data(withJSONObject: expect).write(to: URL(fileURLWithPath: expectPath))
        var args = [report.html, expectPath]
        // `GBSNAP_SCREENSHOT=docs/images/diff-report.png` refreshes the picture in docs/diff.md.
        if let shot = ProcessInfo.processInfo.environment["GBSNAP_SCREENSHOT"], !shot.isEmpty { args += ["--screenshot", shot] }
        let out = try await Self.check(args)
        #expect(out.contains("all checks passed"), "\(out)")
    }

    @Test("without JavaScript the headline and the tables still read, and the flame graph says why it is missing")
    func withoutJavaScript() async throws {
        let report = try await Report(); defer { report.tmp.cleanup() }
        let out = try await Self.check([report.html, "--nojs"])
        #expect(out.contains("all checks passed"), "\(out)")
    }
}

extension ReportBrowserTests {
    static let trendChecker = URL(fileURLWithPath: checker).deletingLastPathComponent().appendingPathComponent("check_trend.py").path

    @Test("the trend report draws a chart per grower, total and runtime figure, marks the restart, and fetches nothing")
    func trendReport() async throws {
        let tmp = TemporaryDirectory("gbsnap-trend-browser"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        var fixture = try await GoFixture.start()
        for step in 0..<8 {
            if step == 4 {
                _ = fixture.stop()
                fixture = try await GoFixture.start()
            }
            _ = try await fixture.get("/grow?mb=4&site=records")
            _ = try await fixture.get("/leak?kind=chanrecv&n=10")
            _ = try await Report.gbsnap(["capture", "--url", fixture.baseURL, "--name", "fx", "--kinds", "heap,stacks,vars", "--store", store])
        }
        _ = fixture.stop()
        let html = "\(tmp.path)/trend.html"
        _ = try await Report.gbsnap(["trend", "fx", "--format", "html", "-o", html, "--store", store])
        let json = try await Report.gbsnap(["trend", "fx", "--format", "json", "--store", store])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let growers = report["growers"] as? [[String: Any]] ?? []
        let series = report["series"] as? [String: Any] ?? [:]
        let charts = growers.count + (series["totals"] as? [Any] ?? []).count + (series["runtime"] as? [Any] ?? []).count
        let first = try #require(growers.first?["name"] as? String)
        #expect(first == "main.makeRecords", "\(growers.map { $0["name"] ?? "" })")
        let expect: [String: Any] = ["growers": [first], "charts": charts, "points": 8, "restarts": 1]
        let expectPath = "\(tmp.path)/expect.json"
        try JSONSerialization.data(withJSONObject: expect).write(to: URL(fileURLWithPath: expectPath))
        let r = try await Subprocess.run("/usr/bin/python3", [Self.trendChecker, html, expectPath])
        #expect(r.status == 0 && r.stdoutText.contains("all checks passed"), "\(r.stdoutText)\n\(r.stderr)")
    }
}

extension ReportBrowserTests {
    static let traceChecker = URL(fileURLWithPath: checker).deletingLastPathComponent().appendingPathComponent("check_trace.py").path

    @Test("the execution-trace section shows its headline, the table of both summaries and bars of where the time went, offline")
    func traceSection() async throws {
        let tmp = TemporaryDirectory("gbsnap-trace-browser"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let trace = Samples.path("go1.27/trace-1s.bin")
        let a = try await Report.gbsnap(["import", trace, "--target", "t", "--taken-at", "2026-11-27T02:00:00Z", "--store", store])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let b = try await Report.gbsnap(["import", trace, "--target", "t", "--taken-at", "2026-11-27T02:01:00Z", "--store", store])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let html = "\(tmp.path)/report.html"
        _ = try await Report.gbsnap(["diff", a, b, "--format", "html", "-o", html, "--store", store])
        let json = try await Report.gbsnap(["diff", a, b, "--format", "json", "--store", store])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let summary = try #require((report["trace"] as? [String: Any])?["b"] as? [String: Any])
        let gc = try #require((summary["gc"] as? [String: Any])?["count"] as? Int)
        let created = try #require((summary["goroutines"] as? [String: Any])?["created"] as? Int)
        // Bars are drawn for the figures with time in them: GC, stop-the-world, the top five blocking reasons.
        let seconds = { (o: Any?) in (o as? [String: Any]).flatMap { $0["seconds"] as? Double ?? $0["total_seconds"] as? Double } ?? 0 }
        let reasons = ((summary["block"] as? [String: Any])?["by_reason"] as? [String: Any] ?? [:]).values.filter { seconds($0) > 0 }.count
        let busy = [seconds(summary["gc"]), seconds(summary["stw"])].filter { $0 > 0 }.count
        let expect: [String: Any] = [
            "rows": ["GC cycles": [String(gc), String(gc)], "goroutines created": [String(created), String(created)]],
            "bars": busy + min(5, reasons),
        ]
        let expectPath = "\(tmp.path)/expect.json"
        try JSONSerialization.data(withJSONObject: expect).write(to: URL(fileURLWithPath: expectPath))
        let r = try await Subprocess.run("/usr/bin/python3", [Self.traceChecker, html, expectPath])
        #expect(r.status == 0 && r.stdoutText.contains("all checks passed"), "\(r.stdoutText)\n\(r.stderr)")
    }
}

/// A gbsnap run the report needs failed.
struct GBSnapFailure: Error, CustomStringConvertible { var description: String }
