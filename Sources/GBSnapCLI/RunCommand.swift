import ArgumentParser
import Daemon
import Foundation
import GBSnapCore
import Logging

extension GBSnapCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daemon: scheduled captures, retention, systemd notify (see docs/operations.md).",
            discussion: """
            Loads the config, opens the store (the config's store: unless --store or GBSNAP_STORE is given) and \
            serves it until SIGTERM or SIGINT; SIGHUP reloads the config (an invalid one keeps the running config). \
            One daemon per store. Exit status: 0 after a requested stop (SIGTERM, SIGINT); 1, with the reason on \
            stderr, when it cannot start or stops for any other reason (e.g. the store can no longer be written).
            """)

        @Option(help: ArgumentHelp("The config file (YAML, docs/config.md).", valueName: "file"))
        var config: String

        @Option(name: .long, help: ArgumentHelp("Store root directory (env GBSNAP_STORE); default: the config's store:, else ./storage.", valueName: "dir"))
        var store: String?

        @Option(name: .customLong("grace-period"),
                help: ArgumentHelp("How long in-flight captures may finish after SIGTERM before they are cancelled.", valueName: "duration"))
        var gracePeriod: String = "30s"

        func run() async throws {
            guard let grace = DurationParser.parse(gracePeriod) else {
                throw ValidationError("--grace-period \"\(gracePeriod)\" is not a duration such as 30s or 2m")
            }
            let env = ProcessInfo.processInfo.environment["GBSNAP_STORE"].flatMap { $0.isEmpty ? nil : $0 }
            LoggingSystem.bootstrap { DaemonLogHandler(label: $0) }
            let options = DaemonOptions(configPath: config, storeOverride: store ?? env, gracePeriod: grace,
                                        logger: Logger(label: "gbsnap.daemon"))
            try await reportingFailures { try await Daemon.run(options) }
        }
    }
}
