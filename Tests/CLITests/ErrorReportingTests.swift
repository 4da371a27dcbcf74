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
    func badCronExpressionIsAUsageError() throws {
        let r = try gbsnap(["cron", "next", "61 * * * *"])
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
    func badTimeZoneIsAUsageErrorEverywhere(_ template: [String]) throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let config = tmp.file("gbsnap.yaml", Self.validConfig)
        let args = template.map { $0 == "CONFIG" ? config : $0 }
        let r = try gbsnap(args, store: "\(tmp.path)/store")
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
    func parserErrorsStartWithGBSnap(_ args: [String]) throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let r = try gbsnap(args, store: "\(tmp.path)/store")
        #expect(r.status == 2, "\(args): \(r.stderr)")
        #expect(r.stderr.hasPrefix("gbsnap: "), "\(args): \(r.stderr)")
        #expect(!r.stderr.contains("Error: "), "\(args): \(r.stderr)")
    }

    @Test("a usage error found while running shows that subcommand's usage, not the top-level one")
    func usageErrorFromRunShowsTheSubcommandsUsage() throws {
        // --until before --from is only known once both are read, in run().
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let config = tmp.file("gbsnap.yaml", Self.validConfig)
        let r = try gbsnap(["schedule", "--config", config, "--from", "2026-11-27T00:00:00Z", "--until", "2026-11-26T00:00:00Z"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("gbsnap: --until must be after --from\n"), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: gbsnap schedule --config"), "\(r.stderr)")
        #expect(r.stderr.contains("See 'gbsnap schedule --help'"), "\(r.stderr)")
    }

    @Test("config errors keep file:line:column lines and end with one gbsnap: line; an unreadable file is one gbsnap: line")
    func configErrorsEndWithAGBSnapLine() throws {
        let tmp = TemporaryDirectory("gbsnap-cli-errors"); defer { tmp.cleanup() }
        let long = String(repeating: "a", count: 101)
        let bad = tmp.file("bad.yaml", "targets:\n  - name: \(long)\n    url: ftp://x\n")
        for args in [["config", "check", bad], ["schedule", "--config", bad]] {
            let r = try gbsnap(args)
            #expect(r.status == 1, "\(args): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(args): \(r.stderr)")
            // The store refuses names over 100 bytes, so the config does too, at the name's position.
            #expect(lines.first?.hasPrefix("\(bad):2:11: target \"\(long)\": a target name ") == true, "\(args): \(r.stderr)")
            #expect(lines.first?.hasSuffix("must be at most 100 bytes long") == true, "\(args): \(r.stderr)")
            #expect(lines.last == "gbsnap: \(bad): 2 errors (see above); nothing was done", "\(args): \(r.stderr)")
        }
        let missing = try gbsnap(["config", "check", "\(tmp.path)/missing.yaml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("gbsnap: \(tmp.path)/missing.yaml: "), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    }
}
