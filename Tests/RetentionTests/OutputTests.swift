import Foundation
import Testing
import Units

@testable import Retention

/// The JSON form of plans (`gbsnap prune --json`) and the human spellings in reasons.
@Suite struct OutputTests {
    static func samplePlan() throws -> RetentionPlan {
        let base = try Fixture.date(2026, 11, 26, 2)
        let snaps = [
            Fixture.snap("snap-b", base, bytes: 2048),
            Fixture.snap("snap-a", base.addingTimeInterval(-86_400.25), bytes: 1024),
        ]
        return try Fixture.plan(snaps, Fixture.policy(RetentionRule(keepLast: 1)))
    }

    @Test func planEncodesSnakeCaseJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(try Self.samplePlan()), as: UTF8.self)
        let keep =
            #"{"action":"keep","bytes":2048,"id":"snap-b","reasons":["newest of group","keep-last 1"],"#
            + #""rule":1,"taken_at":"2026-11-26T02:00:00Z","target":"order-api"}"#
        let remove =
            #"{"action":"remove","bytes":1024,"id":"snap-a","reasons":["no keep rule selects it"],"#
            + #""rule":1,"taken_at":"2026-11-25T01:59:59.750Z","target":"order-api"}"#
        #expect(
            json == #"{"bytes_freed":1024,"decisions":["# + keep + "," + remove
                + #"],"keep_ids":["snap-b"],"remove_ids":["snap-a"],"warnings":[]}"#)
    }

    @Test func planRoundTripsThroughJSON() throws {
        let plan = try Self.samplePlan()
        let decoded = try JSONDecoder().decode(RetentionPlan.self, from: try JSONEncoder().encode(plan))
        #expect(decoded == plan)
        #expect(decoded.bytesFreed == 1024)
        #expect(decoded.decisions[1].reasons == ["no keep rule selects it"])
    }

    @Test func unselectedDecisionEncodesNullRule() throws {
        let decision = RetentionDecision(
            id: "x", target: "t", takenAt: Date(timeIntervalSince1970: 0), bytes: 0, action: .keep, rule: nil,
            reasons: ["not selected by any retention rule"])
        let json = String(decoding: try JSONEncoder().encode(decision), as: UTF8.self)
        #expect(json.contains("\"rule\":null"))
        #expect(json.contains("\"taken_at\":\"1970-01-01T00:00:00Z\""))
    }

    @Test func decodingRejectsBadTimestamp() {
        let json = #"{"id":"x","target":"t","taken_at":"yesterday","bytes":0,"action":"keep","rule":null,"reasons":[]}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RetentionDecision.self, from: Data(json.utf8))
        }
    }

    @Test func timestampsFormatInUTC() {
        #expect(RetentionTimestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(RetentionTimestamp.format(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500Z")
        #expect(
            RetentionTimestamp.parse("2026-11-26T02:00:00+08:00")
                == Date(timeIntervalSince1970: 1_795_651_200 - 6 * 3600))
        #expect(RetentionTimestamp.parse("2026-11-26T02:00:00.250Z") == Date(timeIntervalSince1970: 1_795_658_400.25))
    }

    static let durationCases: [(Duration, String)] = [
        (.seconds(90 * 86_400), "90d"), (.seconds(2 * 86_400), "2d"), (.seconds(36 * 3600), "1d12h"),
        (.seconds(9000), "2h30m"), (.seconds(45 * 60), "45m"), (.seconds(86_401), "1d1s"),
        (.milliseconds(1500), "1s500ms"), (.seconds(14 * 86_400), "14d"),
        (.milliseconds(250), "250ms"), (.zero, "0s"), (.seconds(-3600), "-1h"),
    ]

    @Test(arguments: durationCases)
    func durationSpelling(duration: Duration, text: String) {
        #expect(RetentionFormat.duration(duration) == text)
    }

    /// Budgets are echoed as configs write them (re-parsable), measured sizes as every other output prints them.
    static let byteCases: [(Int64, String, String)] = [
        (0, "0", "0"), (512, "512", "512B"), (1024, "1KiB", "1kB"), (1536, "1536", "1.50kB"), (10 << 30, "10GiB", "10GB"),
        (1_342_177_280, "1280MiB", "1.25GB"), (3_156_214, "3156214", "3.01MB"),
    ]

    @Test(arguments: byteCases)
    func byteSpelling(bytes: Int64, budget: String, size: String) {
        #expect(RetentionFormat.budget(bytes) == budget)
        #expect(ByteSizeParser.parse(RetentionFormat.budget(bytes)) == bytes)
        #expect(RetentionFormat.size(bytes) == size)
    }

    @Test func reasonSpellings() {
        #expect(RetentionReason.period(.hourly, key: 0, oldest: false).text == "keep-hourly (1970-01-01 00:00)")
        #expect(RetentionReason.period(.yearly, key: 2026, oldest: true).text == "keep-yearly (2026, oldest)")
        #expect(RetentionReason.overBudget(rule: 1, budget: 10 << 30).text == "over max-total-bytes 10GiB for rule 1")
        #expect(RetentionReason.olderThanMaxAge(.seconds(90 * 86_400)).text == "older than max-age 90d")
        #expect(RetentionReason.within(.seconds(2 * 86_400)).text == "within 2d of newest")
        #expect(RetentionReason.text("custom").text == "custom")
    }

    @Test func policyTypesAreCodableAndHashable() throws {
        let rule = RetentionRule(
            selector: RetentionSelector(
                targets: ["order-*"], kinds: ["heap"], labels: ["env": "prod"], schedules: ["hourly"]),
            keepLast: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: -1,
            keepWithin: .seconds(172_800), maxAge: .seconds(7_776_000), maxTotalBytes: 10 << 30)
        let decoded = try JSONDecoder().decode(RetentionRule.self, from: try JSONEncoder().encode(rule))
        #expect(decoded == rule)
        let policy = RetentionPolicy(rules: [rule])
        #expect(policy.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: 0)) == 0)
        #expect(policy.schedule == "@hourly")
        #expect(Set([policy, policy]).count == 1)
    }
}
