import Config
import DaemonMetrics
import Foundation
import GBSnapCore
import Logging
import Scheduling
import ServiceLifecycle
import SnapshotStore
import UnixSignals
import Snapshotter

/// What `gbsnap run` was asked to do.
public struct DaemonOptions: Sendable {
    /// The config file (reloaded on SIGHUP).
    public var configPath: String
    /// The store root from `--store` or `GBSNAP_STORE`; nil uses the config's `store:`, else `./storage`.
    public var storeOverride: String?
    /// How long in-flight captures may run after SIGTERM/SIGINT before they are cancelled.
    public var gracePeriod: Duration
    /// The daemon's logger.
    public var logger: Logger

    /// `--shard`: this daemon's share of the targets, over the config's `shard:`.
    public var shard: Shard?

    /// How long the daemon's lease on a bucket store lasts unrenewed (it renews every third of it): how long a
    /// daemon that died keeps its shard from a replacement.
    public var leaseTTL: Duration = .seconds(30)

    /// Default grace period for in-flight captures at shutdown.
    public static let defaultGracePeriod: Duration = .seconds(30)

    /// Memberwise initializer.
    public init(configPath: String, storeOverride: String? = nil, gracePeriod: Duration = DaemonOptions.defaultGracePeriod,
                shard: Shard? = nil, logger: Logger = Logger(label: "gbsnap.daemon")) {
        self.configPath = configPath
        self.storeOverride = storeOverride
        self.gracePeriod = gracePeriod
        self.shard = shard
        self.logger = logger
    }
}

/// Why the daemon could not start, or stopped on its own. The description is one sentence naming
/// the input and what is wrong (the CLI prints it after `gbsnap: `); ``code`` says which failure it
/// is and ``underlying`` keeps the error underneath (a `ConfigErrors`, a `StoreError`, ...) for
/// callers that match on it.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    /// Which failure; extensible, so new codes never break a `switch` of callers (match with `==`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfig = "invalid config"
            case storeUnavailable = "store unavailable"
            case storeLocked = "store locked"
            case storeFailed = "store failed"
            case serviceFailed = "service failed"
            case metricsUnavailable = "metrics unavailable"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The config file cannot be read or is invalid.
        public static let invalidConfig = Code(.invalidConfig)
        /// The store cannot be opened, or the snapshotter cannot be set up in it.
        public static let storeUnavailable = Code(.storeUnavailable)
        /// The store is served by another daemon, or its lock cannot be taken.
        public static let storeLocked = Code(.storeLocked)
        /// A snapshot could not be stored and the store fails its write probe: the daemon stopped.
        public static let storeFailed = Code(.storeFailed)
        /// One of the daemon's services stopped with an error.
        public static let serviceFailed = Code(.serviceFailed)
        /// `metrics_listen` cannot be bound (a port in use, an address not on this host).
        public static let metricsUnavailable = Code(.metricsUnavailable)

        public var description: String { base.rawValue }
    }

    /// Which failure this is.
    public var code: Code
    /// The error underneath, if there is one.
    public var underlying: (any Error)?
    /// One sentence naming the input and what is wrong.
    public var description: String

    init(_ code: Code, underlying: (any Error)? = nil, _ description: String) {
        self.code = code
        self.underlying = underlying
        self.description = description
    }
}

/// `gbsnap run`: the scheduler, retention and systemd integration as swift-service-lifecycle
/// services in one `ServiceGroup` (graceful shutdown on SIGTERM and SIGINT).
///
/// Start-up: load the config, open the store, take `<store>/daemon.lock` (one daemon per store; on a
/// bucket, the lease `leases/daemon.json`),
/// trap SIGHUP, then send `READY=1`. Shutdown: `STOPPING=1`, no new captures, in-flight captures
/// get `gracePeriod` and are then cancelled (no partial files remain), and `run` returns.
public enum Daemon {
    /// The store root the daemon will use: the override, else the config's `store:`, else `./storage`.
    public static func storeRoot(override: String?, config: ConfigFile) -> String {
        // `override` is --store or GBSNAP_STORE, already resolved by the CLI through the same StoreLocation.
        StoreLocation.resolve(flag: override, environment: [:], config: config.store).root
    }

