import Foundation
import Testing
@testable import Diff
import Profiles

/// Reads a sample fixture shipped under Tests/Fixtures/samples.
func goroutineDiffSample(_ relative: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/samples/\(relative)")
    return Array(try Data(contentsOf: url))
}

/// `cum` of a function in a `go tool pprof -top` output (the column after flat, flat%, sum%).
func goroutinePprofTopCum(_ relative: String, function: String) throws -> Int? {
    let text = String(decoding: try goroutineDiffSample(relative), as: UTF8.self)
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count >= 6, fields[5] == Substring(function) { return Int(fields[3]) }
    }
    return nil
}

let goroutineLeakySignature = ["main.leakyWorker", "main.startLeakyWorkers.func1.1", "runtime/pprof.Do", "main.startLeakyWorkers.func1"]

@Suite("Goroutine growth")
struct GoroutineGrowthTests {
    func dumps(_ version: String, b: String = "goroutine-b.debug2.txt") throws -> GoroutineGrowth {
        GoroutineGrowth.compute(
            a: try GoroutineDump.parse(try goroutineDiffSample("\(version)/goroutine-a.debug2.txt")),
            b: try GoroutineDump.parse(try goroutineDiffSample("\(version)/\(b)")))
    }

    @Test("Go 1.27 dumps: 25 leaky + 7 local-channel goroutines are suspects, agreeing with go tool pprof")
    func go127() throws {
        let growth = try dumps("go1.27")
        #expect(growth.totalA == 11 && growth.totalB == 43)
        let leaky = try #require(growth.groups.first)
        #expect(leaky.signature == goroutineLeakySignature)
        #expect(leaky.countA == 3 && leaky.countB == 28 && leaky.delta == 25)
        #expect(leaky.delta == (try goroutinePprofTopCum("go1.27/pprof-cli/goroutine.diff_base.top.txt", function: "main.leakyWorker")))
        #expect(leaky.labels == ["worker": "leaky"])
        #expect(leaky.state == "chan receive" && leaky.maxWaitMinutesB == 1)
        #expect(leaky.createdBy == "main.startLeakyWorkers")
        #expect(leaky.status == .changed && leaky.suspect)
        #expect(leaky.hint?.contains("receiving from a channel") == true)

        let local = growth.groups[1]
        #expect(local.signature == ["main.leakLocal.func1"])
        #expect(local.countA == 0 && local.countB == 7 && local.status == .new && local.suspect)
        #expect(local.delta == (try goroutinePprofTopCum("go1.27/pprof-cli/goroutine.diff_base.top.txt", function: "main.leakLocal.func1")))
        #expect(local.state == "chan send" && local.hint?.contains("sending on a channel") == true)

        // Go's leak detector marked four older goroutines (leaked): suspects even without growth.
        let leaked = growth.groups.filter(\.leaked)
        #expect(leaked.count == 4 && leaked.allSatisfy { $0.suspect && $0.delta == 0 && $0.hint?.hasPrefix("marked (leaked)") == true })
        #expect(growth.suspects.count == 6)
        // Non-blocking growth is not suspect: the HTTP connection reader.
        let reader = try #require(growth.groups.first { $0.createdBy == "net/http.(*connReader).startBackgroundRead" && $0.delta > 0 })
        #expect(reader.state == "IO wait" && !reader.suspect && reader.hint == nil)
        let vanished = try #require(growth.groups.last)
        #expect(vanished.status == .vanished && vanished.delta == -1 && vanished.maxWaitMinutesB == nil)
        #expect(growth.groups.map(\.delta) == growth.groups.map(\.delta).sorted(by: >))
        #expect(growth.groups.reduce(0) { $0 + $1.delta } == growth.totalB - growth.totalA)
    }

