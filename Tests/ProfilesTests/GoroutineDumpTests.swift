import Foundation
import Testing
@testable import Profiles

/// Reads a sample fixture shipped under Tests/Fixtures/samples.
func goroutineSample(_ relative: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/samples/\(relative)")
    return Array(try Data(contentsOf: url))
}

@Suite("Goroutine dump (debug=2) parsing")
struct GoroutineDumpTests {
    @Test("Go 1.27 dump: every goroutine, header fields, labels and (leaked) flags")
    func go127Headers() throws {
        let dump = try GoroutineDump.parse(try goroutineSample("go1.27/goroutine-b.debug2.txt"))
        #expect(dump.goroutines.count == 43)
        let first = try #require(dump.goroutines.first)
        #expect(first.id == 101)
        #expect(first.state == "running")
        #expect(first.frames.first == StackFrame(
            function: "runtime/pprof.writeGoroutineStacks",
            file: "/tmp/gobinvenv/lib/python3.11/site-packages/go/src/runtime/pprof/pprof.go", line: 816))
        #expect(first.createdBy?.function == "net/http.(*Server).Serve")
        #expect(first.createdBy?.line == 3604)
        #expect(first.creatorID == 1)

        let leaky = dump.goroutines.filter { $0.labels == ["worker": "leaky"] }
        #expect(leaky.count == 28)
        #expect(leaky.allSatisfy { $0.state == "chan receive" && $0.waitMinutes == 1 && !$0.leaked })
        #expect(leaky.first?.signature == [
            "main.leakyWorker", "main.startLeakyWorkers.func1.1", "runtime/pprof.Do", "main.startLeakyWorkers.func1",
        ])
        let leaked = dump.goroutines.filter(\.leaked)
        #expect(leaked.count == 4)
        #expect(Set(leaked.map(\.state)) == ["chan receive", "select (no cases)"])
        let locked = try #require(dump.goroutines.first { $0.lockedToThread })
        #expect(locked.state == "chan receive" && locked.leaked && locked.waitMinutes == nil)
        #expect(locked.frames.map(\.function) == ["main.lockedWaiter"])
        let local = dump.goroutines.filter { $0.frames.first?.function == "main.leakLocal.func1" }
        #expect(local.count == 7)
        #expect(local.allSatisfy { $0.state == "chan send" && $0.waitMinutes == 1 && $0.creatorID == 43 })
    }

    @Test("Go 1.27 elided frames: 50 inner + 50 outer frames and the elided count")
    func go127Elision() throws {
        let dump = try GoroutineDump.parse(try goroutineSample("go1.27/goroutine-b.debug2.txt"))
        let deep = try #require(dump.goroutines.first { $0.frames.first?.function == "main.recurse" })
        #expect(deep.truncated)
        #expect(deep.elidedFrames == 51)
        #expect(deep.frames.count == 100)
        #expect(deep.frames.allSatisfy { $0.function == "main.recurse" })
        #expect(deep.frames.last?.line == 81)
        #expect(deep.createdBy?.function == "main.main")
    }

    @Test("Go 1.19 dump: no labels, `created by` without goroutine id, no elision marker for cut stacks")
    func go119() throws {
        let dump = try GoroutineDump.parse(try goroutineSample("go1.19/goroutine-b.debug2.txt"))
        #expect(dump.goroutines.count == 46)
        #expect(dump.goroutines.allSatisfy { $0.labels.isEmpty && $0.creatorID == nil })
        let leaky = dump.goroutines.filter { $0.frames.first?.function == "main.leakyWorker" }
        #expect(leaky.count == 38)
        #expect(leaky.allSatisfy { $0.createdBy?.function == "main.startLeakyWorkers" })
        let locked = try #require(dump.goroutines.first { $0.lockedToThread })
        #expect(locked.waitMinutes == 1 && locked.state == "chan receive")
        let generic = try #require(dump.goroutines.first { $0.frames.first?.function == "main.waitGeneric[...]" })
        #expect(generic.frames.count == 1)
        let main = try #require(dump.goroutines.first { $0.id == 1 })
        #expect(main.createdBy == nil)
        #expect(main.frames.last?.function == "main.main")
        #expect(main.frames.contains { $0.function == "internal/poll.(*pollDesc).waitRead" && $0.line == 89 })
    }

    @Test("after the leak GC the 7 local-channel senders carry (leaked) and lose their wait time")
    func afterLeakDetection() throws {
        let dump = try GoroutineDump.parse(try goroutineSample("go1.27/goroutine-b.after-goroutineleak.debug2.txt"))
        let local = dump.goroutines.filter { $0.frames.first?.function == "main.leakLocal.func1" }
        #expect(local.count == 7)
        #expect(local.allSatisfy { $0.leaked && $0.state == "chan send" && $0.waitMinutes == nil })
    }

    @Test("header variants: gp/m fields, scan flag, quoted labels, several attributes")
    func headerVariants() throws {
        let text = """
            goroutine 7 gp=0xc000007a40 m=nil [select (scan), 12 minutes, locked to thread] {"a b": "c\\"d", x: y}:
            main.f(0x1, {0x2, 0x3})
            \t/src/main.go:10 +0x1d fp=0xc sp=0xc pc=0x4

            goroutine 8 [semacquire]:
            sync.runtime_Semacquire(...)
            \t/go/src/runtime/sema.go:62
            """
        let dump = try GoroutineDump.parse(text)
        #expect(dump.goroutines.count == 2)
        let g = dump.goroutines[0]
        #expect(g.id == 7 && g.state == "select" && g.waitMinutes == 12 && g.lockedToThread && !g.leaked)
        #expect(g.labels == ["a b": "c\"d", "x": "y"])
        #expect(g.frames == [StackFrame(function: "main.f", file: "/src/main.go", line: 10)])
        #expect(dump.goroutines[1].frames == [StackFrame(function: "sync.runtime_Semacquire", file: "/go/src/runtime/sema.go", line: 62)])
    }

    @Test("an unreadable label set keeps the goroutine, with the raw text under the empty key")
    func unreadableLabels() throws {
        let dump = try GoroutineDump.parse("goroutine 3 [select] {\"open: x}:\nmain.f()\n\t/a.go:1 +0x1\n")
        #expect(dump.goroutines.count == 1)
        #expect(dump.goroutines[0].labels == ["": "\"open: x"])
        #expect(dump.goroutines[0].state == "select")
    }

    @Test("odd lines are tolerated: panic preamble, ancestors, other-thread, additional elision, cut record")
    func tolerance() throws {
        let text = """
            panic: boom

            goroutine 1 [running]:
            panic({0x1, 0x2})
            \t/go/src/runtime/panic.go:1 +0x1
            main.main()
            \t/src/main.go:3 +0x2
            ...additional frames elided...
            created by main.start in goroutine 9
            \t/src/main.go:5 +0x3
            [originating from goroutine 9]:
            main.start(...)
            \t/src/main.go:5 +0x3

            goroutine 2 [running]:
            \tgoroutine running on other thread; stack unavailable
            created by main.other
            \t/src/main.go:7 +0x4

            goroutine 3 [chan receive, 2 minutes]:
            main.cut(
            """
        let dump = try GoroutineDump.parse(text)
        #expect(dump.goroutines.map(\.id) == [1, 2, 3])
        let g1 = dump.goroutines[0]
        #expect(g1.frames.map(\.function) == ["panic", "main.main"])
        #expect(g1.truncated && g1.elidedFrames == 0)
        #expect(g1.createdBy == StackFrame(function: "main.start", file: "/src/main.go", line: 5))
        #expect(g1.creatorID == 9)
        #expect(dump.goroutines[1].frames.isEmpty)
        #expect(dump.goroutines[1].createdBy?.function == "main.other")
        #expect(dump.goroutines[2].frames.map(\.function) == ["main.cut("])
        #expect(dump.goroutines[2].waitMinutes == 2)
    }

    @Test("input without any goroutine header is a clear error", arguments: ["", "hello\nworld\n", "goroutine x [running]:\n"])
    func noHeader(text: String) throws {
        let error = #expect(throws: GoroutineDumpError.self) { try GoroutineDump.parse(text) }
        #expect(error?.description.contains("goroutine dump (debug=2)") == true)
    }

    @Test("a dump cut at any point parses the complete goroutines before the cut")
    func truncatedSample() throws {
        let bytes = try goroutineSample("go1.27/goroutine-b.debug2.txt")
        let full = try GoroutineDump.parse(bytes)
        for cut in stride(from: 40, to: bytes.count, by: 997) {
            let partial = try GoroutineDump.parse(Array(bytes[..<cut]))
            #expect(partial.goroutines.count <= full.goroutines.count)
            // Every goroutine but the last (possibly cut) one is identical to the full parse.
            #expect(Array(partial.goroutines.dropLast()) == Array(full.goroutines.prefix(partial.goroutines.count - 1)))
        }
    }

    @Test("binary garbage is rejected, not crashed on")
    func binaryGarbage() throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D  // fixed xorshift seed: reproducible noise
        let noise: [UInt8] = (0..<4096).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        #expect(throws: GoroutineDumpError.self) { try GoroutineDump.parse(noise) }
        let gzip = try goroutineSample("go1.27/goroutine-b.pb.gz")
        #expect(throws: GoroutineDumpError.self) { try GoroutineDump.parse(gzip) }
        #expect(throws: GoroutineProfileTextError.self) { try GoroutineProfileText.parse(gzip) }
        #expect(throws: ExpVarsError.self) { try ExpVars.parse(gzip) }
    }

    @Test("Data and String entry points agree with the byte entry point")
    func entryPoints() throws {
        let bytes = try goroutineSample("go1.19/goroutine-a.debug2.txt")
        let fromBytes = try GoroutineDump.parse(bytes)
        #expect(try GoroutineDump.parse(Data(bytes)) == fromBytes)
        #expect(try GoroutineDump.parse(String(decoding: bytes, as: UTF8.self)) == fromBytes)
        #expect(fromBytes.goroutines.count == 11)
    }

    @Test("CRLF line endings parse like LF")
    func crlf() throws {
        let lf = "goroutine 4 [sleep]:\ntime.Sleep(0x3b9aca00)\n\t/go/src/runtime/time.go:195 +0x135\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try GoroutineDump.parse(crlf) == GoroutineDump.parse(lf))
    }
}

