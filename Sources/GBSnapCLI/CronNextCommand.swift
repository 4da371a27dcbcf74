import ArgumentParser
import Cron
import Units
import Foundation

extension GBSnapCommand {
    /// `gbsnap cron ...`: cron expression tools.
    struct CronGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cron", abstract: "Cron expression tools.", subcommands: [CronNext.self])
    }

    /// `gbsnap cron next EXPR [--from ISO8601] [--count N] [--tz ZONE] [--hash-key KEY]`.
    struct CronNext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "next",
            abstract: "Print the next fire times of a cron expression, one ISO 8601 timestamp with its UTC offset per line.",
            discussion: """
            Fire times are strictly after --from. Examples:
              gbsnap cron next "30 2 * * *" --tz America/New_York --from 2024-03-09T12:00:00 --count 3
              gbsnap cron next "H H(0-2) * * *" --hash-key nightly --count 2
            """)

        @Argument(help: "The expression, quoted: 5 or 6 fields (\"*/5 * * * *\") or a macro (\"@daily\", \"@every 90s\").")
        var expression: String

        @Option(help: ArgumentHelp("Start after this ISO 8601 time (default: now). Without an offset it is read in --tz.", valueName: "time"),
                transform: TimeArgument.parse)
        var from: TimeArgument?

        @Option(help: "How many fire times to print (1-100000).")
        var count: Int = 5

        @Option(help: ArgumentHelp("IANA time zone the expression is read in and times are printed in (default: the system zone).", valueName: "zone"),
                transform: ZoneArgument.parse)
        var tz: ZoneArgument?

        @Option(name: .customLong("hash-key"), help: "Key that H fields are hashed from (gbsnap uses the schedule name).")
        var hashKey: String = ""

        @Flag(help: "Print the times as a JSON array of the same ISO 8601 strings.")
        var json = false

        func validate() throws {
            guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000, found \(count)") }
        }

        func run() async throws {
            let zone = tz.timeZone()
            let start = from?.date(in: zone) ?? Date()
            // Parsed here, once: it depends on --hash-key. A bad expression is a usage error (exit 2), like a bad --tz.
            let cron: CronExpression
            do { cron = try CronExpression(expression, hashKey: hashKey) } catch { throw ValidationError(error.description) }
            let times = cron.nextFireTimes(after: start, count: count, in: zone)
            let texts = times.map { ISO8601Offset.format($0, in: zone) }
            if json { try Console.printJSON(texts) } else { print(texts.joined(separator: "\n")) }
            if times.count < count {
                Console.error("cron expression \"\(expression)\": only \(times.count) fire times within 400 years")
                throw ExitCode(1)
            }
        }
    }
}