    @Test("Go 1.19 dumps: 35 leaky goroutines (25 + 10 from the delta request), as go tool pprof reports")
    func go119() throws {
        let growth = try dumps("go1.19")
        #expect(growth.totalA == 11 && growth.totalB == 46)
        let leaky = try #require(growth.groups.first)
        #expect(leaky.signature == goroutineLeakySignature && leaky.delta == 35 && leaky.suspect)
        #expect(leaky.labels.isEmpty)  // Go 1.19 prints no labels in debug=2
        #expect(leaky.delta == (try goroutinePprofTopCum("go1.19/pprof-cli/goroutine.diff_base.top.txt", function: "main.leakyWorker")))
        #expect(growth.suspects.map(\.signature) == [goroutineLeakySignature])
        // The syscall goroutine that vanished is the `-1 syscall.Syscall` row of pprof's diff.
        let syscall = try #require(growth.groups.first { $0.signature.first == "syscall.Syscall" })
        #expect(syscall.delta == (try goroutinePprofTopCum("go1.19/pprof-cli/goroutine.diff_base.top.txt", function: "syscall.Syscall")))
    }

    @Test("the dump taken after the leak GC marks the 7 local-channel goroutines (leaked)")
    func afterLeakGC() throws {
        let growth = try dumps("go1.27", b: "goroutine-b.after-goroutineleak.debug2.txt")
        let local = try #require(growth.groups.first { $0.signature == ["main.leakLocal.func1"] })
        #expect(local.delta == 7 && local.leaked && local.suspect && local.maxWaitMinutesB == 0)
    }

    @Test("debug=1 text gives the same counts; states are inferred only where frames show them",
          arguments: ["go1.19", "go1.27"])
    func debug1(version: String) throws {
        let growth = GoroutineGrowth.compute(
            a: try GoroutineProfileText.parse(try goroutineDiffSample("\(version)/goroutine-a.debug1.txt")),
            b: try GoroutineProfileText.parse(try goroutineDiffSample("\(version)/goroutine-b.debug1.txt")))
        let dumpGrowth = try dumps(version)
        #expect(growth.totalA == dumpGrowth.totalA && growth.totalB == dumpGrowth.totalB)
        let leaky = try #require(growth.groups.first)
        #expect(leaky.signature == goroutineLeakySignature && leaky.delta == dumpGrowth.groups[0].delta)
        #expect(leaky.state == nil && !leaky.suspect && leaky.maxWaitMinutesB == nil)
        let main = try #require(growth.groups.first { $0.signature.last == "main.main" })
        #expect(main.state == "IO wait")
    }

    @Test("inputs merge by signature, creator and labels; the dominant state wins; wait is the maximum")
    func merging() {
        let sig = ["main.worker"]
        let a = [GoroutineGroupInput(signature: sig, count: 2, state: "chan receive", waitMinutes: 3)]
        let b = [
            GoroutineGroupInput(signature: sig, count: 5, state: "chan receive", waitMinutes: 9),
            GoroutineGroupInput(signature: sig, count: 2, state: "running", waitMinutes: 0),
            GoroutineGroupInput(signature: sig, count: 1, state: "running", labels: ["k": "v"]),
        ]
        let growth = GoroutineGrowth.compute(a: a, b: b)
        #expect(growth.groups.count == 2)
        let g = growth.groups[0]
        #expect(g.countA == 2 && g.countB == 7 && g.delta == 5)
        #expect(g.state == "chan receive" && g.states == ["chan receive": 5, "running": 2])
        #expect(g.maxWaitMinutesB == 9 && g.suspect)
        #expect(growth.groups[1].labels == ["k": "v"] && growth.groups[1].status == .new && !growth.groups[1].suspect)
    }

