import BucketStore
import Config
import Foundation
import GBSnapCore
import Logging
import Retention
import S3
import Scheduling
import ServiceLifecycle
import SnapshotStore
import Snapshotter

/// The store side of a running daemon: a local directory held by its flock, or a bucket held by its lease
/// (docs/s3.md). Everything the services need from it, so they do not care which it is.
struct DaemonStore: Sendable {
    /// Takes and stores the snapshots.
    let snapshotter: Snapshotter
    /// The directory or `s3://…`, for logs.
    let name: String
    /// Applies a retention policy.
    let prune: @Sendable (RetentionPolicy, Date) async throws -> PruneResult
    /// Services that keep the store's hold (the bucket's lease), started first and stopped last.
    let services: [any Service]
    /// Releases the hold and closes connections, after the services stopped.
    let close: @Sendable () async -> Void

    /// The lease name of a shard's daemon in a bucket: its local lock file's name without `.lock`.
    static func leaseName(_ shard: Shard?) -> String {
        String(Shard.daemonLockName(shard).dropLast(".lock".count))
    }

    /// The local store at `root`, locked for this daemon (or this shard's), with archives a crash left out of the
    /// catalog adopted.
    static func local(root: String, shard: Shard?, logger: Logger) throws -> DaemonStore {
        let store: SnapshotStore
        do { store = try SnapshotStore(root: root, create: true) } catch { throw DaemonError(.storeUnavailable, underlying: error, "\(error)") }
        // One daemon per store, or per shard of it: N daemons with disjoint targets share one store.
        let lockPath = "\(store.root)/" + Shard.daemonLockName(shard)
        let lock: FileLock?
        do { lock = try FileLock.acquire(lockPath, mode: .exclusive, timeout: 0) } catch {
            throw DaemonError(.storeLocked, underlying: error, "cannot lock store \(store.root) for the daemon: \(error)")
        }
        guard let lock else {
            let holder = FileLock.holderPID(lockPath).map { "pid \($0)" } ?? "another process"
            let served = shard.map { "shard \($0) of store \(store.root) is" } ?? "store \(store.root) is"
            throw DaemonError(.storeLocked, "\(served) already served by gbsnap daemon \(holder)")
        }
        Daemon.adoptUncataloguedArchives(store, logger: logger)
        let snapshotter: Snapshotter
        do { snapshotter = try Snapshotter(store: store, logger: logger) } catch {
            lock.unlock()
            throw DaemonError(.storeUnavailable, underlying: error, "\(error)")
        }
        let workers = snapshotter.workers
        return DaemonStore(snapshotter: snapshotter, name: store.root,
                           prune: { policy, now in try await workers.run { store in try store.prune(policy: policy, now: now) } },
                           services: [], close: { lock.unlock() })
    }

    /// The bucket store at `root` (`s3://…`), with the endpoint and credentials from the environment over the config's
    /// `s3:` block, held by the lease of this daemon (or this shard's) for as long as it runs; archives of `targets` a
    /// writer left without a record are adopted once the lease is held.
    static func bucket(root: String, settings: S3Configuration.FileSettings?, shard: Shard?, targets: [String], leaseTTL: Duration,
                       logger: Logger) async throws -> DaemonStore {
        let bucket: BucketStore
        do { bucket = try BucketStore.open(root, environment: ProcessInfo.processInfo.environment, settings: settings ?? S3Configuration.FileSettings()) } catch {
            throw DaemonError(.storeUnavailable, underlying: error, "\(error)")
        }
        let lease: BucketLease
        do {
            lease = try await BucketLease.acquire(bucket, name: leaseName(shard), purpose: shard.map { "gbsnap daemon of shard \($0)" } ?? "gbsnap daemon",
                                                  ttl: leaseTTL)
        } catch {
            await bucket.shutdown()
            if error is LeaseHeld {
                let served = shard.map { "shard \($0) of store \(root)" } ?? "store \(root)"
                throw DaemonError(.storeLocked, underlying: error, "\(served) is already served by another gbsnap daemon: \(error)")
            }
            throw DaemonError(.storeUnavailable, underlying: error, "cannot take the daemon's lease in \(root): \(error)")
        }
        if !targets.isEmpty { await Daemon.logAdoption(logger) { try await bucket.adoptUnrecorded(targets: targets) } }
        let keeper = LeaseKeeper(lease: lease, store: root, logger: logger)
        let snapshotter: Snapshotter
        do { snapshotter = try Snapshotter.forBucket(bucket, writeGate: { try keeper.check() }, logger: logger) } catch {
            _ = try? await lease.release()
            await bucket.shutdown()
            throw DaemonError(.storeUnavailable, underlying: error, "\(error)")
        }
        return DaemonStore(snapshotter: snapshotter, name: root,
                           prune: { policy, now in
                               try keeper.check()
                               return try await bucket.prune(policy: policy, now: now)
                           },
                           services: [keeper], close: { await bucket.shutdown() })
    }
}

/// Renews the daemon's lease on a bucket every third of its lifetime and releases it at shutdown. A lease taken over
/// by another daemon, or one that could not be renewed before it expired, stops this daemon: ``check()`` then refuses
/// every write at once, and ``run()`` throws so the daemon exits non-zero.
final class LeaseKeeper: Service, @unchecked Sendable {
    let lease: BucketLease
    let store: String
    let logger: Logger
    private let lock = NSLock()
    private var lostReason: String?

    init(lease: BucketLease, store: String, logger: Logger) {
        self.lease = lease
        self.store = store
        self.logger = logger
    }

    /// Throws once the lease is lost: no snapshot may be recorded any more.
    func check() throws {
        if let reason = lock.withLock({ lostReason }) { throw DaemonError(.storeLocked, reason) }
    }

    private func lose(_ reason: String) -> DaemonError {
        lock.withLock { lostReason = reason }
        return DaemonError(.storeLocked, reason)
    }

    func run() async throws {
        let interval = lease.ttl / 3
        let failure: DaemonError? = await cancelWhenGracefulShutdown { () async -> DaemonError? in
            var renewed = ContinuousClock.now
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return nil }
                do {
                    try await self.lease.renew()
                    renewed = ContinuousClock.now
                } catch let lost as BucketLeaseLost {
                    return self.lose("the daemon's lease \(self.lease.name) in \(self.store) was taken over (\(lost)); this daemon stopped writing and exits")
                } catch {
                    if ContinuousClock.now - renewed >= self.lease.ttl {
                        return self.lose("the daemon's lease \(self.lease.name) in \(self.store) could not be renewed before it expired (\(error)); this daemon stopped writing and exits")
                    }
                    self.logger.warning("cannot renew the daemon's lease; trying again", metadata: ["lease": "\(self.lease.name)", "error": "\(error)"])
                }
            }
            return nil
        }
        if let failure { throw failure }
        do { try await lease.release() } catch {
            logger.warning("cannot release the daemon's lease; it expires on its own", metadata: ["lease": "\(lease.name)", "error": "\(error)"])
        }
    }
}
