import Foundation
import GBSnapTestSupport
import Testing

/// README's contract for errors, through the real binary: every error starts with `gbsnap: `, the same kind of
/// mistake exits the same way on every command (2 for usage errors), and a usage error shows the usage of the
/// subcommand that was run.
@Suite("Errors: one prefix, one exit status per kind of mistake")
struct ErrorReportingTests {
    static let validConfig = """
        targets:
          - name: order-api
            url: http://127.0.0.1:6060
        schedules:
          - name: nightly
            cron: "0 2 * * *"
            targets: [order-api]
            kinds: [heap]
        retention:
          rules:
            - keep_last: 3

        """

    @Test("a bad cron expression is a usage error (exit 2), like a bad --tz, with the subcommand's usage")
    func badCronExpressionIsAUsageError() async throws {
        let r = try await gbsnap(["cron", "next", "61 * * * *"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("gbsnap: cron expression \"61 * * * *\": "), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: gbsnap cron next <expression>"), "\(r.stderr)")
        #expect(r.stderr.contains("See 'gbsnap cron next --help'"), "\(r.stderr)")
    }

    @Test("a bad --tz is the same usage error on every command that takes one", arguments: [
        ["cron", "next", "0 2 * * *", "--tz", "Mars/Olympus"],
        ["schedule", "--config", "CONFIG", "--tz", "Mars/Olympus"],
        ["prune", "--keep-last", "3", "--tz", "Mars/Olympus", "--dry-run"],
    ])
    func badTimeZoneIsAUsageErrorEverywhere(_ template: [String]) async throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let config = tmp.file("gbsnap.yaml", Self.validConfig)
        let args = template.map { $0 == "CONFIG" ? config : $0 }
        let r = try await gbsnap(args, store: "\(tmp.path)/store")
        #expect(r.status == 2, "\(args): \(r.stderr)")
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == "gbsnap: --tz \"Mars/Olympus\" is not an IANA time zone name such as UTC or Asia/Shanghai", "\(args): \(r.stderr)")
        #expect(r.stderr.contains("Usage: gbsnap \(args[0] == "cron" ? "cron next" : args[0])"), "\(args): \(r.stderr)")
    }

