import Foundation
import Testing
@testable import Profiles

@Suite("expvar (/debug/vars) parsing")
struct ExpVarsTests {
    @Test("Go 1.27 vars-b: cmdline, memstats fields, pause ring and user variables")
    func go127() throws {
        let vars = try ExpVars.parse(try goroutineSample("go1.27/vars-b.json"))
        #expect(vars.cmdline == ["./demo"])
        #expect(vars.other["leaked_goroutines"] == .integer(28))
        #expect(vars.other["memstats"] == nil && vars.other["cmdline"] == nil)
        let m = try #require(vars.memStats)
        #expect(m.heapInuse == 12_402_688)
        #expect(m.heapObjects == 11_400)
        #expect(m.heapAlloc == 11_668_256)
        #expect(m.totalAlloc == 23_373_928)
        #expect(m.mallocs == 27_091)
        #expect(m.numGC == 9)
        #expect(m.numForcedGC == 4)
        #expect(m.pauseTotalNs == 1_906_970)
        #expect(m.pauseNs.count == 256 && m.pauseEnd.count == 256)
        #expect(Array(m.pauseNs.prefix(9)) == [404172, 147670, 308089, 106138, 31937, 222812, 364533, 141111, 180508])
        #expect(m.lastGC > 1_700_000_000_000_000_000)
        #expect(m.gcCPUFraction > 0 && m.gcCPUFraction < 1)
    }

    @Test("Go 1.19 vars-a parses the same fields")
    func go119() throws {
        let m = try #require(try ExpVars.parse(try goroutineSample("go1.19/vars-a.json")).memStats)
        #expect(m.numGC == 2 && m.pauseTotalNs == 228_770 && m.heapInuse == 2_990_080 && m.heapObjects == 1_013)
    }

    @Test("missing fields and a missing memstats are tolerated")
    func missing() throws {
        let vars = try ExpVars.parse(#"{"memstats": {"NumGC": 3}, "requests": {"ok": 1.5, "tags": ["a", null, true]}}"#)
        #expect(vars.cmdline.isEmpty)
        #expect(vars.memStats?.numGC == 3 && vars.memStats?.heapInuse == 0 && vars.memStats?.pauseNs == [])
        #expect(vars.other["requests"] == .object(["ok": .number(1.5), "tags": .array([.string("a"), .null, .bool(true)])]))
        #expect(try ExpVars.parse("{}").memStats == nil)
    }

    @Test("strings with escapes, big and negative numbers")
    func values() throws {
        let vars = try ExpVars.parse(#"{"s": "a\"b\\c\u00e9\ud83d\ude00\n", "big": 18446744073709551615, "neg": -2, "exp": 1e3}"#)
        #expect(vars.other["s"] == .string("a\"b\\cé😀\n"))
        // 2^64 - 1 has no exact Double: the parser rounds it to 2^64, as Go's encoding/json would.
        #expect(vars.other["big"] == .number(Double(UInt64.max)))
        #expect(vars.other["neg"] == .integer(-2))
        #expect(vars.other["exp"]?.doubleValue == 1000)
    }

    @Test("raw values round-trip through Codable")
    func codable() throws {
        let value = ExpVarValue.object(["a": .array([.integer(1), .number(2.5), .null, .bool(false), .string("x")])])
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(ExpVarValue.self, from: data) == value)
    }

    @Test("garbage is a clear typed error", arguments: [
        ("", "not valid JSON at byte 0: the document is empty"),
        ("not json", "not valid JSON at byte 0"),
        (#"{"a": }"#, "not valid JSON at byte 6"),
        (#"{"a": 1"#, "unterminated object"),
        (#"{"a": "x"#, "unterminated string"),
        (#"{"a": 01}"#, "not valid JSON at byte 6: number with a leading zero"),
        (#"{"a": 1} x"#, "not valid JSON at byte 9: trailing bytes after the top-level value"),
        (String(repeating: "[", count: 300), "not valid JSON at byte 256: values nested too deeply (more than 256 levels)"),
        (#"{"a": "x\ud800"}"#, "not valid JSON at byte 8: unpaired surrogate in a \\u escape"),
        (#"{"a": "\udc00x"}"#, "not valid JSON at byte 7: unpaired surrogate in a \\u escape"),
    ])
    func invalid(input: String, expected: String) throws {
        let error = #expect(throws: ExpVarsError.self) { try ExpVars.parse(input) }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test("a UTF-8 byte order mark is skipped; invalid UTF-8 in a string is rejected, not replaced")
    func encoding() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try ExpVars.parse(bom + Array(#" {"n": 1}"#.utf8)).other["n"] == .integer(1))
        #expect(throws: ExpVarsError.invalidJSON(offset: 4, reason: "the document is empty")) { try ExpVars.parse(bom + [0x20]) }
        let invalid = Array(#"{"s": "a"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(throws: ExpVarsError.invalidJSON(offset: 7, reason: "invalid UTF-8 in a string")) { try ExpVars.parse(invalid) }
    }

    @Test("valid JSON of the wrong shape is rejected with the field named")
    func wrongShape() throws {
        #expect(throws: ExpVarsError.notAnObject(found: "an array")) { try ExpVars.parse("[1]") }
        #expect(throws: ExpVarsError.wrongType(field: "memstats", expected: "an object", found: "a string")) {
            try ExpVars.parse(#"{"memstats": "x"}"#)
        }
        #expect(throws: ExpVarsError.wrongType(field: "memstats.HeapInuse", expected: "a non-negative integer", found: "a string")) {
            try ExpVars.parse(#"{"memstats": {"HeapInuse": "x"}}"#)
        }
        #expect(throws: ExpVarsError.wrongType(field: "memstats.PauseNs[1]", expected: "a non-negative integer", found: "a number")) {
            try ExpVars.parse(#"{"memstats": {"PauseNs": [1, -5]}}"#)
        }
        #expect(throws: ExpVarsError.wrongType(field: "memstats.PauseNs", expected: "an array", found: "a number")) {
            try ExpVars.parse(#"{"memstats": {"PauseNs": 3}}"#)
        }
        #expect(throws: ExpVarsError.wrongType(field: "memstats.GCCPUFraction", expected: "a number", found: "null")) {
            try ExpVars.parse(#"{"memstats": {"GCCPUFraction": null}}"#)
        }
        let error = ExpVarsError.notAnObject(found: "a number")
        #expect(error.description == "expvar document (/debug/vars) is a number, expected a JSON object of variables")
    }

    @Test("Data entry point agrees; a non-array cmdline is kept as a raw value")
    func entryPoints() throws {
        let bytes = try goroutineSample("go1.19/vars-b.json")
        #expect(try ExpVars.parse(Data(bytes)) == ExpVars.parse(bytes))
        #expect(try ExpVars.parse(#"{"cmdline": "x"}"#).other["cmdline"] == .string("x"))
    }
}
