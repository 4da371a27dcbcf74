import GBSnapCore
import Testing

@Suite("Durations and sizes (GBSnapCore.Units)")
struct UnitsTests {
    @Test("Durations combine units from weeks to milliseconds", arguments: [
        ("90s", Duration.seconds(90)), ("5m", .seconds(300)), ("1h30m", .seconds(5400)), ("2d", .seconds(172_800)),
        ("1w", .seconds(604_800)), ("500ms", .milliseconds(500)), ("1.5h", .seconds(5400)), ("0", .zero),
        ("0s", .zero), (" 10S ", .seconds(10)), ("1h0m5s", .seconds(3605)),
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

    @Test("Sizes accept bytes, decimal and binary units in any case", arguments: [
        ("1024", Int64(1024)), ("512MiB", 512 << 20), ("10GB", 10_000_000_000), ("1.5GiB", 3 << 29), ("64 KiB", 65_536),
        ("1kb", 1000), ("2TiB", 2 << 40), ("0", 0), ("7B", 7),
    ])
    func parsesSizes(text: String, expected: Int64) {
        #expect(ByteSizeParser.parse(text) == expected)
    }

    @Test("Negative, fractional bytes, unknown units and overflows are not sizes", arguments: ["", "-1", "1.5", "12XB", "MiB", "99999999PiB", "1e3"])
    func rejectsSizes(text: String) {
        #expect(ByteSizeParser.parse(text) == nil)
    }

    @Test("Sizes format exactly, binary units first")
    func formatsSizes() {
        #expect(ByteSizeParser.format(512 << 20) == "512MiB")
        #expect(ByteSizeParser.format(10_000_000_000) == "10GB")
        #expect(ByteSizeParser.format(1023) == "1023")
        #expect(ByteSizeParser.format(0) == "0")
        #expect(ByteSizeParser.format(3 << 29) == "1536MiB")
    }
}
