import ArchiveIO
import Foundation
import Testing
@testable import SnapshotStore

/// The hand-written catalog record reader and writer agree with Foundation's JSON on everything a
/// catalog can hold, and reject what is not a record.
@Suite struct CatalogJSONTests {
    static let awkward = [
        "", "plain", "quote\"inside", "back\\slash", "slash/path", "tab\tnew\nline\rret", "bell\u{07}\u{1F}\u{0}",
        "ünïcødé", "日本語", "emoji 🧪🐹", "\u{2028}\u{2029}", "del\u{7F}",
    ]

    func entry(_ i: Int, string: String = "x") -> CatalogEntry {
        let t = Date(timeIntervalSince1970: 1_780_000_000 + Double(i) * 300.123)
        let id = "20261126T0200\(i)Z-api-7k3f"
        return CatalogEntry(id: id, key: "snapshots/api/2026/11/26/\(id).tar.gz", target: "api",
                            labels: i % 3 == 0 ? [:] : ["env": string, "région": "eu-\(i)", "z": "1"],
                            kinds: i % 4 == 0 ? [] : ["goroutine", "heap", string], failedKinds: i % 2 == 0 ? [] : ["cpu", string],
                            schedule: string, takenAt: t, finishedAt: t.addingTimeInterval(Double(i % 7) * 1.5),
                            bytes: Int64(i) * 1_000_003, sha256: String(repeating: "ab", count: 32),
                            status: [SnapshotStatus.complete, .partial, .failed][i % 3])
    }

    func read(_ json: String) throws -> Catalog.Record {
        let bytes = Array(json.utf8)
        return try bytes.withUnsafeBufferPointer { try CatalogJSONReader.record($0) }
    }

    func foundationRead(_ json: String) throws -> Catalog.Record {
        try JSONDecoder().decode(Catalog.Record.self, from: Data(json.utf8))
    }

    @Test func writerRoundTripsEveryEntryThroughTheReader() throws {
        for (i, s) in Self.awkward.enumerated() {
            for record in [Catalog.Record.put(entry(i, string: s)), .del("id-" + s)] {
                let json = String(decoding: CatalogJSONWriter.record(record), as: UTF8.self)
                let back = try read(json)
                #expect(back == record, "\(json)")
                #expect(try foundationRead(json) == record, "Foundation reads the writer's output too: \(json)")
            }
        }
    }

