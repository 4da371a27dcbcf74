import Foundation
import Ink
import Testing
@testable import Diff
import Profiles

/// A diff of the real Go 1.27 sample pair (heap, goroutine profile, debug=2 dumps, vars), the way `gbsnap diff`
/// computes it from two snapshots.
func samplePairDiff(_ go: String = "go1.27", kinds: [CaptureKind: String]? = nil, gates: [FailOnGate] = []) throws -> SnapshotDiffResult {
    let files = kinds ?? [
        .heap: go == "go1.27" ? "heap-gc-%@.pb.gz" : "heap-%@.pb.gz", .goroutine: "goroutine-%@.pb.gz",
        .stacks: "goroutine-%@.debug2.txt", .vars: "vars-%@.json",
    ]
    func side(_ s: String, _ at: TimeInterval) -> SnapshotDiffInput.Side {
        SnapshotDiffInput.Side(id: "snap-\(s)", target: "svc", takenAt: Date(timeIntervalSince1970: at),
                               kinds: files.keys.sorted()) { kind in
            try goroutineDiffSample("\(go)/" + (files[kind] ?? "").replacingOccurrences(of: "%@", with: s))
        }
    }
    return try SnapshotDiff.compute(SnapshotDiffInput(a: side("a", 1_795_000_000), b: side("b", 1_795_000_065), gates: gates))
}

@Suite("Diff headline, bounded tables, markdown")
struct DiffReportTests {
    @Test("the first lines answer what grew: one line per kind with totals, delta, relative change and top growers")
    func headlineFirst() throws {
        let result = try samplePairDiff()
        let lines = SnapshotDiffRender.text(result).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("A: snap-a (svc, "))
        #expect(lines[1].hasPrefix("B: snap-b (svc, ") && lines[1].hasSuffix(", 1m5s later)"))
        #expect(lines[2].isEmpty)

