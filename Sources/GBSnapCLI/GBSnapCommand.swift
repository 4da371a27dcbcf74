import ArgumentParser
import Foundation
import SnapshotStore

/// The `gbsnap` root command. Each subcommand lives in its own file, parses, and calls library code.
public struct GBSnapCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gbsnap",
        abstract: "Scheduled, archived, diffable snapshots of Go services' pprof and expvar diagnostics.",
        version: GBSnapVersion.current,
        subcommands: [
            Capture.self, Run.self, Import.self, List.self, Show.self, Export.self, Diff.self, Trend.self, Status.self,
            Copy.self, Prune.self, Pin.self, Unpin.self, Remove.self, Verify.self, Reindex.self,
            CronGroup.self, Schedule.self, ConfigGroup.self,
        ]
    )

    public init() {}
}

extension GBSnapCommand {
    /// What the process prints for an error, where, and the exit status: the contract of README ("Exit codes",
    /// "Errors are one sentence on stderr") for errors out of parsing and out of a command's `run()`.
    public struct ErrorReport: Equatable {
        /// The text, without a final newline; every error's first line starts with `gbsnap: `.
        public var message: String
        /// True for `--help` and `--version` (stdout, exit 0); false for errors (stderr).
        public var toStandardOutput: Bool
        /// 0 success, 1 failure, 2 usage error (ArgumentParser's 64 becomes 2), 3 a gate tripped.
        public var status: Int32
    }

    /// The report for `error`. `command` is the subcommand whose `run()` threw it (nil for a parse or `validate()`
    /// error, which ArgumentParser already ties to its subcommand): a usage error from `run()` prints that
    /// subcommand's usage, not the top-level one.
    public static func errorReport(for error: any Error, command: (any ParsableCommand.Type)? = nil) -> ErrorReport {
        let code = exitCode(for: error)
        let status = code.rawValue == 64 ? 2 : code.rawValue
        if code == .success {
            return ErrorReport(message: fullMessage(for: error), toStandardOutput: true, status: 0)
        }
        if let command, let validation = error as? ValidationError {
            let path = commandPath(to: command) ?? [configuration.commandName ?? "gbsnap"]
            let usage = usageString(for: command)
            var message = "gbsnap: \(validation.message)"
            if !usage.isEmpty { message += "\nUsage: \(usage)" }
            message += "\n  See '\(path.joined(separator: " ")) --help' for more information."
            return ErrorReport(message: message, toStandardOutput: false, status: 2)
        }
        // A value an option's type rejected: one sentence naming the option, not the parser's generic one.
        var message = ArgumentValueError.rewrite(fullMessage(for: error), thrown: error)
        if message.hasPrefix("Error: ") {
            message = "gbsnap: " + message.dropFirst("Error: ".count)
        } else if !message.isEmpty && !message.hasPrefix("gbsnap: ") {
            message = "gbsnap: " + message
        }
        return ErrorReport(message: message, toStandardOutput: false, status: status)
    }

    /// The command names from the root to `command` (`["gbsnap", "cron", "next"]`), or nil when it is not in the tree.
    static func commandPath(to command: any ParsableCommand.Type) -> [String]? {
        func name(_ type: any ParsableCommand.Type) -> String {
            type.configuration.commandName ?? String(describing: type).lowercased()
        }
        func search(_ type: any ParsableCommand.Type, _ path: [String]) -> [String]? {
            let here = path + [name(type)]
            if ObjectIdentifier(type) == ObjectIdentifier(command) { return here }
            for sub in type.configuration.subcommands {
                if let found = search(sub, here) { return found }
            }
            return nil
        }
        return search(GBSnapCommand.self, [])
    }
}