    @Test func writerWritesWhatJSONEncoderWritesWithSortedKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (i, s) in ["plain", "quote\"inside", "back\\slash", "slash/path", "tab\tnew\nline", "ünïcødé", "emoji 🧪"].enumerated() {
            for record in [Catalog.Record.put(entry(i, string: s)), .del("id-" + s)] {
                let ours = String(decoding: CatalogJSONWriter.record(record), as: UTF8.self)
                let foundation = String(decoding: try encoder.encode(record), as: UTF8.self)
                #expect(ours == foundation)
            }
        }
    }

    @Test func readerAcceptsAnyValidSpellingOfARecord() throws {
        let spellings = [
            // keys in another order, whitespace everywhere
            #" { "op" : "put" , "entry" : { "status":"partial", "taken_at":"2026-11-26T02:00:00.250Z", "finished_at" : "2026-11-26T02:00:01Z", "target":"api", "id":"i1", "key":"snapshots/api/2026/11/26/i1.tar.gz", "kinds":[ "heap" ], "schedule":"s", "sha256":"00", "bytes": 12 } } "#,
            // escapes, including a surrogate pair and escaped slashes
            #"{"op":"put","entry":{"id":"i\u0031","key":"snapshots\/api\/2026\/11\/26\/i1.tar.gz","target":"\u0061pi","kinds":["h\"e\\ap","\ud83e\uddea"],"schedule":"s\tx","sha256":"00","bytes":0,"status":"complete","taken_at":"2026-11-26T02:00:00Z","finished_at":"2026-11-26T02:00:01.500Z","labels":{"a":"\n"}}}"#,
            // unknown fields of every JSON type from a newer gbsnap, nulls for optional fields
            #"{"v":2,"op":"put","extra":{"a":[1,2.5e3,-0.5,{"b":null}],"t":true,"f":false},"entry":{"id":"i","key":"snapshots/t/2026/11/26/i.tar.gz","target":"t","kinds":[],"schedule":"s","sha256":"00","bytes":1.0,"status":"failed","taken_at":"2026-11-26T02:00:00Z","labels":null,"failed_kinds":null,"finished_at":"2026-11-26T02:00:00Z","future":[[[]]]}}"#,
            #"{"id":"gone","op":"del"}"#,
        ]
        for json in spellings {
            #expect(try read(json) == foundationRead(json), "\(json)")
        }
        guard case .put(let e) = try read(spellings[1]) else { Issue.record("not a put"); return }
        #expect(e.kinds == ["h\"e\\ap", "🧪"])
        #expect(e.target == "api")
        #expect(e.key == "snapshots/api/2026/11/26/i1.tar.gz")
        #expect(e.finishedAt.timeIntervalSince(e.takenAt) == 1.5)
    }

    @Test(arguments: [
        ("", "expected '{'"),
        (#"{"op":"put"}"#, "a put record without an entry"),
        (#"{"op":"del"}"#, "a del record without an id"),
        (#"{"op":"zap","id":"x"}"#, "unknown record op \"zap\""),
        (#"{"id":"x"}"#, "unknown record op (missing)"),
        (#"{"op":"del","id":"x"} x"#, "trailing bytes"),
        (#"{"op":"del","id":"x""#, "expected '}'"),
        (#"{"op":"del","id":"x\q"}"#, "invalid escape"),
        (#"{"op":"del","id":"\ud800"}"#, "unpaired surrogate"),
        (#"{"op":"del","id":"\u12"}"#, "bad hex digit"),
        ("{\"op\":\"del\",\"id\":\"a\u{1}b\"}", "control character"),
        (#"{"op":"del","id":"x",}"#, "expected '\"'"),
        (#"{"op":"del","id":x}"#, "expected '\"'"),
        (#"{"op":"put","entry":{"id":"i","key":"k","target":"t","kinds":[],"schedule":"s","sha256":"00","bytes":1,"status":"done","taken_at":"2026-11-26T02:00:00Z"}}"#, "unknown status \"done\""),
        (#"{"op":"put","entry":{"id":"i","key":"k","target":"t","kinds":[],"schedule":"s","sha256":"00","bytes":1,"status":"complete","taken_at":"yesterday"}}"#, "bad taken_at time"),
        (#"{"op":"put","entry":{"id":"i","key":"k","target":"t","kinds":[],"schedule":"s","sha256":"00","bytes":1,"status":"complete"}}"#, "misses one of"),
        (#"{"op":"put","entry":{"id":"i","key":"k","target":"t","kinds":[],"schedule":"s","sha256":"00","bytes":01,"status":"complete","taken_at":"2026-11-26T02:00:00Z"}}"#, "leading zero"),
        (#"{"op":"put","entry":{"id":"i","key":"k","target":"t","kinds":[],"schedule":"s","sha256":"00","bytes":1.5,"status":"complete","taken_at":"2026-11-26T02:00:00Z"}}"#, "not a whole byte count"),
        (#"{"op":"put","entry":{"id":"i","key":"k","target":"t","kinds":[1],"schedule":"s","sha256":"00","bytes":1,"status":"complete","taken_at":"2026-11-26T02:00:00Z"}}"#, "expected '\"'"),
        (#"{"op":"put","entry":{"id":"i","key":"snapshots/api/../../../../etc/passwd","target":"api","kinds":[],"schedule":"s","sha256":"00","bytes":1,"status":"complete","taken_at":"2026-11-26T02:00:00Z"}}"#, "which is not snapshots/api/YYYY/MM/DD/i.tar.gz"),
        (#"{"op":"put","entry":{"id":"i","key":"/etc/passwd","target":"api","kinds":[],"schedule":"s","sha256":"00","bytes":1,"status":"complete","taken_at":"2026-11-26T02:00:00Z"}}"#, "has key \"/etc/passwd\""),
        (#"{"op":"put","entry":{"id":"i","key":"snapshots/../2026/11/26/i.tar.gz","target":"..","kinds":[],"schedule":"s","sha256":"00","bytes":1,"status":"complete","taken_at":"2026-11-26T02:00:00Z"}}"#, "which is not snapshots/../YYYY/MM/DD/i.tar.gz"),
        (#"{"op":"del","id":"x","n":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#, "nested too deeply"),
    ])
    func readerRejectsWhatIsNotARecord(json: String, reason: String) throws {
        let error = try #require(throws: CatalogJSONReader.Malformed.self) { try read(json) }
        #expect(error.description.contains(reason), "\(error)")
        #expect(error.description.contains("at byte "))
    }

    @Test func readerRejectsInvalidUTF8() throws {
        var bytes = Array(#"{"op":"del","id":"ab"}"#.utf8)
        bytes[19] = 0xFF
        let error = try #require(throws: CatalogJSONReader.Malformed.self) {
            try bytes.withUnsafeBufferPointer { try CatalogJSONReader.record($0) }
        }
        #expect(error.description.contains("invalid UTF-8"))
    }

    @Test func aShardLineWithAValidChecksumButAnUnreadableRecordNamesTheLine() throws {
        var shard = Catalog.encodeLine(.put(entry(1)))
        let rec = Array(#"{"op":"put","entry":{"id":"i"}}"#.utf8)
        let crc = rec.withUnsafeBytes { CRC32Hex.of($0) }
        shard += Array(#"{"crc":""#.utf8) + Array(crc.utf8) + Array(#"","rec":"#.utf8) + rec + Array("}\n".utf8)
        let error = try #require(throws: StoreError.self) { try Catalog.decodeShard(shard, path: "/s/catalog/api.jsonl") }
        #expect(error.description.contains("catalog /s/catalog/api.jsonl holds a record gbsnap cannot read at line 2"))
        #expect(error.description.contains("gbsnap reindex"))
    }

    @Test func shardsDecodeToTheRecordsThatWereAppended() throws {
        let records: [Catalog.Record] = (0..<50).map { $0 % 10 == 9 ? .del("id-\($0)") : .put(entry($0, string: Self.awkward[$0 % Self.awkward.count])) }
        let shard = records.flatMap { Catalog.encodeLine($0) } + Array(#"{"crc":"0000"#.utf8)  // torn tail ignored
        #expect(try Catalog.decodeShard(shard, path: "p") == records)
    }
}

enum CRC32Hex {
    static func of(_ bytes: UnsafeRawBufferPointer) -> String {
        let hex = String(CRC32.checksum(bytes), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
