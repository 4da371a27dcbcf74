import Foundation
import GBSnapTestSupport
import Testing
import Traces

/// A store holding real sample pairs imported through `gbsnap import`, and the `go tool pprof` oracle.
struct DiffFixture {
    let tmp = TemporaryDirectory("gbsnap-diff")
    var store: String { "\(tmp.path)/store" }

    /// Imports files as one snapshot; returns its id.
    func importSnapshot(_ files: [String], target: String, takenAt: String, kind: String? = nil) async throws -> String {
        var args = ["import"] + files + ["--target", target, "--taken-at", takenAt]
        if let kind { args += ["--kind", kind] }
        let r = try await gbsnap(args, store: store)
        guard r.status == 0 else { throw CLITestError("import \(files) failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Imports the `a` and `b` samples of a Go version as two snapshots of `target` (`svc` unless named), taken at
    /// `takenAt` and 1m5s later (the samples' own gap).
    func importPair(_ go: String, target: String = "svc",
                    takenAt: (a: String, b: String) = ("2026-11-27T02:00:00Z", "2026-11-27T02:01:05Z")) async throws -> (a: String, b: String) {
        func files(_ side: String) -> [String] {
            var names = ["\(go == "go1.27" ? "heap-gc" : "heap")-\(side).pb.gz", "goroutine-\(side).pb.gz",
                         "goroutine-\(side).debug1.txt", "goroutine-\(side).debug2.txt", "vars-\(side).json"]
            if go == "go1.27" { names.append("goroutineleak-\(side).pb.gz") }
            return names.map { Samples.path("\(go)/\($0)") }
        }
        return await (try importSnapshot(files("a"), target: target, takenAt: takenAt.a),
                try importSnapshot(files("b"), target: target, takenAt: takenAt.b))
    }

    /// `gbsnap export` of a snapshot into its own folder; returns the folder.
    func export(_ id: String) async throws -> String {
        let out = "\(tmp.path)/export-\(id)"
        let r = try await gbsnap(["export", id, "--output", out], store: store)
        guard r.status == 0 else { throw CLITestError("export \(id) failed: \(r.stderr)") }
        return out
    }

    func diff(_ args: [String]) async throws -> CLIResult { try await gbsnap(["diff"] + args, store: store) }

    func diffJSON(_ args: [String]) async throws -> [String: Any] {
        let r = try await diff(args + ["--format", "json"])
        guard r.status == 0 else { throw CLITestError("diff \(args) exited \(r.status): \(r.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw CLITestError("diff \(args) printed no JSON object")
        }
        return object
    }
}

/// Checks that the JSON rows of one profile are exactly pprof's table: every pprof row with our deltas, and no
/// other row of ours with a nonzero delta.
func expectRowsEqualPprof(_ profile: [String: Any], _ table: [String: (flat: Int64, cum: Int64)], _ label: String) {
    let functions = profile["functions"] as? [[String: Any]] ?? []
    var ours: [String: (flat: Int64, cum: Int64)] = [:]
    for f in functions {
        guard let name = f["name"] as? String, let flat = f["flat_delta"] as? Int, let cum = f["cum_delta"] as? Int else {
            Issue.record("\(label): malformed function row \(f)")
            continue
        }
        ours[name] = (Int64(flat), Int64(cum))
    }
    #expect(!table.isEmpty, "\(label): pprof printed no rows")
    for (name, theirs) in table {
        let mine = ours[name] ?? (0, 0)
        #expect(mine.flat == theirs.flat && mine.cum == theirs.cum, "\(label): \(name) ours \(mine) pprof \(theirs)")
    }
    for (name, mine) in ours where table[name] == nil && (mine.flat != 0 || mine.cum != 0) {
        Issue.record("\(label): \(name) has \(mine) but go tool pprof does not list it")
    }
}

@Suite struct DiffCommandTests {
    struct PprofCase: CustomTestStringConvertible, Sendable {
        var go: String
        var kind: String
        var file: String
        var sampleIndex: String?
        var unit: String
        var testDescription: String { "\(go) \(kind) \(sampleIndex ?? "default")" }
    }

    static let pprofCases: [PprofCase] = [
        PprofCase(go: "go1.27", kind: "heap", file: "heap.pb.gz", sampleIndex: nil, unit: "-unit=B"),
        PprofCase(go: "go1.27", kind: "heap", file: "heap.pb.gz", sampleIndex: "inuse_objects", unit: ""),
        PprofCase(go: "go1.27", kind: "heap", file: "heap.pb.gz", sampleIndex: "alloc_space", unit: "-unit=B"),
        PprofCase(go: "go1.19", kind: "heap", file: "heap.pb.gz", sampleIndex: "inuse_space", unit: "-unit=B"),
        PprofCase(go: "go1.19", kind: "heap", file: "heap.pb.gz", sampleIndex: "alloc_objects", unit: ""),
        PprofCase(go: "go1.27", kind: "goroutine", file: "goroutine.pb.gz", sampleIndex: nil, unit: ""),
        PprofCase(go: "go1.19", kind: "goroutine", file: "goroutine.pb.gz", sampleIndex: nil, unit: ""),
        PprofCase(go: "go1.27", kind: "goroutineleak", file: "goroutineleak.pb.gz", sampleIndex: nil, unit: ""),
    ]

    @Test(arguments: pprofCases)
    func perFunctionNumbersEqualGoToolPprofOnTheExportedFiles(_ c: PprofCase) async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair(c.go)
        var args = [a, b, "--kind", c.kind]
        if let s = c.sampleIndex { args += ["--sample-index", s] }
        let json = try await f.diffJSON(args)
        let profile = try #require((json["profiles"] as? [String: Any])?[c.kind] as? [String: Any])
        if let s = c.sampleIndex { #expect(profile["sample_type"] as? String == s) }

        let (exportA, exportB) = await (try f.export(a), try f.export(b))
        var pprofArgs = c.unit.isEmpty ? [] : [c.unit]
        if let s = c.sampleIndex { pprofArgs.append("-sample_index=\(s)") }
        let table = try await GoPprof.top(pprofArgs + ["-diff_base=\(exportA)/\(c.file)", "\(exportB)/\(c.file)"]).rows
        expectRowsEqualPprof(profile, table, c.testDescription)

        // Totals are the sums of the flat values, plus samples without a stack (the goroutine profile has one:
        // the goroutine running the profile handler in some Go versions).
        let functions = profile["functions"] as? [[String: Any]] ?? []
        let flatA = functions.reduce(0) { $0 + ($1["flat_a"] as? Int ?? 0) }, flatB = functions.reduce(0) { $0 + ($1["flat_b"] as? Int ?? 0) }
        if c.kind == "heap" {
            #expect(profile["total_a"] as? Int == flatA)
            #expect(profile["total_b"] as? Int == flatB)
        } else {
            #expect((profile["total_a"] as? Int ?? 0) >= flatA && (profile["total_b"] as? Int ?? 0) >= flatB)
        }
    }

    @Test func jsonHasTheDocumentedTopLevelKeysAndSnapshotIdentity() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let json = try await f.diffJSON([a, b])
        #expect(Set(json.keys) == ["schema", "a", "b", "warnings", "profiles", "goroutines", "runtime", "trace", "gates"])
        #expect(json["schema"] as? String == "gbsnap.diff/v1")
        let sideA = try #require(json["a"] as? [String: Any])
        #expect(sideA["id"] as? String == a)
        #expect(sideA["target"] as? String == "svc")
        #expect(sideA["taken_at"] as? String == "2026-11-27T02:00:00Z")
        #expect((json["b"] as? [String: Any])?["taken_at"] as? String == "2026-11-27T02:01:05Z")
        #expect(json["warnings"] as? [String] == [])
        #expect(Set((json["profiles"] as? [String: Any])?.keys.map { $0 } ?? []) == ["heap", "goroutine", "goroutineleak"])
        let heap = try #require((json["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        #expect(heap["sample_type"] as? String == "inuse_space")
        #expect(heap["unit"] as? String == "bytes")
        let firstRow = try #require((heap["functions"] as? [[String: Any]])?.first)
        #expect(Set(firstRow.keys) == ["name", "flat_a", "flat_b", "flat_delta", "cum_a", "cum_b", "cum_delta"])
        let runtime = try #require(json["runtime"] as? [String: Any])
        #expect(runtime["seconds"] as? Double == 65)
        #expect((runtime["heap_inuse"] as? [String: Any])?["delta"] as? Int != nil)
        #expect((json["gates"] as? [Any])?.isEmpty == true)
    }

    @Test func goroutineGrowthComesFromStacksAndFindsTheLeaks() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let goroutines = try await #require(try f.diffJSON([a, b])["goroutines"] as? [String: Any])
        #expect(goroutines["source"] as? String == "stacks")
        let groups = try #require(goroutines["groups"] as? [[String: Any]])
        let suspects = groups.filter { $0["suspect"] as? Bool == true }
        let leaky = suspects.filter { ($0["labels"] as? [String: String])?["worker"] == "leaky" }
        #expect(leaky.map { $0["delta"] as? Int } == [25])
        #expect(leaky.first?["state"] as? String == "chan receive")
        #expect(suspects.contains { ($0["delta"] as? Int) == 7 && (($0["signature"] as? [String])?.contains { $0.contains("leakLocal") || $0.contains("leaklocal") } ?? false) })
        #expect((goroutines["total_b"] as? Int ?? 0) - (goroutines["total_a"] as? Int ?? 0) >= 32)
        for g in groups {
            #expect(g["count_b"] as? Int == (g["count_a"] as? Int ?? 0) + (g["delta"] as? Int ?? 0))
        }
    }

    @Test(arguments: [("goroutine-text", "goroutine-text"), ("goroutine", "goroutine")])
    func goroutineGrowthFallsBackToDebug1TextThenTheProfile(kind: String, source: String) async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let goroutines = try await #require(try f.diffJSON([a, b, "--kind", kind])["goroutines"] as? [String: Any])
        #expect(goroutines["source"] as? String == source)
        let groups = try #require(goroutines["groups"] as? [[String: Any]])
        let grown = groups.compactMap { $0["delta"] as? Int }.sorted(by: >)
        #expect(grown.prefix(2) == [25, 7])
        let suspects = groups.filter { $0["suspect"] as? Bool == true }.compactMap { $0["delta"] as? Int }.sorted(by: >)
        if source == "goroutine" {
            // profile.proto keeps the runtime frames (runtime.gopark, runtime.chanrecv1), so the state is inferred.
            #expect(suspects.prefix(2) == [25, 7])
            #expect(groups.first?["state"] as? String == "chan receive")
        } else {
            // debug=1 text hides the runtime frames: no state, so a channel wait cannot be told from work.
            #expect(suspects.isEmpty)
            #expect(groups.first?["state"] is NSNull)
        }
    }

    @Test func go119PairDiffsWithGoroutineLeaks() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.19")
        let json = try await f.diffJSON([a, b])
        #expect(Set((json["profiles"] as? [String: Any])?.keys.map { $0 } ?? []) == ["heap", "goroutine"])
        let groups = try #require((json["goroutines"] as? [String: Any])?["groups"] as? [[String: Any]])
        #expect(groups.filter { $0["suspect"] as? Bool == true }.compactMap { $0["delta"] as? Int }.max() ?? 0 >= 25)
        #expect(json["runtime"] is [String: Any])
    }

