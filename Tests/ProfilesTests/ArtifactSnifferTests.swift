import Foundation
import GBSnapTestSupport
import Testing
@testable import Profiles

@Suite("ArtifactSniffer: what a body's first bytes say it is")
struct ArtifactSnifferTests {
    static func sample(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Samples.path(relative))))
    }

    @Test("real Go 1.19 and 1.27 bodies start like the format their endpoint serves", arguments: [
        ("go1.27/heap-a.pb.gz", GoFormat.profile), ("go1.27/cpu.pb.gz", .profile), ("go1.27/goroutine-a.pb.gz", .profile),
        ("go1.27/goroutine-a.debug1.txt", .goroutineText), ("go1.27/goroutine-a.debug2.txt", .goroutineStacks),
        ("go1.27/trace-1s.bin", .trace), ("go1.27/vars-a.json", .expvar),
        ("go1.19/goroutine-a.debug2.txt", .goroutineStacks), ("go1.19/vars-a.json", .expvar), ("go1.19/trace-1s.first64.bin", .trace),
    ])
    func realSamples(path: String, format: GoFormat) throws {
        let head = Array(try Self.sample(path).prefix(ArtifactSniffer.prefixBytes))
        #expect(ArtifactSniffer.format(of: head) == format)
        #expect(ArtifactSniffer.mismatch(head, expected: format) == nil)
    }

    @Test("Go's own pprof index page is an HTML page, whatever was expected")
    func pprofIndexIsHTML() throws {
        let page = Array(try Self.sample("go1.27/index.html").prefix(ArtifactSniffer.prefixBytes))
        for format in GoFormat.allCases {
            #expect(ArtifactSniffer.mismatch(page, expected: format)?.found == .htmlPage)
        }
        #expect(ArtifactSniffer.mismatch(page, expected: .profile)?.description
            == "the target answered with an HTML page, not a profile: check the URL and pprof prefix, or whether a login sits in front of it")
    }

    @Test("a JSON error is told apart from expvar output, which always has cmdline and memstats")
    func jsonError() {
        let body = Array(#"{"error": "forbidden", "code": 403}"#.utf8)
        #expect(ArtifactSniffer.mismatch(body, expected: .expvar)?.found == .jsonError(#"{"error": "forbidden", "code": 403}"#))
        #expect(ArtifactSniffer.mismatch(Array(#"{"cmdline": ["x"], "error_count": 1, "memstats": {}}"#.utf8), expected: .expvar) == nil)
        #expect(ArtifactSniffer.mismatch(Array(#"{"requests": 12}"#.utf8), expected: .expvar) == nil)
    }

    @Test("text is quoted and binary is shown in hex; an empty body says so")
    func otherStarts() {
        #expect(ArtifactSniffer.mismatch(Array("heap profile: 1: 2 [3: 4] @ heap/1048576\n".utf8), expected: .profile)?.description
            == "the body is not a profile: it should start with gzip data (1f 8b) but starts with \"heap profile: 1: 2 [3: 4] @ heap/1048576\"; check the URL and pprof prefix")
        #expect(ArtifactSniffer.mismatch([0x00, 0x01, 0xfe, 0x22], expected: .trace)?.found == .other("bytes 00 01 fe 22"))
        #expect(ArtifactSniffer.mismatch([UInt8](), expected: .goroutineText)?.found == .empty)
        #expect(ArtifactSniffer.mismatch(Array("goroutine profile: total 3\n".utf8), expected: .goroutineStacks) != nil)
        #expect(ArtifactSniffer.mismatch(Array("goroutine 12 [running]:\n".utf8), expected: .goroutineStacks) == nil)
    }

    @Test("import recognises whole files and names Go's profiles by their sample types")
    func recognise() throws {
        guard case .profile(let heap) = try ArtifactSniffer.recognise(try Self.sample("go1.27/heap-a.pb.gz"), path: "heap") else {
            Issue.record("heap not recognised as a profile"); return
        }
        #expect(ArtifactSniffer.goProfileName(heap) == "heap")
        guard case .profile(let allocs) = try ArtifactSniffer.recognise(try Self.sample("go1.27/allocs-gc-run.pb.gz"), path: "a") else {
            Issue.record("allocs not recognised as a profile"); return
        }
        #expect(ArtifactSniffer.goProfileName(allocs) == "allocs")
        #expect(throws: ArtifactSniffer.Unrecognised.self) { try ArtifactSniffer.recognise(Array(#"{"requests": 1}"#.utf8), path: "x.json") }
    }

    @Test("a JSON object starts with a key or closes: a stray { followed by noise is not expvar JSON")
    func braceThenNoise() {
        for text in ["{\"cmdline\": []}", "{ }", "{\n  \"memstats\": {}}", "  {"] {
            #expect(ArtifactSniffer.format(of: Array(text.utf8)) == .expvar, "\(text)")
        }
        for bytes: [UInt8] in [[0x7B, 0x8A, 0x13, 0xFF], Array("{x".utf8), Array("{1, 2}".utf8)] {
            #expect(ArtifactSniffer.format(of: bytes) == nil, "\(bytes)")
        }
    }

    @Test("random bytes are quoted in hex even without control characters; UTF-8 text is quoted as text")
    func randomHighBytes() throws {
        // 48 bytes of noise with no control character: not valid UTF-8, so hex.
        let noise: [UInt8] = (0..<48).map { i in i % 3 == 0 ? 0x34 : UInt8(0xE9 - i % 5) }
        let m = try #require(ArtifactSniffer.mismatch(noise, expected: .expvar))
        #expect(m.description.contains("starts with bytes 34 e8 e7 34"), "\(m.description)")
        let text = Array("Grüße aus dem Proxy: bitte anmelden, Sitzung abgelaufen …".utf8)
        let t = try #require(ArtifactSniffer.mismatch(text, expected: .expvar))
        #expect(t.description.contains("starts with \"Grüße aus dem Proxy"), "\(t.description)")
    }
}
