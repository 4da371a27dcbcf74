import ArgumentParser
import Config
import Foundation
import GBSnapCore

extension GBSnapCommand {
    /// `gbsnap config ...`: config file tools.
    struct ConfigGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config", abstract: "Config file tools.", subcommands: [ConfigCheck.self])
    }

    /// `gbsnap config check FILE`: validate a config, every error as `file:line:column: message`.
    struct ConfigCheck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a config file; print every error as file:line:column: message and exit 1 if there is any.",
            discussion: """
                Besides the shape of the file, it checks that every schedule captures something (no empty targets: \
                list, no selector that matches no target) and that every credential and CA file the config names \
                exists and is readable by this user. Unusable files are warnings that still exit 1, because every \
                capture of that target would fail; --allow-missing-files prints them and exits 0 (for checking a \
                config on a machine without its secrets, as CI does with schedules/example.yaml).
                """)

        @Argument(help: "The config file.")
        var file: String

        @Flag(name: .customLong("allow-missing-files"), help: "Warn about missing or unreadable credential and CA files but exit 0.")
        var allowMissingFiles = false

        func run() async throws {
            let config = try ConfigLoading.load(file)
            let warnings = config.fileProblems(SystemIO.unreadableReason)
            for w in warnings { FileHandle.standardError.write(Data("\(w.description)\n".utf8)) }
            let rules = config.retention.map { "\($0.rules.count) retention rule\($0.rules.count == 1 ? "" : "s")" } ?? "no retention"
            let summary = "\(config.targets.count) target\(config.targets.count == 1 ? "" : "s"), "
                + "\(config.schedules.count) schedule\(config.schedules.count == 1 ? "" : "s"), "
                + (config.triggers.isEmpty ? "" : "\(config.triggers.count) trigger\(config.triggers.count == 1 ? "" : "s"), ") + rules
                + (config.metricsListen.map { ", metrics on \($0)" } ?? "")
            guard warnings.isEmpty || allowMissingFiles else {
                Console.error("\(file): \(warnings.count) file\(warnings.count == 1 ? "" : "s") cannot be read (see above); "
                    + "fix them, or give --allow-missing-files to check only the shape")
                throw ExitCode(1)
            }
            let note = warnings.isEmpty ? "" : " (\(warnings.count) missing file warning\(warnings.count == 1 ? "" : "s") allowed)"
            print("\(file): OK: \(summary)\(note)")
        }
    }
}
