import Foundation
import Testing
@testable import Profiles

@Suite("Goroutine count profile text (debug=1) parsing")
struct GoroutineProfileTextTests {
    @Test("Go 1.19 goroutine-b: total, groups, labels, frames and address counts")
    func go119() throws {
        let text = try GoroutineProfileText.parse(try goroutineSample("go1.19/goroutine-b.debug1.txt"))
        #expect(text.profileName == "goroutine")
        #expect(text.total == 46)
        #expect(text.groups.reduce(0) { $0 + $1.count } == 46)
        let leaky = try #require(text.groups.first)
        #expect(leaky.count == 38)
        #expect(leaky.labels == ["worker": "leaky"])
        #expect(leaky.addressCount == 8)
        #expect(leaky.frames.first == StackFrame(function: "main.leakyWorker", file: "/tmp/gbsnapdemo/main.go", line: 48))
        #expect(leaky.frames.map(\.function) == [
            "main.leakyWorker", "main.startLeakyWorkers.func1.1", "runtime/pprof.Do", "main.startLeakyWorkers.func1",
        ])
        let deep = try #require(text.groups.first { $0.frames.first?.function == "main.recurse" })
        #expect(deep.addressCount == 32)
    }

    @Test("Go 1.27 goroutine-b: 28 leaky, 7 local-channel leaks, generic names, 128-PC stacks")
    func go127() throws {
        let text = try GoroutineProfileText.parse(try goroutineSample("go1.27/goroutine-b.debug1.txt"))
        #expect(text.total == 43)
        #expect(text.groups.map(\.count).prefix(2) == [28, 7])
        #expect(text.groups[1].signature == ["main.leakLocal.func1"])
        #expect(text.groups.contains { $0.signature == ["main.waitGeneric[...]"] })
        #expect(text.groups.first { $0.frames.first?.function == "main.recurse" }?.addressCount == 128)
    }

    @Test("other count profiles: goroutineleak and threadcreate with an empty stack")
    func otherProfiles() throws {
        let leak = try GoroutineProfileText.parse(try goroutineSample("go1.27/goroutineleak-b.debug1.txt"))
        #expect(leak.profileName == "goroutineleak")
        #expect(leak.groups.reduce(0) { $0 + $1.count } == leak.total)
        let threads = try GoroutineProfileText.parse(try goroutineSample("go1.19/threadcreate.debug1.txt"))
        #expect(threads.profileName == "threadcreate")
        #expect(threads.groups.first?.count == 7)
        #expect(threads.groups.first?.frames.isEmpty == true)  // `#\t0x0`: no function
    }

    @Test("readTotal reads only the first line")
    func readTotal() {
        #expect(GoroutineProfileText.readTotal(fromPrefix: Array("goroutine profile: total 43\n38 @ 0x1".utf8)) == 43)
        #expect(GoroutineProfileText.readTotal(fromPrefix: Array("goroutine profile: total 4".utf8)) == nil)
        #expect(GoroutineProfileText.readTotal(fromPrefix: Array("<html>\n".utf8)) == nil)
        #expect(GoroutineProfileText.readTotal(fromPrefix: Array("goroutine profile: total x\n".utf8)) == nil)
        #expect(GoroutineProfileText.readTotal(fromPrefix: []) == nil)
    }

    @Test("a missing header is a clear error", arguments: ["", "goroutine 1 [running]:\n", "--- contention:\n"])
    func missingHeader(text: String) throws {
        let error = #expect(throws: GoroutineProfileTextError.self) { try GoroutineProfileText.parse(text) }
        #expect(error?.description.contains("is not `<name> profile: total N`") == true)
    }

    @Test("a malformed block line names its line number")
    func malformedLine() throws {
        let error = #expect(throws: GoroutineProfileTextError.self) {
            try GoroutineProfileText.parse("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\nbogus\n")
        }
        #expect(error == .malformedLine(line: 4, text: "bogus"))
        #expect(error?.description.contains("line 4") == true)
        let orphan = #expect(throws: GoroutineProfileTextError.self) {
            try GoroutineProfileText.parse("goroutine profile: total 1\n#\t0x1\tmain.f+0x1\t/a.go:1\n")
        }
        #expect(orphan == .malformedLine(line: 2, text: "#\t0x1\tmain.f+0x1\t/a.go:1"))
        #expect(throws: GoroutineProfileTextError.self) {
            try GoroutineProfileText.parse("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\"}\n")
        }
    }

    @Test("Data and String entry points agree")
    func entryPoints() throws {
        let bytes = try goroutineSample("go1.27/goroutine-a.debug1.txt")
        let parsed = try GoroutineProfileText.parse(bytes)
        #expect(try GoroutineProfileText.parse(Data(bytes)) == parsed)
        #expect(try GoroutineProfileText.parse(String(decoding: bytes, as: UTF8.self)) == parsed)
    }
}