    @Test func textShowsHeadlinesTopTablesGoroutinesAndRuntimeStats() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let r = try await f.diff([a, b, "--limit", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[3].contains(#/^heap inuse_space [0-9.]+[kMG]?B → [0-9.]+[kMG]?B \(\+[0-9.]+MB, \+[0-9]+%\): \+13.30MB main.retainBuffers/#))
        #expect(r.stdout.contains("flat A"))
        #expect(r.stdout.contains("more rows: --limit 0 shows all"))
        #expect(r.stdout.contains("== goroutines (from stacks) =="))
        #expect(r.stdout.contains("leak suspects:"))
        #expect(r.stdout.contains("runtime stats (expvar memstats)"))
        #expect(r.stderr.isEmpty)
    }

    @Test func anOutputInAFolderThatDoesNotExistSaysSoAndWritesNothing() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let r = try await f.diff([a, b, "--format", "html", "-o", "\(f.tmp.path)/missing/report.html"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot write \(f.tmp.path)/missing/report.html: the folder \(f.tmp.path)/missing does not exist; create it or choose another --output"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(f.tmp.path)/missing"))
    }

    @Test func snapshotsHoldingTracesAreComparedByTheirSummaries() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let trace = Samples.path("go1.27/trace-1s.bin")
        let a = try await f.importSnapshot([trace], target: "t", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([trace], target: "t", takenAt: "2026-11-27T02:01:00Z")
        // The JSON holds both summaries, equal to the summariser's own on the same file.
        let json = try await f.diffJSON([a, b])
        let section = try #require(json["trace"] as? [String: Any])
        let expected = try TraceSummarizer.summarize(Array(try Data(contentsOf: URL(fileURLWithPath: trace))))
        for side in ["a", "b"] {
            let s = try #require(section[side] as? [String: Any])
            #expect((s["gc"] as? [String: Any])?["count"] as? Int == expected.gc.count)
            #expect((s["goroutines"] as? [String: Any])?["created"] as? Int == expected.goroutines.created)
            #expect((s["duration_seconds"] as? Double).map { abs($0 - expected.durationSeconds) < 1e-9 } == true)
        }
        // Text: the headline line and the table.
        let text = try await f.diff([a, b])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("trace: sched latency p99 "))
        #expect(text.stdout.contains("== execution trace =="))
        #expect(text.stdout.contains("GC cycles"))
        // Gates read the summaries; seconds figures take plain seconds or duration units.
        let tripped = try await f.diff([a, b, "--fail-on", "trace.duration_seconds>0.5"])
        #expect(tripped.status == 3, "\(tripped.stderr)")
        await #expect(try f.diff([a, b, "--fail-on", "trace.duration_seconds>10s", "--fail-on", "trace.gc.count.delta>0"]).status == 0)
        await #expect(try f.diff([a, b, "--fail-on", "trace.block.by_reason.nonexistent.count>0"]).status == 0)
        // Relative selectors count trace snapshots as comparable.
        await #expect(try f.diff(["t"]).status == 0)
        await #expect(try f.diff(["t@latest~1", "t@latest"]).status == 0)
    }