@Suite("Stack signatures")
struct GoroutineSignatureTests {
    @Test("unexported runtime frames are dropped everywhere, exported ones kept, gopanic becomes panic")
    func normalize() {
        #expect(GoroutineSignature.normalize([
            "runtime.gopark", "runtime.chanrecv1", "internal/runtime/syscall.Syscall6", "main.work",
            "runtime.GC", "runtime.gopanic", "main.main", "runtime.main", "runtime.goexit",
        ]) == ["main.work", "runtime.GC", "panic", "main.main"])
        #expect(GoroutineSignature.isUnexportedRuntime("runtime.gopark"))
        #expect(!GoroutineSignature.isUnexportedRuntime("runtime/pprof.Do"))
        #expect(!GoroutineSignature.isUnexportedRuntime("runtime.Gosched"))
        #expect(!GoroutineSignature.isUnexportedRuntime("runtime."))
    }

    @Test("generic type arguments are elided the way the text formats print them")
    func generics() {
        #expect(GoroutineSignature.normalize(["main.waitGeneric[go.shape.string]", "main.waitGeneric[...]"])
            == ["main.waitGeneric[...]", "main.waitGeneric[...]"])
        #expect(GoroutineSignature.elidingTypeArguments("main.Map[go.shape.int,go.shape.[]string].Get") == "main.Map[...].Get")
        #expect(GoroutineSignature.elidingTypeArguments("main.(*T[go.shape.int]).M") == "main.(*T[...]).M")
        #expect(GoroutineSignature.elidingTypeArguments("main.f[x") == "main.f[...]")
        #expect(GoroutineSignature.elidingTypeArguments("main.f]") == "main.f]")
    }

    @Test("debug=2 and debug=1 forms of goroutine-a give the same signatures", arguments: ["go1.19", "go1.27"])
    func debug1MatchesDebug2(version: String) throws {
        let dump = try GoroutineDump.parse(try goroutineSample("\(version)/goroutine-a.debug2.txt"))
        let text = try GoroutineProfileText.parse(try goroutineSample("\(version)/goroutine-a.debug1.txt"))
        var dumpCounts: [[String]: Int] = [:]
        for g in dump.goroutines { dumpCounts[g.signature, default: 0] += 1 }
        var compared = 0
        for group in text.groups {
            // Skip the capturing request itself (different handler), empty runnable stacks, depth-capped stacks,
            // and HTTP connection goroutines (they change state between the two requests).
            let signature = group.signature
            if signature.isEmpty || signature.contains("runtime/pprof.writeRuntimeProfile") || group.addressCount >= 32
                || signature.contains("net/http.(*connReader).backgroundRead") {
                continue
            }
            #expect(dumpCounts[signature] == group.count, "signature \(signature)")
            compared += 1
        }
        #expect(compared >= 6)
        #expect(dumpCounts[["main.leakyWorker", "main.startLeakyWorkers.func1.1", "runtime/pprof.Do",
                            "main.startLeakyWorkers.func1"]] == 3)
    }

    @Test("debug=1 keeps runtime.main under main.main, and the signature drops it like debug=2 does")
    func runtimeMain() throws {
        let text = try GoroutineProfileText.parse(try goroutineSample("go1.27/goroutine-a.debug1.txt"))
        let group = try #require(text.groups.first { $0.frames.last?.function == "runtime.main" })
        #expect(group.signature.last == "main.main")
    }
}
