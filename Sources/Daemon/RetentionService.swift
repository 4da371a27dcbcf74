import Config
import Cron
import Foundation
import Logging
import Retention
import ServiceLifecycle
import SnapshotStore

/// Prunes the store on `retention.schedule` (default `@hourly`) with the running config's policy.
/// Without a `retention:` section it only waits for a reload that adds one.
struct RetentionService: Service {
    let store: SnapshotStore
    let state: DaemonState
    let logger: Logger
    /// Longest single sleep, so a reload or a wall-clock change is noticed.
    let maxNap: Duration = .seconds(5)

    func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    func loop() async {
        var reportedInvalid: String? = nil
        while !Task.isCancelled {
            let (config, generation) = await state.current()
            guard let policy = config.retention else {
                guard await nap(maxNap) else { return }
                continue
            }
            let cron: CronExpression
            do { cron = try CronExpression(policy.schedule, hashKey: "retention") } catch {
                if reportedInvalid != policy.schedule {
                    logger.error("retention schedule is invalid; not pruning", metadata: ["schedule": "\(policy.schedule)", "error": "\(error)"])
                    reportedInvalid = policy.schedule
                }
                guard await nap(maxNap) else { return }
                continue
            }
            guard let due = cron.next(after: Date(), in: policy.timeZone) else {
                guard await nap(maxNap) else { return }
                continue
            }
            var reloaded = false
            while Date() < due {
                guard await nap(min(maxNap, .seconds(max(0, due.timeIntervalSinceNow)))) else { return }
                if Date() < due, await state.generation != generation { reloaded = true; break }
            }
            if reloaded { continue }
            prune(policy)
        }
    }

    func prune(_ policy: RetentionPolicy) {
        do {
            let result = try store.prune(policy: policy, now: Date())
            logger.info("retention run", metadata: [
                "removed": "\(result.removedIDs.count)", "bytes_freed": "\(result.bytesFreed)", "skipped": "\(result.skipped.count)",
            ])
            for skip in result.skipped { logger.warning("\(skip)") }
        } catch {
            logger.error("retention run failed", metadata: ["error": "\(error)"])
        }
    }
}