    @Test("suspect rules: blocked states, unclosed HTTP bodies, leaked; not sleeping, running or shrinking")
    func suspectRules() {
        func group(_ state: String?, delta: Int, signature: [String] = ["main.f"], leaked: Bool = false) -> GoroutineGrowth.Group {
            let a = [GoroutineGroupInput(signature: signature, count: 10, state: state, leaked: false)]
            let b = [GoroutineGroupInput(signature: signature, count: 10 + delta, state: state, leaked: leaked)]
            return GoroutineGrowth.compute(a: a, b: b).groups[0]
        }
        for state in ["chan receive", "chan send", "select", "select (no cases)", "semacquire", "sync.Mutex.Lock",
                      "sync.RWMutex.RLock", "sync.WaitGroup.Wait", "sync.Cond.Wait", "chan receive (nil chan)",
                      "chan receive (durable)"] {
            #expect(group(state, delta: 3).suspect, "\(state)")
            #expect(!group(state, delta: 0).suspect, "\(state)")
            #expect(!group(state, delta: -3).suspect, "\(state)")
        }
        for state in ["sleep", "running", "runnable", "syscall", "IO wait"] {
            #expect(!group(state, delta: 50).suspect, "\(state)")
        }
        let body = group("IO wait", delta: 40, signature: ["internal/poll.runtime_pollWait", "net/http.(*persistConn).readLoop"])
        #expect(body.suspect && body.hint?.contains("response body is not closed") == true)
        #expect(group("select", delta: 1, signature: ["net/http.(*persistConn).writeLoop"]).hint?.contains("Body.Close") == true)
        #expect(group("sleep", delta: 0, leaked: true).suspect)
        #expect(group(nil, delta: 9).suspect == false)
        #expect(LeakHeuristics.blockedHint(state: "chan send (nil chan)")?.contains("nil channel") == true)
    }