    /// Runs the daemon until SIGTERM/SIGINT, then returns. Throws ``DaemonError`` when it cannot
    /// start, and when it stops for any other reason (a service failed, e.g. the store can no
    /// longer be written), so the process exits non-zero and systemd's `Restart=on-failure` acts.
    public static func run(_ options: DaemonOptions) async throws {
        let logger = options.logger
        let whole: ConfigFile
        do { whole = try ConfigFile.load(path: options.configPath) } catch {
            throw DaemonError(.invalidConfig, underlying: error, "config \(options.configPath) is invalid: \(error)")
        }
        let shard = Shard.dividing(options.shard ?? whole.shard)
        let config = whole.restricted(to: shard)
        let root = storeRoot(override: options.storeOverride, config: config)
        let daemonStore = if root.hasPrefix("s3://") {
            try await DaemonStore.bucket(root: root, settings: config.s3, shard: shard, targets: config.targets.map(\.name),
                                         leaseTTL: options.leaseTTL, logger: logger)
        } else {
            try DaemonStore.local(root: root, shard: shard, logger: logger)
        }
        let snapshotter = daemonStore.snapshotter

        let notifier = SystemdNotifier()
        let state = DaemonState(config: config)
        var starting: Logger.Metadata = [
            "config": "\(options.configPath)", "store": "\(daemonStore.name)", "pid": "\(SystemIO.currentProcessID)",
            "schedules": "\(config.schedules.count)", "targets": "\(config.targets.count)",
        ]
        if let shard {
            starting["shard"] = "\(shard)"
            starting["targets_in_config"] = "\(whole.targets.count)"
        }
        logger.info("daemon starting", metadata: starting)

        let metrics = DaemonMetrics(version: GBSnapVersion.current)
        metrics.configApplied(config)
        let metricsServer: MetricsServer?
        do { metricsServer = try await Self.metricsServer(config: config, metrics: metrics, snapshotter: snapshotter, logger: logger) } catch {
            await snapshotter.shutdown()
            await daemonStore.close()
            throw error
        }
        if metricsServer != nil { await seedStoreMetrics(metrics, snapshotter: snapshotter, logger: logger) }

        // First, so a graceful shutdown stops it last: the lease is released once no capture can write any more.
        var services: [any Service] = daemonStore.services
        if let interval = SystemdNotifier.watchdogInterval() {
            services.append(WatchdogService(notifier: notifier, interval: interval / 2))
            logger.info("watchdog enabled", metadata: ["interval": "\(DurationParser.format(interval / 2))"])
        }
        services.append(ReloadService(configPath: options.configPath, storeRoot: daemonStore.name, storeOverride: options.storeOverride,
                                      shard: shard, shardOverridden: options.shard != nil, state: state, notifier: notifier, logger: logger, metrics: metrics,
                                      metricsListen: config.metricsListen))
        services.append(RetentionService(prune: daemonStore.prune, state: state, logger: logger, metrics: metrics))
        let clock = SystemSchedulerClock()
        let triggers = TriggerPoller(polling: snapshotter, taker: snapshotter, state: state, clock: clock,
                                     activity: TriggerActivity(), metrics: metrics, logger: logger)
        services.append(SchedulerService(taker: snapshotter, state: state, clock: clock, notifier: notifier,
                                         gracePeriod: options.gracePeriod, logger: logger, triggers: triggers, metrics: metrics))
        if let metricsServer { services.append(metricsServer) }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.error("daemon stopped with an error", metadata: ["error": "\(error)"])
            notifier.notify("STOPPING=1\nSTATUS=failed: \(error)")
            await snapshotter.shutdown()
            await daemonStore.close()
            throw error as? DaemonError
                ?? DaemonError(.serviceFailed, underlying: error, "the daemon stopped because one of its services failed: \(error)")
        }
        await snapshotter.shutdown()
        await daemonStore.close()
        logger.info("daemon stopped")
    }
}

extension Daemon {
    /// Puts archives a crash left out of the catalog back into it, logging each; a store whose
    /// catalog cannot be read is logged and left for `gbsnap verify`/`reindex`.
    static func adoptUncataloguedArchives(_ store: SnapshotStore, logger: Logger) {
        logAdoption(logger) { try store.adoptUncataloguedArchives() }
    }

    /// Runs an adoption (local or in a bucket) and logs what it found.
    static func logAdoption(_ logger: Logger, _ adopt: () async throws -> [AdoptedArchive]) async {
        do {
            log(try await adopt(), logger)
        } catch {
            logger.error("cannot check the store for archives missing from the catalog", metadata: ["error": "\(error)"])
        }
    }

    static func logAdoption(_ logger: Logger, _ adopt: () throws -> [AdoptedArchive]) {
        do {
            log(try adopt(), logger)
        } catch {
            logger.error("cannot check the store for archives missing from the catalog", metadata: ["error": "\(error)"])
        }
    }

    private static func log(_ found: [AdoptedArchive], _ logger: Logger) {
        for found in found {
            if let entry = found.entry {
                logger.warning("adopted a snapshot missing from the catalog (its write was interrupted)", metadata: [
                    "id": "\(entry.id)", "target": "\(entry.target)", "key": "\(found.key)",
                ])
            } else {
                logger.error("archive not in the catalog left out", metadata: ["key": "\(found.key)", "problem": "\(found.problem ?? "")"])
            }
        }
    }
}

/// The running config; replaced on a successful reload. `generation` counts replacements so
/// services notice a reload.
actor DaemonState {
    private(set) var config: ConfigFile
    private(set) var generation = 0

    init(config: ConfigFile) { self.config = config }

    func current() -> (ConfigFile, Int) { (config, generation) }

    func replace(_ new: ConfigFile) {
        config = new
        generation += 1
    }
}

extension Duration {
    /// Seconds as a Double.
    var timeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