        let heap = try #require(result.profiles.first { $0.kind == .heap }).diff
        let unit = heap.sampleType.unit
        let growers = heap.entries.filter { $0.flatDelta > 0 }.prefix(3)
        let expected = "heap inuse_space \(ValueFormatter.format(heap.totalA, unit: unit)) → \(ValueFormatter.format(heap.totalB, unit: unit)) "
            + "(\(ValueFormatter.format(heap.totalDelta, unit: unit, signed: true)), "
            + "\(DiffHeadline.relativeChange(Double(heap.totalA), Double(heap.totalB)))): "
            + growers.map { "\(ValueFormatter.format($0.flatDelta, unit: unit, signed: true)) \(DiffHeadline.shortName($0.name))" }
                .joined(separator: ", ")
        #expect(lines[3].hasPrefix(expected), "\(lines[3])")
        // The 6 suspect groups (28 leaky workers first) are named before any table; the goroutine profile's own
        // line would say the same.
        #expect(lines[4].hasPrefix("goroutines 11 → 43 (+32, +291%), 6 leak suspects (+32): +25 main.leakyWorker [chan receive], "))
        #expect(lines[5] == "runtime heap in use 2.63MB → 11.83MB (+9.20MB), 6 GC cycles, pause total +1.05ms (p99 364.53us), allocating 274.03kB/s over 1m5s")
        #expect(lines[6].isEmpty)
        // Tables only after the headline.
        #expect(lines.firstIndex { $0.hasPrefix("==") } == 7)
        #expect(lines[7] == "== heap inuse_space ==")
    }

    /// 30 rows that changed (flat deltas 30…1) and 10 that did not, in pprof's order.
    static let wideDiff: ProfileDiff = {
        var entries = (1...30).map { i in
            ProfileDiff.Entry(name: "main.f\(i)", function: "main.f\(i)", flatA: 100, flatB: 100 + Int64(i), cumA: 100, cumB: 100 + Int64(i))
        }
        entries += (1...10).map { ProfileDiff.Entry(name: "main.same\($0)", function: "main.same\($0)", flatA: 0, flatB: 0, cumA: 5, cumB: 5) }
        entries.sort(by: ProfileDiff.pprofOrder)
        return ProfileDiff(sampleType: .init(type: "inuse_space", unit: "bytes"), sampleIndex: 0, granularity: .functions,
                           totalA: 3_000, totalB: 3_465, entries: entries)
    }()

    @Test("tables show 20 changed rows by default, hide zero rows, and say how to see the rest")
    func boundedTables() throws {
        let heap = Self.wideDiff
        let table = TopTable.render(heap, bounds: .standard)
        let rows = table.split(separator: "\n").dropFirst(3)
        #expect(rows.count == 21)
        #expect(rows.first?.hasSuffix("  main.f30") == true)
        #expect(rows.last == "(10 more rows: --limit 0 shows all; 10 unchanged rows hidden: --all shows them)")
        #expect(!rows.contains { $0.contains("main.same") })

        let everything = TopTable.render(heap, bounds: TableBounds(limit: nil, all: true))
        #expect(everything.split(separator: "\n").count == 3 + 40)
        let allChanged = TopTable.render(heap, bounds: TableBounds(limit: nil, all: false))
        #expect(allChanged.split(separator: "\n").count == 3 + 30 + 1)
        #expect(allChanged.split(separator: "\n").last == "(10 unchanged rows hidden: --all shows them)")
        let one = TopTable.render(heap, bounds: TableBounds(limit: 29, all: true))
        #expect(one.split(separator: "\n").last == "(11 more rows: --limit 0 shows all)")
    }

    @Test("goroutine groups: changed first (growth, then shrink), unchanged hidden unless --all")
    func goroutineTableOrder() throws {
        let g = try #require(try samplePairDiff().goroutines)
        let order = g.changedFirst
        let firstShrink = order.firstIndex { $0.delta < 0 } ?? order.count
        let firstSame = order.firstIndex { $0.delta == 0 } ?? order.count
        #expect(order[..<min(firstShrink, firstSame)].allSatisfy { $0.delta > 0 })
        #expect(order[firstSame...].allSatisfy { $0.delta == 0 })
        let unchanged = g.groups.filter { $0.delta == 0 }.count
        let text = g.renderText(bounds: TableBounds(limit: nil, all: false))
        if unchanged > 0 { #expect(text.contains("(\(unchanged) unchanged group\(unchanged == 1 ? "" : "s") hidden: --all shows them)")) }
        #expect(text.contains("leak suspects: 6"))
    }

    @Test("an etcd-sized all-kinds diff fits in 200 lines")
    func compact() throws {
        let text = SnapshotDiffRender.text(try samplePairDiff())
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count <= 200)
    }

    @Test("colour only when asked for, and names shortened only with a width")
    func terminalManners() throws {
        let result = try samplePairDiff()
        let plain = SnapshotDiffRender.text(result)
        #expect(!plain.contains("\u{1B}["))
        let coloured = SnapshotDiffRender.text(result, style: TextStyle(color: true, width: nil))
        #expect(coloured.contains("\u{1B}[31m") && coloured.contains("\u{1B}[32m") && coloured.contains("\u{1B}[1;33m"))
        let narrow = SnapshotDiffRender.text(result, style: TextStyle(color: false, width: 100))
        for line in narrow.split(separator: "\n") where line.contains("  …") {
            #expect(line.count <= 100 + 2, "\(line)")
        }
        #expect(narrow.contains("…"))
        #expect(plain.replacing(/\u{1B}\[[0-9;]*m/, with: "") == coloured.replacing(/\u{1B}\[[0-9;]*m/, with: ""))
    }

    @Test("short names drop the import path and receiver decoration", arguments: [
        ("go.etcd.io/etcd/etcdserverpb.(*InternalRaftRequest).Marshal", "InternalRaftRequest.Marshal"),
        ("bufio.NewReaderSize", "bufio.NewReaderSize"),
        ("main.leakyWorker", "main.leakyWorker"),
        ("net/http.(*persistConn).readLoop", "persistConn.readLoop"),
        ("main.(*server).handle.func1", "server.handle.func1"),
        ("runtime/pprof.Do", "pprof.Do"),
        ("main.main /src/main.go:12", "main.main /src/main.go:12"),
    ])
    func shortNames(_ full: String, _ short: String) {
        #expect(DiffHeadline.shortName(full) == short)
    }

    @Test("relative change", arguments: [(100.0, 397.0, "+297%"), (100, 88, "-12%"), (1000, 1004, "+0.4%"), (5, 5, "0%"), (0, 7, "new"), (7, 0, "-100%")])
    func relative(_ a: Double, _ b: Double, _ text: String) {
        #expect(DiffHeadline.relativeChange(a, b) == text)
    }

    @Test("markdown parses as GitHub tables: snapshots, one per kind, goroutines, runtime; every row has the header's cells")
    func markdownStructure() throws {
        let result = try samplePairDiff()
        let md = SnapshotDiffRender.markdown(result)
        let html = MarkdownParser().html(from: md)
        let tables = html.components(separatedBy: "<table>").dropFirst()
        #expect(tables.count == 1 + result.profiles.count + 2)
        for table in tables {
            let header = table.components(separatedBy: "</th>").count - 1
            let rows = table.components(separatedBy: "<tr>").dropFirst(2)
            #expect(header >= 4)
            for row in rows { #expect(row.components(separatedBy: "</td>").count - 1 == header, "\(row)") }
        }
        // The headline comes first, as a list, and names what grew.
        let list = try #require(html.range(of: "<ul>"))
        #expect(list.lowerBound < (html.range(of: "<h4>")?.lowerBound ?? html.endIndex))
        #expect(html.contains("leakyWorker [chan receive]"))
        let heap = try #require(result.profiles.first).diff
        let heapRows = try #require(tables.dropFirst().first).components(separatedBy: "<tr>").count - 2
        #expect(heapRows == min(20, heap.entries.filter { $0.flatDelta != 0 || $0.cumDelta != 0 }.count))
    }

    @Test("markdown escapes a pipe in a name so the table keeps its columns")
    func markdownEscapes() {
        #expect(SnapshotDiffRender.md("a|b<c") == "a\\|b&lt;c")
    }

    @Test("folded output carries both sides, as difffolded.pl writes them")
    func foldedPairs() throws {
        let result = try samplePairDiff()
        let text = try SnapshotDiffRender.folded(result)
        let heap = try #require(result.profiles.first { $0.kind == .heap })
        var sumA: Int64 = 0, sumB: Int64 = 0
        for line in text.split(separator: "\n") where line.hasPrefix("heap;") {
            let parts = line.split(separator: " ")
            sumA += Int64(parts[parts.count - 2]) ?? 0
            sumB += Int64(parts[parts.count - 1]) ?? 0
        }
        #expect(sumA == heap.diff.totalA && sumB == heap.diff.totalB)
    }
}

