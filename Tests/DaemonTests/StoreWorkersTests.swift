import Foundation
import GBSnapTestSupport
import SnapshotStore
import Snapshotter
import Testing

/// Store work runs on threads of its own: however long it blocks, async code keeps running.
@Suite("store work off the cooperative pool")
struct StoreWorkersTests {
    @Test("store calls blocked on the disk (more of them than there are cores) do not stop async tasks from running")
    func blockedStoreWorkLeavesTheCooperativePoolFree() async throws {
        let dir = TemporaryDirectory("gbsnap-store-workers")
        defer { dir.cleanup() }
        let workers = StoreWorkers(store: try SnapshotStore(root: dir.path + "/store", create: true), threads: 4)
        let disk = DispatchSemaphore(value: 0)
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        // Each call stands for an fsync on a disk that does not answer until the test says so.
        let writes = (0..<blocked).map { _ in Task { try await workers.run { _ in disk.wait() } } }
        // Were these calls made inline, every thread of the cooperative pool would be blocked
        // and this would never return.
        let values = await withTaskGroup(of: Int.self) { group in
            for i in 0..<100 { group.addTask { i } }
            return await group.reduce(0, +)
        }
        #expect(values == 4_950)
        for _ in 0..<blocked { disk.signal() }
        for w in writes { try await w.value }
        // The store answers through the workers like it does inline.
        #expect(try await workers.run { store in try store.list(ListFilter()) }.isEmpty)
        await workers.shutdown()
    }
}
