import Units
import Testing

@Suite("Durations and sizes: one rule on every input (docs/units.md)")
struct UnitsTests {
    @Test("Durations combine units from weeks to milliseconds", arguments: [
        ("90s", Duration.seconds(90)), ("5m", .seconds(300)), ("1h30m", .seconds(5400)), ("2d", .seconds(172_800)),
        ("1w", .seconds(604_800)), ("500ms", .milliseconds(500)), ("1.5h", .seconds(5400)), ("0", .zero),
        ("0s", .zero), (" 10S ", .seconds(10)), ("1h0m5s", .seconds(3605)), ("250us", .microseconds(250)),
        ("250µs", .microseconds(250)), ("40ns", .nanoseconds(40)), ("1s500ms", .milliseconds(1500)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test("Bare numbers, unknown units and garbage are not durations", arguments: ["", "30", "5x", "h", "-5s", "1..5s", "1h 30m", "5mm"])
    func rejectsDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test("Durations format with the largest units first")
    func formatsDurations() {
        #expect(DurationParser.format(.seconds(5400)) == "1h30m")
        #expect(DurationParser.format(.seconds(172_800)) == "2d")
        #expect(DurationParser.format(.seconds(604_800 + 86_400)) == "1w1d")
        #expect(DurationParser.format(.milliseconds(60_500)) == "1m500ms")
        #expect(DurationParser.format(.zero) == "0s")
        #expect(DurationParser.format(.seconds(-90)) == "-1m30s")
        for text in ["90s", "1h30m", "2d", "1w", "500ms"] {
            #expect(DurationParser.parse(DurationParser.format(DurationParser.parse(text)!)) == DurationParser.parse(text))
        }
    }

    @Test("Every byte unit is a power of 1024, whichever spelling (pprof's kB/MB/GB, IEC KiB/MiB/GiB, K/M/G)", arguments: [
        ("1024", Int64(1024)), ("512MiB", Int64(512) << 20), ("10GB", Int64(10) << 30), ("10GiB", Int64(10) << 30),
        ("1.5GiB", Int64(3) << 29), ("64 KiB", Int64(65_536)), ("1kb", Int64(1024)), ("1kB", Int64(1024)),
        ("2TiB", Int64(2) << 40), ("2TB", Int64(2) << 40), ("3 MB", Int64(3) << 20), ("0", Int64(0)), ("7B", Int64(7)),
        ("1PiB", Int64(1) << 50),
    ] as [(String, Int64)])
    func parsesSizes(text: String, expected: Int64) {
        #expect(ByteSizeParser.parse(text) == expected)
    }

    @Test("Negative, fractional bytes, unknown units and overflows are not sizes", arguments: ["", "-1", "1.5", "12XB", "MiB", "99999999PiB", "1e3", "5m", "1K"])
    func rejectsSizes(text: String) {
        #expect(ByteSizeParser.parse(text) == nil)
    }

    @Test("Sizes format exactly, with IEC units, and parse back to the same size")
    func formatsSizes() {
        #expect(ByteSizeParser.format(512 << 20) == "512MiB")
        #expect(ByteSizeParser.format(10 << 30) == "10GiB")
        #expect(ByteSizeParser.format(10_000_000_000) == "9765625KiB")
        #expect(ByteSizeParser.format(1023) == "1023")
        #expect(ByteSizeParser.format(0) == "0")
        #expect(ByteSizeParser.format(3 << 29) == "1536MiB")
    }

    @Test("What ValueFormatter prints parses back to the same bytes (pprof's spellings mean powers of 1024)")
    func formattedSizesParseBack() {
        for bytes: Int64 in [1, 1023, 1024, 1536, 5 << 20, 10 << 30, 3 << 40] {
            let text = ValueFormatter.format(bytes, unit: "bytes")
            let back = ByteSizeParser.parse(text)
            #expect(back.map { abs(Double($0 - bytes)) <= Double(bytes) * 0.005 } == true, "\(bytes) -> \(text) -> \(String(describing: back))")
        }
        for text in ["1.5GiB", "512MiB", "10GB", "2kB"] {
            #expect(ByteSizeParser.parse(ByteSizeParser.format(ByteSizeParser.parse(text)!)) == ByteSizeParser.parse(text))
        }
    }

    @Test("Unit tables the gates share: bytes and nanoseconds per unit")
    func unitTables() {
        #expect(ByteSizeParser.bytes(inUnit: "MB") == 1 << 20 && ByteSizeParser.bytes(inUnit: "mib") == 1 << 20)
        #expect(ByteSizeParser.bytes(inUnit: "XB") == nil)
        #expect(DurationParser.nanoseconds(inUnit: "us") == 1000 && DurationParser.nanoseconds(inUnit: "µs") == 1000)
        #expect(DurationParser.nanoseconds(inUnit: "S") == 1_000_000_000 && DurationParser.nanoseconds(inUnit: "x") == nil)
    }
}
