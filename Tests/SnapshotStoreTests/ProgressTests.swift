import Foundation
import GBSnapCore
import GBSnapTestSupport
import Retention
import Testing
@testable import SnapshotStore

/// The progress callbacks of long store work: one call per item before it is worked on, then a last call with
/// `done == total`, so a caller can draw a counter without knowing the store's layout.
@Suite struct ProgressTests {
    /// Records every call.
    final class Calls: @unchecked Sendable {
        var list: [(done: Int, total: Int, item: String)] = []
        var callback: StoreProgress { { [self] in list.append(($0, $1, $2)) } }
        var counts: [Int] { list.map(\.done) }
    }

    @Test("verify reports each snapshot by id, then done")
    func verify() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        let calls = Calls()
        #expect(store.verify(progress: calls.callback).isHealthy)
        #expect(calls.counts == [0, 1, 2])
        #expect(calls.list.allSatisfy { $0.total == 2 })
        #expect(Set(calls.list.map(\.item)) == [e1.id, e2.id, ""])
    }

    @Test("reindex reports each archive by key, then done")
    func reindex() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, e2) = try storeWithTwoSnapshots(tmp)
        let calls = Calls()
        #expect(try store.reindex(progress: calls.callback).snapshots == 2)
        #expect(calls.counts == [0, 1, 2])
        #expect(Set(calls.list.map(\.item)) == [e1.key, e2.key, ""])
    }

    @Test("prune counts removals across its crash-safe batches, against the whole removal")
    func prune() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, e1, _) = try storeWithTwoSnapshots(tmp)
        let e0 = try store.importFiles([ImportFile(path: Samples.path("go1.27/goroutine-a.debug2.txt"), kind: .stacks)],
                                       target: "api", takenAt: date("2026-11-24T00:00:00Z"))
        let calls = Calls()
        let result = try store.prune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 1)]), now: date("2026-11-27T00:00:00Z"),
                                     batchSize: 1, progress: calls.callback)
        #expect(Set(result.removedIDs) == [e0.id, e1.id])
        #expect(calls.counts == [0, 1, 2])
        #expect(calls.list.allSatisfy { $0.total == 2 })
        #expect(Set(calls.list.map(\.item)) == [e0.id, e1.id, ""])
    }

    @Test("nothing to remove: no calls at all")
    func pruneNothing() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, _, _) = try storeWithTwoSnapshots(tmp)
        let calls = Calls()
        _ = try store.prune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 5)]), progress: calls.callback)
        #expect(calls.list.isEmpty)
    }
}