    /// Samples of a `go tool pprof -traces` output: (value, labels, functions leaf first).
    func pprofTraces(_ relative: String) throws -> [(Int, [String: String], [String])] {
        let text = String(decoding: try goroutineDiffSample(relative), as: UTF8.self)
        var samples: [(Int, [String: String], [String])] = []
        for block in text.components(separatedBy: "-----------+-------------------------------------------------------\n").dropFirst() {
            var labels: [String: String] = [:]
            var value = 0
            var functions: [String] = []
            for line in block.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if functions.isEmpty, let colon = trimmed.range(of: ":  ") {
                    let key = String(trimmed[..<colon.lowerBound])
                    if key != "pprof::base" { labels[key] = String(trimmed[colon.upperBound...]) }
                    continue
                }
                // " (inline)" is pprof's annotation, not part of the function name in the proto.
                let name = trimmed.hasSuffix(" (inline)") ? String(trimmed.dropLast(9)) : trimmed
                let fields = name.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if functions.isEmpty, fields.count == 2, let v = Int(fields[0]) {
                    value = v
                    functions.append(fields[1])
                } else if !name.isEmpty {
                    functions.append(name)
                }
            }
            if !functions.isEmpty { samples.append((value, labels, functions)) }
        }
        return samples
    }

    @Test("raw profile stacks (pprof -traces of the goroutine profiles) give the same groups and suspects as the dumps")
    func profileStacks() throws {
        let samples = try pprofTraces("go1.27/pprof-cli/goroutine.diff_base.traces.txt")
        #expect(samples.count == 17)
        // With -diff_base the base (A) samples print negated. -traces omits the one empty-stack sample of each
        // profile (an HTTP connection goroutine), hence 10 and 42 instead of 11 and 43.
        let a = samples.filter { $0.0 < 0 }.map { GoroutineGroupInput.stack(rawFunctions: $0.2, count: -$0.0, labels: $0.1) }
        let b = samples.filter { $0.0 > 0 }.map { GoroutineGroupInput.stack(rawFunctions: $0.2, count: $0.0, labels: $0.1) }
        let growth = GoroutineGrowth.compute(a: a, b: b)
        #expect(growth.totalA == 10 && growth.totalB == 42)
        #expect(growth.groups[0].signature == goroutineLeakySignature && growth.groups[0].delta == 25)
        #expect(growth.groups[0].labels == ["worker": "leaky"] && growth.groups[0].state == "chan receive")
        #expect(growth.groups[1].signature == ["main.leakLocal.func1"] && growth.groups[1].state == "chan send")
        // States come from the runtime frames, so the blocked growth is suspect; (leaked) is not in profiles.
        #expect(growth.suspects.map(\.countB) == [28, 7])

        // The same stacks as the debug=1 text of goroutine-a, count for count.
        let traces = try pprofTraces("go1.27/pprof-cli/goroutine-a.traces.txt")
        let text = try GoroutineProfileText.parse(try goroutineDiffSample("go1.27/goroutine-a.debug1.txt"))
        var fromTraces: [[String]: Int] = [:]
        for (value, _, functions) in traces { fromTraces[GoroutineGroupInput.stack(rawFunctions: functions, count: value).signature, default: 0] += value }
        var fromText: [[String]: Int] = [:]
        for group in text.groups where !group.signature.contains("net/http.(*connReader).backgroundRead") {
            fromText[group.signature, default: 0] += group.count
        }
        #expect(fromTraces == fromText)
        #expect(fromTraces[["main.waitGeneric[...]"]] == 1)
    }

    @Test("inferState reads the runtime frames of profile.proto stacks")
    func inferState() {
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1", "main.f"]) == "chan receive")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["runtime.gopark", "runtime.chansend", "runtime.chansend1"]) == "chan send")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["runtime.gopark", "runtime.selectgo", "main.f"]) == "select")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["runtime.gopark", "runtime.block", "main.f"]) == "select (no cases)")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["runtime.gopark", "runtime.semacquire1", "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait"]) == "sync.WaitGroup.Wait")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["sync.runtime_SemacquireMutex", "main.g"]) == "semacquire")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["time.Sleep"]) == "sleep")
        #expect(GoroutineGroupInput.inferState(rawFunctions: ["main.f"]) == nil)
    }

    @Test("JSON uses the documented snake_case keys, with nulls for absent values")
    func json() throws {
        let growth = try dumps("go1.27")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(growth)) as? [String: Any])
        #expect(Set(object.keys) == ["total_a", "total_b", "groups"])
        let groups = try #require(object["groups"] as? [[String: Any]])
        #expect(Set(groups[0].keys) == ["signature", "state", "states", "created_by", "labels", "count_a", "count_b",
                                        "delta", "max_wait_minutes_b", "leaked", "status", "suspect", "hint"])
        #expect(groups[0]["status"] as? String == "changed" && groups[1]["status"] as? String == "new")
        #expect(groups[0]["count_b"] as? Int == 28)
        #expect(groups.last?["max_wait_minutes_b"] is NSNull)
        let decoded = try JSONDecoder().decode(GoroutineGrowth.self, from: encoder.encode(growth))
        #expect(decoded == growth)
    }

    @Test("text rendering shows totals, the table and the suspects with hints")
    func text() throws {
        let text = try dumps("go1.27").renderText()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "goroutines: 11 -> 43 (+32)")
        #expect(lines[2].hasPrefix("         3         28        +25     1m  chan receive"))
        #expect(lines[2].contains("main.leakyWorker <- main.startLeakyWorkers.func1.1 <- runtime/pprof.Do <- ... (4 frames)"))
        #expect(lines[2].hasSuffix("created by main.startLeakyWorkers  [suspect]"))
        #expect(text.contains("leak suspects: 6\n  +25 (3 -> 28) main.leakyWorker"))
        #expect(text.contains("[chan receive] {worker=leaky}\n    blocked receiving"))
        let limited = try dumps("go1.27").renderText(bounds: TableBounds(limit: 2, all: true))
        #expect(limited.contains("(9 more groups: --limit 0 shows all)"))
        #expect(GoroutineGrowth.compute(a: [], b: []).renderText().contains("leak suspects: none"))
    }

    @Test("gate metrics expose totals and suspect counts")
    func gateMetrics() throws {
        let metrics = try dumps("go1.27").gateMetrics
        #expect(metrics["goroutines"] == GateMetricValue(a: 11, b: 43, unit: .count))
        #expect(metrics["goroutines.suspects"] == GateMetricValue(a: 7, b: 39, unit: .count))
    }

    @Test("groups counted straight off the dumps (what gbsnap diff uses) equal the groups of the parsed records",
          arguments: ["go1.19/goroutine-a.debug2.txt", "go1.19/goroutine-b.debug2.txt", "go1.27/goroutine-a.debug2.txt",
                      "go1.27/goroutine-b.debug2.txt", "go1.27/goroutine-b.after-goroutineleak.debug2.txt"])
    func countedGroupsEqualParsed(sample: String) throws {
        let bytes = try goroutineDiffSample(sample)
        #expect(GoroutineGroupInput.groups(from: try GoroutineDump.groupStacks(bytes))
            == GoroutineGroupInput.groups(from: try GoroutineDump.parse(bytes)))
    }
}