@Suite("Differential flame tree")
struct FlameTreeTests {
    @Test("every frame's flat and cum equal the pprof -top row of the diff; totals add up", arguments: ["go1.19", "go1.27"])
    func matchesProfileDiff(_ go: String) throws {
        for c in try samplePairDiff(go).profiles {
            let tree = try FlameTree.profiles(base: c.base, current: c.current, sampleIndex: c.sampleIndex)
            #expect(tree.totalA[0] == c.diff.totalA && tree.totalB[0] == c.diff.totalB)
            var byName: [String: Int] = [:]
            for (i, n) in tree.names.enumerated() { byName[n] = i }
            for e in c.diff.entries {
                let i = try #require(byName[e.name], "\(e.name) missing from the tree")
                #expect(tree.flatA[i] == e.flatA && tree.flatB[i] == e.flatB && tree.cumA[i] == e.cumA && tree.cumB[i] == e.cumB, "\(c.kind) \(e.name)")
            }
            var childSumA = [Int64](repeating: 0, count: tree.count), childSumB = childSumA
            for n in 1..<tree.count {
                childSumA[Int(tree.parent[n])] += tree.totalA[n]
                childSumB[Int(tree.parent[n])] += tree.totalB[n]
            }
            for n in 0..<tree.count {
                #expect(tree.totalA[n] == tree.selfA[n] + childSumA[n] && tree.totalB[n] == tree.selfB[n] + childSumB[n])
            }
        }
    }

    @Test("pruning keeps the node budget and loses no value: pruned children fold into one other node")
    func pruning() throws {
        var tree = FlameTree()
        // 3,000 distinct small stacks under one parent plus one big one.
        let main = tree.intern("main.main"), big = tree.intern("main.big")
        tree.add(rootFirst: [main, big], value: 1_000_000, side: .b)
        tree.add(rootFirst: [main, big], value: 500_000, side: .a)
        for i in 0..<3_000 {
            let leaf = tree.intern("main.small\(i)")
            tree.add(rootFirst: [main, leaf], value: 10, side: .a)
            tree.add(rootFirst: [main, leaf], value: 11, side: .b)
        }
        #expect(tree.keptNodes(maxNodes: 5_000).allSatisfy { $0 }, "a tree within the budget is kept whole")
        let keep = tree.keptNodes(maxNodes: 100)
        #expect(keep.filter { $0 }.count <= 100)
        let json = tree.json(title: "t", unit: "bytes", keep: keep)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let names = try #require(object["names"] as? [String])
        let root = try #require(object["root"] as? [Any])
        #expect(root[3] as? Int == 530_000 && root[4] as? Int == 1_033_000)
        let mainNode = try #require((root[5] as? [[Any]])?.first)
        let kids = try #require(mainNode[5] as? [[Any]])
        #expect(names[mainNode[0] as? Int ?? -1] == "main.main")
        #expect(kids.reduce(0) { $0 + ($1[4] as? Int ?? 0) } == mainNode[4] as? Int)
        let other = try #require(kids.last)
        #expect(names[other[0] as? Int ?? -1] == "(other)" && other[6] as? Int == 3_000)
        #expect(other[3] as? Int == 30_000 && other[4] as? Int == 33_000)
    }

    @Test("JSON strings embedded in a page cannot close the script element")
    func jsonEscapes() {
        #expect(JSONText.string("a</script>\"\\\n\u{1}") == "\"a\\u003c/script>\\\"\\\\\\n\\u0001\"")
    }
}
