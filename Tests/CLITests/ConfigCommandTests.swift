import Foundation
import GBSnapTestSupport
import Testing

/// `config check` catches configs that load but cannot work; `schedule` without --until shows a short window.
@Suite struct ConfigCommandTests {
    static var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../schedules/example.yaml").standardized.path
    }

    @Test func theExampleNamesSecretFilesThisMachineLacksAndChecksWithAllowMissingFiles() async throws {
        let strict = try await gbsnap(["config", "check", Self.example])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("example.yaml:52:26: warning: target \"payment-gw-east-1\": auth bearer_token_file /etc/gbsnap/secrets/payment-gw.token does not exist"))
        #expect(strict.stderr.contains("--allow-missing-files"))
        let shape = try await gbsnap(["config", "check", Self.example, "--allow-missing-files"])
        #expect(shape.status == 0, "\(shape.stderr)")
        #expect(shape.stdout.contains(": OK: 6 targets") && shape.stdout.contains("missing file warnings allowed"))
    }

    @Test func cronNextPrintsTheSameTimesAsTextOrJSON() async throws {
        let args = ["cron", "next", "0 2 * * *", "--tz", "Asia/Shanghai", "--from", "2026-11-26T00:00:00+08:00", "--count", "2"]
        let text = try await gbsnap(args)
        #expect(text.status == 0 && text.stdout == "2026-11-26T02:00:00+08:00\n2026-11-27T02:00:00+08:00\n")
        let json = try await gbsnap(args + ["--json"])
        #expect(json.status == 0)
        let times = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String]
        #expect(times == ["2026-11-26T02:00:00+08:00", "2026-11-27T02:00:00+08:00"])
    }

    @Test func scheduleWithoutUntilShowsTheNextFiringOfEverySchedule() async throws {
        let tmp = TemporaryDirectory("gbsnap-schedule"); defer { tmp.cleanup() }
        let config = "\(tmp.path)/g.yaml"
        try """
        targets:
          - {name: a, url: "http://127.0.0.1:1"}
          - {name: b, url: "http://127.0.0.1:2"}
        schedules:
          - {name: fast, cron: "*/30 * * * * *", targets: [a, b], kinds: [heap]}
          - {name: nightly, cron: "0 2 * * *", targets: [a], kinds: [vars]}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try await gbsnap(["schedule", "--config", config, "--from", "2026-11-27T00:00:00Z", "--tz", "UTC"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 52)  // header, 50 rows, the summary
        #expect(lines.last?.hasPrefix("... ") == true)
        #expect(lines.last?.contains("captures planned from 2026-11-27T00:00:00+00:00 until 2026-11-27T02:00:01+00:00 (until every schedule has fired once, at least an hour); --limit 0 shows all") == true)
        let all = try await gbsnap(["schedule", "--config", config, "--from", "2026-11-27T00:00:00Z", "--tz", "UTC", "--limit", "0"])
        let expectedLines = 1 + (2 * 241 + 1) + 1  // header, fast for a and b through 02:00:00, nightly, summary
        #expect(all.stdout.contains("nightly"))
        #expect(all.stdout.split(separator: "\n").count == expectedLines)
    }
}
