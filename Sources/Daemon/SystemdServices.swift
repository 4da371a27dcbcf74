import Config
import DaemonMetrics
import Foundation
import GBSnapCore
import Logging
import Scheduling
import ServiceLifecycle
import SnapshotStore
import UnixSignals

/// Sends `WATCHDOG=1` every `interval` (half of `$WATCHDOG_USEC`) until shutdown, timed by `clock` (the
/// scheduler's, so tests drive it without waiting).
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    var clock: any SchedulerClock = SystemSchedulerClock()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                notifier.notify("WATCHDOG=1")
                do { try await clock.sleep(for: interval) } catch { return }
            }
        }
    }
}

/// Traps SIGHUP, announces readiness, and reloads the config on each SIGHUP: `RELOADING=1` with
/// `MONOTONIC_USEC=`, load and validate, then `READY=1`. An invalid config keeps the running one.
struct ReloadService: Service {
    let configPath: String
    let storeRoot: String
    let storeOverride: String?
    /// The shard the daemon runs (its lock is the shard's, so it cannot change on reload).
    let shard: Shard?
    /// True when `--shard` set it, so the config's `shard:` does not matter.
    let shardOverridden: Bool
    let state: DaemonState
    let notifier: SystemdNotifier
    let logger: Logger
    var metrics = DaemonMetrics(version: GBSnapVersion.current)
    /// The running `metrics_listen` (bound at start only).
    var metricsListen: ListenAddress? = nil

    func run() async throws {
        // Trap SIGHUP before READY=1, so a reload request can never kill a daemon systemd thinks is up.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        notifier.notify("READY=1\nSTATUS=running; planning the first captures")
        logger.info("ready")
        for await _ in hangups.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    func reload() async {
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
        logger.info("reloading config", metadata: ["config": "\(configPath)"])
        do {
            let loaded = try ConfigFile.load(path: configPath)
            if !shardOverridden, Shard.dividing(loaded.shard) != shard {
                logger.warning("the shard cannot change on reload; restart the daemon to use it",
                               metadata: ["running": "\(shard.map(\.description) ?? "none")",
                                          "configured": "\(loaded.shard.map(\.description) ?? "none")"])
            }
            let new = loaded.restricted(to: shard)
            if storeOverride == nil, let newStore = new.store, newStore != storeRoot, newStore + "/" != storeRoot + "/" {
                logger.warning("the store cannot change on reload; restart the daemon to use it",
                               metadata: ["running": "\(storeRoot)", "configured": "\(newStore)"])
            }
            if new.metricsListen != metricsListen {
                logger.warning("metrics_listen cannot change on reload; restart the daemon to use it",
                               metadata: ["running": "\(metricsListen.map(\.description) ?? "off")",
                                          "configured": "\(new.metricsListen.map(\.description) ?? "off")"])
            }
            await state.replace(new)
            metrics.configApplied(new)
            metrics.configReloaded(success: true, hash: new.sha256)
            logger.info("config reloaded", metadata: ["schedules": "\(new.schedules.count)", "targets": "\(new.targets.count)"])
        } catch {
            metrics.configReloaded(success: false, hash: nil)
            logger.error("config reload failed; keeping the running config", metadata: ["error": "\(error)"])
        }
        notifier.notify("READY=1")
    }
}
