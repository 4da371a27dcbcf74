import ArgumentParser
import Config
import Foundation

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
            abstract: "Validate a config file; print every error as file:line:column: message and exit 1 if there is any.")

        @Argument(help: "The config file.")
        var file: String

        func run() async throws {
            let config = try ConfigLoading.load(file)
            let rules = config.retention.map { "\($0.rules.count) retention rule\($0.rules.count == 1 ? "" : "s")" } ?? "no retention"
            print("\(file): OK: \(config.targets.count) target\(config.targets.count == 1 ? "" : "s"), "
                + "\(config.schedules.count) schedule\(config.schedules.count == 1 ? "" : "s"), \(rules)")
        }
    }
}

/// Loads a config for a command; on errors prints them (one per line, `file:line:column: ...`) and exits 1.
enum ConfigLoading {
    static func load(_ path: String) throws -> ConfigFile {
        do {
            return try ConfigFile.load(path: path)
        } catch {
            for e in error.errors { FileHandle.standardError.write(Data("\(e.description)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}
