import NIOPosix
import SnapshotStore

/// Runs the store's blocking calls (archive writing and gzip, fsyncs, the store lock's wait loop,
/// catalog and manifest reads, pruning) on threads of their own, so async callers never block a
/// thread of Swift's cooperative pool: a slow disk then delays only store work, never every
/// capture's HTTP I/O and every timer of the daemon.
public final class StoreWorkers: Sendable {
    /// The store the work runs against.
    public let store: SnapshotStore
    let pool: NIOThreadPool

    /// Default number of threads: store work is mostly waiting on the disk, so a few more threads
    /// than cores keep fsyncs of concurrent snapshots from queueing behind each other.
    public static let defaultThreads = 4

    /// Starts `threads` threads serving `store`; call ``shutdown()`` when done.
    public init(store: SnapshotStore, threads: Int = StoreWorkers.defaultThreads) {
        self.store = store
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Runs `body` on a store thread and returns its result. A task cancelled while `body` is still
    /// queued throws `CancellationError` without running it; once running, `body` completes (store
    /// writes are crash-safe steps that are not interrupted half-way).
    public func run<T: Sendable>(_ body: @escaping @Sendable (SnapshotStore) throws -> T) async throws -> T {
        let store = self.store
        return try await pool.runIfActive { try body(store) }
    }

    /// Waits for queued work and stops the threads.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
