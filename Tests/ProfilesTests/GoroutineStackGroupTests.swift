import Foundation
import Testing
@testable import Profiles

/// The specification of `GoroutineDump.groupStacks`: the groups one gets by parsing every record and grouping
/// the records by (signature, created-by function, labels, state, leaked) in order of first appearance.
private func groupedRecords(_ bytes: [UInt8]) throws -> [GoroutineStackGroup] {
    var groups: [GoroutineStackGroup] = []
    for record in try GoroutineDump.parse(bytes).goroutines {
        let wait = record.waitMinutes ?? 0
        if let at = groups.firstIndex(where: {
            $0.signature == record.signature && $0.createdBy == record.createdBy?.function && $0.labels == record.labels
                && $0.state == record.state && $0.leaked == record.leaked
        }) {
            groups[at].count += 1
            groups[at].maxWaitMinutes = max(groups[at].maxWaitMinutes, wait)
            groups[at].maxID = max(groups[at].maxID, record.id)
        } else {
            var group = GoroutineStackGroup(signature: record.signature, createdBy: record.createdBy?.function,
                                            labels: record.labels, state: record.state, leaked: record.leaked,
                                            count: 1, maxWaitMinutes: wait)
            group.maxID = record.id
            groups.append(group)
        }
    }
    return groups
}

@Suite("Goroutine dump (debug=2) stack groups")
struct GoroutineStackGroupTests {
    static let samples = [
        "go1.19/goroutine-a.debug2.txt", "go1.19/goroutine-b.debug2.txt", "go1.27/goroutine-a.debug2.txt",
        "go1.27/goroutine-b.debug2.txt", "go1.27/goroutine-b.after-goroutineleak.debug2.txt",
    ]

    @Test("groups counted off a real dump equal the grouped parsed records", arguments: samples)
    func realDumps(sample: String) throws {
        let bytes = try goroutineSample(sample)
        let groups = try GoroutineDump.groupStacks(bytes)
        #expect(groups == (try groupedRecords(bytes)))
        #expect(groups.reduce(0) { $0 + $1.count } == (try GoroutineDump.parse(bytes)).goroutines.count)
    }

    @Test("a dump cut anywhere groups as its parsed records do")
    func cutDumps() throws {
        let bytes = try goroutineSample("go1.27/goroutine-b.after-goroutineleak.debug2.txt")
        for cut in stride(from: 40, to: bytes.count, by: 331) {
            let part = Array(bytes[..<cut])
            #expect((try GoroutineDump.groupStacks(part)) == (try groupedRecords(part)), "cut at \(cut)")
        }
    }

    @Test("edge cases: generics, panics, leading internal/runtime frames, empty creators, ancestors, labels, elisions")
    func edgeCases() throws {
        let text = """
            goroutine 1 [chan receive, 3 minutes, locked to thread]:
            internal/runtime/maps.f()
            \t/a.go:1 +0x1
            runtime.gopark(0x1)
            \t/r.go:2 +0x2
            main.Map[go.shape.int,go.shape.[]string].Get(...)
            \t/m.go:3
            main.Map[...].Get()
            main.run()
            \t/m.go:4 +0x4
            created by  in goroutine 7
            \t/m.go:5 +0x5

            goroutine 2 [chan receive, 9 minutes]:
            internal/runtime/maps.f()
            \t/a.go:1 +0x1
            main.Map[...].Get()
            \t/m.go:3
            main.Map[go.shape.string].Get(...)
            main.run()
            \t/m.go:4 +0x4
            created by  in goroutine 8

            goroutine 3 [select (scan) (leaked)] {worker: leaky, "k y": "v"}:
            runtime.gopanic({0x1})
            \t/p.go:1
            internal/runtime/maps.f()
            ...3 frames elided...
            created by main.start
            \t/m.go:9 +0x9
            [originating from goroutine 1]:
            main.ancestor()

            goroutine 4 [select (leaked)] {worker: leaky, "k y": "v"}:
            panic({0x1})
            internal/runtime/maps.f()
            created by main.start
            main.afterCreator()
            goroutine 5 [running]:
            goroutine running on other thread; stack unavailable
            """
        let bytes = Array(text.utf8)
        let groups = try GoroutineDump.groupStacks(bytes)
        #expect(groups == (try groupedRecords(bytes)))
        #expect(groups.first?.count == 2 && groups.first?.maxWaitMinutes == 9 && groups.first?.createdBy == "")
        #expect(groups.first?.signature == ["main.Map[...].Get", "main.Map[...].Get", "main.run"])
    }

    @Test("lines of real dumps shuffled into odd orders group as their parsed records do")
    func shuffledLines() throws {
        let lines = try Self.samples.flatMap { String(decoding: try goroutineSample($0), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // fixed xorshift seed: reproducible
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        for _ in 0..<200 {
            let picked = (0..<(20 + next(200))).map { _ in lines[next(lines.count)] }
            let bytes = Array(("goroutine 1 [running]:\n" + picked.joined(separator: "\n")).utf8)
            #expect((try GoroutineDump.groupStacks(bytes)) == (try groupedRecords(bytes)))
        }
    }

    @Test("input without a goroutine header is rejected as parse rejects it")
    func noHeader() throws {
        #expect(throws: GoroutineDumpError.noGoroutineHeader(byteCount: 0, firstLine: "")) { try GoroutineDump.groupStacks([]) }
        #expect(throws: GoroutineDumpError.self) { try GoroutineDump.groupStacks(Array("panic: boom\n".utf8)) }
    }
}
