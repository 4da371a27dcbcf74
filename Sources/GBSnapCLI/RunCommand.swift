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
            One daemon per store, or per shard with --shard or shard: (N daemons share one store, each capturing the \
            targets whose name hashes to its index). Exit status: 0 after a requested stop (SIGTERM, SIGINT); 1, with the reason on \
            stderr, when it cannot start or stops for any other reason (e.g. the store can no longer be written).
            """)

        @Option(help: ArgumentHelp("The config file (YAML, docs/config.md).", valueName: "file"))
        var config: String

        @OptionGroup var storeOptions: StoreOptions

        @Option(name: .customLong("grace-period"),
                help: ArgumentHelp("How long in-flight captures may finish after SIGTERM before they are cancelled (default: \(DurationParser.format(DaemonOptions.defaultGracePeriod))).",
                                   valueName: "duration"),
                transform: DurationArgument.parse)
        var gracePeriod = DurationArgument(DaemonOptions.defaultGracePeriod)

        @Option(help: ArgumentHelp("Capture only this daemon's share of the targets when N daemons share a store: INDEX/COUNT, e.g. 0/3 (overrides the config's shard:).",
                                   valueName: "index/count"),
                transform: ShardArgument.parse)
        var shard: ShardArgument?

        @Option(name: .customLong("lease-ttl"),
                help: ArgumentHelp("On a bucket store: how long the daemon's lease lasts unrenewed (renewed every third of it), so how long a daemon that died keeps its shard from a replacement (default: 30s).",
                                   valueName: "duration"),
                transform: PositiveDurationArgument.parse)
        var leaseTTL: PositiveDurationArgument?

        func run() async throws {
            LoggingSystem.bootstrap { DaemonLogHandler(label: $0) }
            // The daemon fills in the config's store: (and keeps it on reload) when neither --store nor GBSNAP_STORE is given.
            let location = storeOptions.location
            var options = DaemonOptions(configPath: config, storeOverride: location.isExplicit ? location.root : nil,
                                        gracePeriod: gracePeriod.duration, shard: shard?.shard,
                                        logger: Logger(label: "gbsnap.daemon"))
            if let leaseTTL { options.leaseTTL = leaseTTL.duration }
            try await reportingFailures { try await Daemon.run(options) }
        }
    }
}