    @Test func tracesOfAFormatThisVersionDoesNotReadSaySoAndExitOne() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let old = Samples.path("go1.19/trace-1s.first64.bin")
        let a = try await f.importSnapshot([old], target: "t", takenAt: "2026-11-27T02:00:00Z", kind: "trace")
        let b = try await f.importSnapshot([old], target: "t", takenAt: "2026-11-27T02:01:00Z", kind: "trace")
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains("snapshots \(a) and \(b) have only their execution traces to compare, and the trace of snapshot \(a) is not summarised: "), "\(r.stderr)")
    }

    @Test func colourAndShortNamesOnlyOnATerminalNeverInAPipeOrWithNoColor() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let tty = try await onTerminal(["diff", a, b], store: f.store, columns: 90)
        #expect(tty.contains("\u{1B}[31m") && tty.contains("\u{1B}[1;33m"), "\(tty)")
        #expect(tty.contains("…") && tty.contains("[exit 0]"))
        let noColor = try await onTerminal(["diff", a, b], store: f.store, environment: ["NO_COLOR": "1"], columns: 90)
        #expect(!noColor.contains("\u{1B}[") && noColor.contains("…"))
        let piped = try await f.diff([a, b])
        #expect(!piped.stdout.contains("\u{1B}[") && !piped.stdout.contains("…"))
    }

    @Test func markdownKeepsTheGatesAndTheirExitStatus() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let r = try await f.diff([a, b, "--format", "markdown", "--fail-on", "goroutines.delta>10"])
        #expect(r.status == 3)
        #expect(r.stdout.hasPrefix("### gbsnap diff svc\n"))
        #expect(r.stdout.contains("**Gates** (1 tripped):") && r.stdout.contains("- ❌ `gate \"goroutines.delta>10\" tripped"))
        #expect(r.stdout.contains("| flat A | flat B | flat Δ | cum A | cum B | cum Δ | function |"))
    }

    @Test func pprofFormatWritesADiffProfileThatGoToolPprofReadsAsTheSameTable() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let out = "\(f.tmp.path)/heap.diff.pb.gz"
        let r = try await f.diff([a, b, "--kind", "heap", "--format", "pprof", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        let profile = try await #require((try f.diffJSON([a, b, "--kind", "heap"])["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        expectRowsEqualPprof(profile, try await GoPprof.top(["-unit=B", out]).rows, "merged heap diff")
        let objects = try await #require((try f.diffJSON([a, b, "--kind", "heap", "--sample-index", "inuse_objects"])["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        expectRowsEqualPprof(objects, try await GoPprof.top(["-sample_index=inuse_objects", out]).rows, "merged heap diff, inuse_objects")
    }

    @Test func pprofFormatGoesToAFileOrAPipeButNotATerminalAndNeedsOneKind() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let out = "\(f.tmp.path)/heap.pb.gz"
        await #expect(try f.diff([a, b, "--kind", "heap", "--format", "pprof", "-o", out]).status == 0)
        // stdout is a pipe here, as in `gbsnap diff … --format pprof > d.pb.gz`: the same bytes.
        let piped = try await gbsnapBytes(["diff", a, b, "--kind", "heap", "--format", "pprof"], store: f.store)
        #expect(piped.status == 0)
        #expect(piped.stdout == [UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(piped.stdout.starts(with: [0x1F, 0x8B]))
        // On a terminal (a real pty from script(1)) it refuses, naming both ways out.
        let tty = try await onTerminal(["diff", a, b, "--kind", "heap", "--format", "pprof"], store: f.store)
        #expect(tty.contains("--format pprof writes a binary profile; give --output FILE or redirect stdout"), "\(tty)")
        let twoKinds = try await f.diff([a, b, "--format", "pprof", "--output", "\(f.tmp.path)/x.pb.gz"])
        #expect(twoKinds.status == 2)
        #expect(twoKinds.stderr.contains("goroutine, goroutineleak") && twoKinds.stderr.contains("--kind"))
    }

    @Test func foldedLinesAreWellFormedAndSumToTheTotalDelta() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let r = try await f.diff([a, b, "--kind", "heap", "--format", "folded-delta"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        var sum: Int64 = 0
        for line in lines {
            let space = try #require(line.lastIndex(of: " "), "line without value: \(line)")
            let value = try #require(Int64(line[line.index(after: space)...]), "bad value in \(line)")
            #expect(value != 0)
            let frames = line[..<space].split(separator: ";", omittingEmptySubsequences: false)
            #expect(!frames.isEmpty && frames.allSatisfy { !$0.isEmpty }, "empty frame in \(line)")
            sum += value
        }
        let heap = try await #require((try f.diffJSON([a, b, "--kind", "heap"])["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        #expect(sum == Int64((heap["total_b"] as? Int ?? 0) - (heap["total_a"] as? Int ?? 0)))
        #expect(lines.contains { $0.hasPrefix("runtime.main;main.main;") || $0.contains(";main.") })

        // Several kinds: the kind is the root frame.
        let all = try await f.diff([a, b, "--format", "folded"])
        #expect(all.status == 0)
        let roots = Set(all.stdout.split(separator: "\n").map { String($0.prefix { $0 != ";" }) })
        #expect(roots == ["heap", "goroutine", "goroutineleak"])

        // The default folded format carries both sides (difffolded.pl's `stack count_a count_b`).
        let pairs = try await f.diff([a, b, "--kind", "heap", "--format", "folded"])
        var sumA: Int64 = 0, sumB: Int64 = 0
        for line in pairs.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            sumA += Int64(fields[fields.count - 2]) ?? -1
            sumB += Int64(fields[fields.count - 1]) ?? -1
        }
        #expect(sumA == Int64(heap["total_a"] as? Int ?? 0) && sumB == Int64(heap["total_b"] as? Int ?? 0))
    }

    @Test func htmlIsOneSelfContainedPageWithHeadlineTablesAndFlameGraphData() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let out = "\(f.tmp.path)/diff.html"
        let r = try await f.diff([a, b, "--format", "html", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<pre class=\"headline\">"))
        #expect(html.contains("<table class=\"sortable profile\">"))
        #expect(html.contains("<table class=\"sortable goroutines\">"))
        #expect(html.contains("<table class=\"sortable runtime\">"))
        #expect(html.contains("worker=leaky"))
        // Nothing is fetched: no external resource of any kind, links only within the page.
        #expect(!html.contains("src=") && !html.contains("<link") && !html.contains("@import") && !html.contains("url("))
        for match in html.matches(of: /href="([^"]*)"/) { #expect(match.1.hasPrefix("#"), "\(match.0)") }
        // One flame graph per kind and sample type, plus goroutines; the data is valid JSON with a graph for each.
        let dataStart = try #require(html.range(of: "<script type=\"application/json\" id=\"gbsnap-data\">"))
        let dataEnd = try #require(html[dataStart.upperBound...].range(of: "</script>"))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(html[dataStart.upperBound..<dataEnd.lowerBound].utf8)) as? [String: Any])
        let graphs = try #require(data["graphs"] as? [String: Any])
        let divs = Set(html.matches(of: /<div class="flame" data-graph="([^"]+)">/).map { String($0.1) })
        #expect(Set(graphs.keys) == divs)
        #expect(divs.isSuperset(of: ["heap-inuse_space", "heap-alloc_space", "heap-inuse_objects", "heap-alloc_objects", "goroutine-goroutine", "goroutines"]))
        #expect(html.hasSuffix("</html>\n"))
    }

    @Test func gatesExitThreeNamingTheGateAndZeroWhenNotTripped() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let tripped = try await f.diff([a, b, "--fail-on", "goroutines.delta>10", "--fail-on", "goroutines.delta>1000"])
        #expect(tripped.status == 3)
        #expect(tripped.stderr.contains("gate \"goroutines.delta>10\" tripped"))
        #expect(!tripped.stderr.contains("goroutines.delta>1000\" tripped"))
        #expect(tripped.stdout.contains("gate \"goroutines.delta>1000\" passed"))

        let passed = try await f.diff([a, b, "--fail-on", "goroutines.delta>1000", "--format", "json"])
        #expect(passed.status == 0, "\(passed.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(passed.stdout.utf8)) as? [String: Any])
        let gate = try #require((json["gates"] as? [[String: Any]])?.first)
        #expect(gate["expression"] as? String == "goroutines.delta>1000")
        #expect(gate["tripped"] as? Bool == false)

        let heapGate = try await f.diff([a, b, "--kind", "heap", "--fail-on", "heap.inuse_space.delta>20%"])
        #expect(heapGate.status == 3)
        #expect(heapGate.stderr.contains("heap.inuse_space.delta>20%"))
        await #expect(try f.diff([a, b, "--kind", "heap", "--fail-on", "heap.inuse_space.delta>1GB"]).status == 0)
    }

    @Test(arguments: ["goroutines.delta>>10", "goroutines.delta>10 parsecs", "goroutines.b>10%", "nosuchmetric>1"])
    func badGateExpressionsAreUsageErrors(_ expression: String) async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let r = try await f.diff([a, b, "--fail-on", expression])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--fail-on \"\(expression)\""))
    }

    @Test func differentTargetsAreComparedWithAWarning() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let a = try await f.importSnapshot([Samples.path("go1.27/heap-gc-a.pb.gz")], target: "order-api", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([Samples.path("go1.27/heap-gc-b.pb.gz")], target: "inventory-api", takenAt: "2026-11-27T02:01:00Z")
        let r = try await f.diff([a, b])
        #expect(r.status == 0, "\(r.stderr)")
        // Text carries its warnings in one block on stdout; JSON has them in `warnings` and on stderr.
        #expect(r.stdout.contains("warnings:\n  - comparing different targets: \(a) is order-api, \(b) is inventory-api"))
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("heap inuse_space "))
        await #expect((try f.diffJSON([a, b])["warnings"] as? [String])?.first?.contains("different targets") == true)
    }

    @Test func noKindInCommonFailsListingWhatEachHas() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let a = try await f.importSnapshot([Samples.path("go1.27/heap-gc-a.pb.gz"), Samples.path("go1.27/goroutine-a.debug2.txt")],
                                     target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([Samples.path("go1.27/vars-b.json")], target: "svc", takenAt: "2026-11-27T02:01:00Z")
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains("snapshots \(a) and \(b) have no kind in common: \(a) has heap, stacks; \(b) has vars"))
        let (pa, pb) = try await f.importPair("go1.27")
        let requested = try await f.diff([pa, pb, "--kind", "cpu"])
        #expect(requested.status == 1)
        #expect(requested.stderr.contains("among the requested kinds (cpu)"))
    }

    @Test func incompatibleSampleTypesNameBothSnapshots() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let a = try await f.importSnapshot([Samples.path("go1.27/heap-gc-a.pb.gz")], target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([Samples.path("go1.27/goroutine-b.pb.gz")], target: "svc", takenAt: "2026-11-27T02:01:00Z", kind: "heap")
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot compare the heap profiles of snapshots \(a) and \(b): profiles have empty common sample type list"))
    }

    @Test(arguments: [
        ("garbage", Array("this is not a profile at all\n".utf8), "malformed profile.proto"),
        ("truncated", Array("TRUNCATE".utf8), "gzip"),
    ])
    func garbageOrTruncatedProfilesFailNamingSnapshotAndArtifact(label: String, bytes: [UInt8], problem: String) async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let path = "\(f.tmp.path)/\(label).pb.gz"
        if label == "truncated" {
            let whole = try Data(contentsOf: URL(fileURLWithPath: Samples.path("go1.27/heap-gc-b.pb.gz")))
            try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let a = try await f.importSnapshot([Samples.path("go1.27/heap-gc-a.pb.gz")], target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([path], target: "svc", takenAt: "2026-11-27T02:01:00Z", kind: "heap")
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains("snapshot \(b) artifact \"heap.pb.gz\" (heap): "), "\(r.stderr)")
        #expect(r.stderr.contains(problem), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func garbageDumpFailsNamingTheArtifact() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let path = "\(f.tmp.path)/dump.txt"
        try Data("goroutine one [running]:\n\u{0}\u{1}garbage\n".utf8).write(to: URL(fileURLWithPath: path))
        let a = try await f.importSnapshot([Samples.path("go1.27/goroutine-a.debug2.txt")], target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([path], target: "svc", takenAt: "2026-11-27T02:01:00Z", kind: "stacks")
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains("snapshot \(b) artifact \"stacks.debug2.txt\" (stacks): "), "\(r.stderr)")
    }

    @Test func aDamagedArchiveFailsNamingIt() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        // Keep the archive's first half: the manifest (first member) still reads, the artifacts do not.
        let archive = "\(f.store)/snapshots/svc/2026/11/27/\(b).tar.gz"
        let whole = try Data(contentsOf: URL(fileURLWithPath: archive))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: archive))
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains(b), "\(r.stderr)")
        #expect(r.stderr.contains("damaged") || r.stderr.contains("corrupt") || r.stderr.contains("truncated"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func decompressionBombIsRefusedByTheInflateCap() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        // 300 MiB of zeros gzip to about 300 KiB; streamed by gzip, never held in memory.
        let bomb = "\(f.tmp.path)/bomb.pb.gz"
        let made = try await run("/bin/sh", ["-c", "head -c 314572800 /dev/zero | gzip -9 > '\(bomb)'"])
        #expect(made.status == 0, "\(made.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int)
        #expect(size < 1 << 20)
        let a = try await f.importSnapshot([Samples.path("go1.27/heap-gc-a.pb.gz")], target: "svc", takenAt: "2026-11-27T02:00:00Z")
        let b = try await f.importSnapshot([bomb], target: "svc", takenAt: "2026-11-27T02:01:00Z", kind: "heap")
        let r = try await f.diff([a, b])
        #expect(r.status == 1)
        #expect(r.stderr.contains("snapshot \(b) artifact \"heap.pb.gz\" (heap): malformed profile.proto: it inflates to more than 268435456 bytes (decompression bomb"), "\(r.stderr)")
    }

    @Test func emptyProfilesDiffToZeroTotals() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        // A valid profile.proto with one sample type (inuse_space/bytes), the heap period type (space/bytes) and
        // no samples: sample_type {1, 2}, string_table ["", inuse_space, bytes, space], period_type {3, 2}.
        var proto: [UInt8] = [0x0A, 0x04, 0x08, 0x01, 0x10, 0x02, 0x32, 0x00]
        for s in ["inuse_space", "bytes", "space"] { proto += [0x32, UInt8(s.utf8.count)] + Array(s.utf8) }
        proto += [0x5A, 0x04, 0x08, 0x03, 0x10, 0x02]
        let empty = "\(f.tmp.path)/empty.pb"
        try Data(proto).write(to: URL(fileURLWithPath: empty))
        let a = try await f.importSnapshot([empty], target: "svc", takenAt: "2026-11-27T02:00:00Z", kind: "heap")
        let b = try await f.importSnapshot([empty], target: "svc", takenAt: "2026-11-27T02:01:00Z", kind: "heap")
        let r = try await f.diff([a, b, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("the heap profiles of both snapshots have no samples"))
        let heap = try #require(((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        #expect(heap["total_a"] as? Int == 0)
        #expect(heap["total_b"] as? Int == 0)
        #expect((heap["functions"] as? [Any])?.isEmpty == true)

        // Against a real profile, everything is growth from zero.
        let real = try await f.importSnapshot([Samples.path("go1.27/heap-gc-b.pb.gz")], target: "svc", takenAt: "2026-11-27T02:02:00Z")
        let grown = try await #require((try f.diffJSON([a, real])["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        #expect(grown["total_a"] as? Int == 0)
        let rows = try #require(grown["functions"] as? [[String: Any]])
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0["flat_a"] as? Int == 0 && $0["cum_a"] as? Int == 0 && $0["flat_delta"] as? Int == $0["flat_b"] as? Int })
        #expect(grown["total_b"] as? Int == rows.reduce(0) { $0 + ($1["flat_b"] as? Int ?? 0) })
        #expect((grown["total_b"] as? Int ?? 0) > 15 << 20)
    }

    @Test func usageErrorsExitTwo() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        await #expect(try f.diff([a, b, "--granularity", "files"]).status == 2)
        await #expect(try f.diff([a, b, "--kind", "custom"]).status == 2)
        await #expect(try f.diff([a, b, "--kind", "nonsense"]).status == 2)
        await #expect(try f.diff([a, b, "--format", "svg"]).status == 2)
        let missing = try await f.diff([a, "svc@latest~5"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("svc@latest~5"))
    }

    @Test func selectorsAndLinesGranularityWork() async throws {
        let f = DiffFixture(); defer { f.tmp.cleanup() }
        let (a, b) = try await f.importPair("go1.27")
        let json = try await f.diffJSON(["svc@latest~1", "svc@latest", "--kind", "heap", "--granularity", "lines"])
        #expect((json["a"] as? [String: Any])?["id"] as? String == a)
        #expect((json["b"] as? [String: Any])?["id"] as? String == b)
        let heap = try #require((json["profiles"] as? [String: Any])?["heap"] as? [String: Any])
        let (exportA, exportB) = await (try f.export(a), try f.export(b))
        expectRowsEqualPprof(heap, try await GoPprof.top(["-unit=B", "-lines", "-diff_base=\(exportA)/heap.pb.gz", "\(exportB)/heap.pb.gz"]).rows, "lines")
    }
}
