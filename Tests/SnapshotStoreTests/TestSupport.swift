import Foundation
import GBSnapCore
import GBSnapTestSupport
@testable import SnapshotStore

func date(_ iso: String) -> Date { Timestamp.parse(iso)! }

/// A store under `tmp` with two `stacks` imports of target `api`, a day apart (oldest first).
func storeWithTwoSnapshots(_ tmp: TemporaryDirectory) throws -> (SnapshotStore, CatalogEntry, CatalogEntry) {
    let store = try SnapshotStore(root: "\(tmp.path)/store")
    let e1 = try store.importFiles([ImportFile(path: Samples.path("go1.27/goroutine-a.debug2.txt"), kind: .stacks)],
                                   target: "api", takenAt: date("2026-11-25T00:00:00Z"))
    let e2 = try store.importFiles([ImportFile(path: Samples.path("go1.27/goroutine-b.debug2.txt"), kind: .stacks)],
                                   target: "api", takenAt: date("2026-11-26T00:00:00Z"))
    return (store, e1, e2)
}
