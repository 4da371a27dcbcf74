import Config
import Cron
import DaemonMetrics
import Foundation
import Logging
import Retention
import ServiceLifecycle
import SnapshotStore
import Snapshotter

/// Prunes the store on `retention.schedule` (default `@hourly`) with the running config's policy.
/// Without a `retention:` section it only waits for a reload that adds one.
struct RetentionService: Service {
    /// Applies a policy: on a local store, on the store threads (it takes the store lock, deletes archives and
    /// rewrites the catalog); on a bucket, through its prune lease.
    let prune: @Sendable (RetentionPolicy, Date) async throws -> PruneResult
    let state: DaemonState
    let logger: Logger
    var clock: any SchedulerClock = SystemSchedulerClock()
    var metrics = DaemonMetrics(version: GBSnapVersion.current)
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
                guard await sleep(maxNap) else { return }
                continue
            }
            let cron: CronExpression
            do { cron = try CronExpression(policy.schedule, hashKey: "retention") } catch {
                if reportedInvalid != policy.schedule {
                    logger.error("retention schedule is invalid; not pruning", metadata: ["schedule": "\(policy.schedule)", "error": "\(error)"])
                    reportedInvalid = policy.schedule
                }
                guard await sleep(maxNap) else { return }
                continue
            }
            guard let due = cron.next(after: clock.now(), in: policy.timeZone) else {
                guard await sleep(maxNap) else { return }
                continue
            }
            var reloaded = false
            while clock.now() < due {
                guard await sleep(min(maxNap, .seconds(max(0, due.timeIntervalSince(clock.now()))))) else { return }
                if clock.now() < due, await state.generation != generation { reloaded = true; break }
            }
            if reloaded { continue }
            await run(policy)
        }
    }

    /// False when cancelled.
    private func sleep(_ duration: Duration) async -> Bool {
        do { try await clock.sleep(for: duration) } catch { return false }
        return true
    }

    func run(_ policy: RetentionPolicy) async {
        do {
            // A run that started finishes even when shutdown comes meanwhile (a local prune is not interruptible
            // either): a bucket's removal then releases its lease instead of leaving it for the next run to finish.
            let (prune, now) = (self.prune, clock.now())
            let result = try await Task { try await prune(policy, now) }.value
            metrics.recordPrune(result)
            logger.info("retention run", metadata: [
                "removed": "\(result.removedIDs.count)", "bytes_freed": "\(result.bytesFreed)", "skipped": "\(result.skipped.count)",
            ])
            for skip in result.skipped { logger.warning("\(skip)") }
        } catch {
            if error is CancellationError { return }  // shutdown came before the run started
            metrics.retentionRun(success: false)
            logger.error("retention run failed", metadata: ["error": "\(error)"])
        }
    }
}