    @Test("errors from the argument parser start with gbsnap:, not Error:, and exit 2", arguments: [
        ["list", "--no-such-option"],
        ["show"],
        ["cron", "next", "0 2 * * *", "--count", "0"],
        ["list", "--since", "yesterday"],
        ["nosuchcommand"],
    ])
    func parserErrorsStartWithGBSnap(_ args: [String]) async throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let r = try await gbsnap(args, store: "\(tmp.path)/store")
        #expect(r.status == 2, "\(args): \(r.stderr)")
        #expect(r.stderr.hasPrefix("gbsnap: "), "\(args): \(r.stderr)")
        #expect(!r.stderr.contains("Error: "), "\(args): \(r.stderr)")
    }

    @Test("a usage error found while running shows that subcommand's usage, not the top-level one")
    func usageErrorFromRunShowsTheSubcommandsUsage() async throws {
        // --until before --from is only known once both are read, in run().
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let config = tmp.file("gbsnap.yaml", Self.validConfig)
        let r = try await gbsnap(["schedule", "--config", config, "--from", "2026-11-27T00:00:00Z", "--until", "2026-11-26T00:00:00Z"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("gbsnap: --until must be after --from\n"), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: gbsnap schedule --config"), "\(r.stderr)")
        #expect(r.stderr.contains("See 'gbsnap schedule --help'"), "\(r.stderr)")
    }

    @Test("config errors keep file:line:column lines and end with one gbsnap: line; an unreadable file is one gbsnap: line")
    func configErrorsEndWithAGBSnapLine() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let long = String(repeating: "a", count: 101)
        let bad = tmp.file("bad.yaml", "targets:\n  - name: \(long)\n    url: ftp://x\n")
        for args in [["config", "check", bad], ["schedule", "--config", bad]] {
            let r = try await gbsnap(args)
            #expect(r.status == 1, "\(args): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(args): \(r.stderr)")
            // The store refuses names over 100 bytes, so the config does too, at the name's position.
            #expect(lines.first?.hasPrefix("\(bad):2:11: target \"\(long)\": a target name ") == true, "\(args): \(r.stderr)")
            #expect(lines.first?.hasSuffix("must be at most 100 bytes long") == true, "\(args): \(r.stderr)")
            #expect(lines.last == "gbsnap: \(bad): 2 errors (see above); nothing was done", "\(args): \(r.stderr)")
        }
        let missing = try await gbsnap(["config", "check", "\(tmp.path)/missing.yaml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("gbsnap: \(tmp.path)/missing.yaml: "), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    }

    @Test("a bad option value is a usage error (exit 2) before anything runs, one sentence naming the option", arguments: [
        (["list", "--since", "yesterday"],
         "gbsnap: --since \"yesterday\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z or 2026-11-26T10:00:00+08:00"),
        (["prune", "--keep-within", "7x", "--dry-run"], "gbsnap: --keep-within \"7x\" is not a duration such as 30s, 2m, 36h or 7d"),
        (["prune", "--max-total-bytes", "10 parsecs", "--dry-run"],
         "gbsnap: --max-total-bytes \"10 parsecs\" is not a size such as 500MiB or 10GB"),
        (["prune", "--keep-last", "1", "--now", "noon", "--dry-run"],
         "gbsnap: --now \"noon\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z or 2026-11-26T10:00:00+08:00"),
        (["run", "--config", "CONFIG", "--shard", "2/2"], "gbsnap: --shard \"2/2\" has index 2, outside 0...1 for a count of 2"),
        (["schedule", "--config", "CONFIG", "--shard", "half"], "gbsnap: --shard \"half\" is not INDEX/COUNT, e.g. 0/3 for the first of three daemons"),
        (["run", "--config", "CONFIG", "--grace-period", "soon"], "gbsnap: --grace-period \"soon\" is not a duration such as 30s, 2m, 36h or 7d"),
        (["capture", "--url", "http://127.0.0.1:1", "--name", "a", "--timeout", "0s"],
         "gbsnap: --timeout \"0s\" is not a positive duration such as 30s"),
        (["capture", "--url", "http://127.0.0.1:1", "--name", "a", "--kinds", ","], "gbsnap: --kinds \",\" names no kind"),
        (["capture", "--url", "http://127.0.0.1:1", "--name", "a", "--label", "=x"], "gbsnap: --label \"=x\" must look like key=value"),
        (["import", "FILE", "--target", "a", "--kind", "hepa"],
         "gbsnap: --kind: unknown kind \"hepa\"; did you mean \"heap\"? known kinds: heap, allocs, goroutine, stacks, goroutine-text, "
            + "cpu, trace, block, mutex, threadcreate, goroutineleak, vars, custom"),
        (["schedule", "--config", "CONFIG", "--until", "2026-13-01"],
         "gbsnap: --until \"2026-13-01\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z or 2026-11-26T10:00:00+08:00"),
        (["cron", "next", "@daily", "--from", "tomorrow"],
         "gbsnap: --from \"tomorrow\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z or 2026-11-26T10:00:00+08:00"),
        (["diff", "a", "b", "--granularity", "files"], "gbsnap: --granularity \"files\" must be functions or lines"),
        (["diff", "a", "b", "--fail-on", "goroutines.delta>>10"],
         "gbsnap: --fail-on \"goroutines.delta>>10\": threshold \">10\" does not start with a number; expected <metric>[.a|.b|.delta] <op> <number>[unit]"),
    ])
    func badOptionValuesAreUsageErrorsNamingTheOption(_ template: [String], _ expected: String) async throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let config = tmp.file("gbsnap.yaml", Self.validConfig)
        let file = tmp.file("vars.json", "{}")
        let args = template.map { $0 == "CONFIG" ? config : $0 == "FILE" ? file : $0 }
        let r = try await gbsnap(args, store: "\(tmp.path)/store")
        #expect(r.status == 2, "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(args)")
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == expected, "\(args): \(r.stderr)")
        #expect(r.stderr.contains("Usage: gbsnap \(args[0])"), "\(args): \(r.stderr)")
        // Nothing ran: no store was created.
        #expect(!FileManager.default.fileExists(atPath: "\(tmp.path)/store"), "\(args)")
    }
}
