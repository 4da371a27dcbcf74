import Foundation
import GBSnapCore
import GBSnapTestSupport
import Testing
@testable import SnapshotStore

/// Selectors that pick comparable snapshots: failed captures never count, kind and schedule
/// narrow, unknown names get a did-you-mean, and the pairing rules behind `gbsnap diff TARGET`.
@Suite struct SelectorTests {
    func failure(_ store: SnapshotStore, _ selector: String, _ filter: SelectorFilter = SelectorFilter()) -> String? {
        do { _ = try store.resolve(selector, filter: filter); return nil } catch { return "\(error)" }
    }

    @Test func relativeSelectorsSkipFailedCapturesAndNarrowByKindAndSchedule() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let store = try SnapshotStore(root: tmp.path)
        let heap = try store.importFiles([ImportFile(path: Samples.path("go1.27/heap-gc-a.pb.gz"), kind: .heap)],
                                         target: "api", takenAt: date("2026-11-26T01:00:00Z"))
        let vars = try store.importFiles([ImportFile(path: Samples.path("go1.27/vars-a.json"), kind: .vars)],
                                         target: "api", takenAt: date("2026-11-26T02:00:00Z"))
        let failed = try MaintenanceTests.failedCapture(store, target: "api", at: "2026-11-26T03:00:00Z")

        #expect(try store.resolve("api@latest").id == vars.id)
        #expect(try store.resolve("api@latest~1").id == heap.id)
        #expect(try store.resolve("api@2026-11-26T03:30:00Z").id == vars.id)
        #expect(failure(store, "api@latest~2")?.contains("has only 2 snapshot(s) with data (1 skipped: 1 failed capture without data)") == true)
        // A failed capture is still named by its id.
        #expect(try store.resolve(failed.id).id == failed.id)

        #expect(try store.resolve("api@latest", filter: SelectorFilter(kinds: ["heap"])).id == heap.id)
        #expect(failure(store, "api@latest~1", SelectorFilter(kinds: ["heap", "allocs"]))?
            .contains("has only 1 snapshot(s) with data holding allocs or heap (2 skipped: 1 failed capture without data, 1 holding only vars)") == true)
        #expect(try store.resolve("api@latest~1", filter: SelectorFilter(schedule: "import")).id == heap.id)
        let onlyFailed = failure(store, "api@latest", SelectorFilter(schedule: "hourly"))
        #expect(onlyFailed?.contains("with data of schedule \"hourly\"") == true)
        #expect(onlyFailed?.contains("gbsnap show \(failed.id)") == true)
    }

    @Test func unknownTargetsSuggestTheClosestNameOrListTheStoresTargets() throws {
        let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
        let (store, _, _) = try storeWithTwoSnapshots(tmp)
        _ = try store.importFiles([ImportFile(path: Samples.path("go1.27/vars-a.json"), kind: .vars)],
                                  target: "etcd", takenAt: date("2026-11-26T02:00:00Z"))
        #expect(failure(store, "etdc@latest") == "selector \"etdc@latest\": the store has no snapshots of target \"etdc\"; did you mean \"etcd\"?")
        #expect(failure(store, "prometheus@latest")?.hasSuffix("; the store has snapshots of: api, etcd") == true)
        #expect(failure(store, "etcd") == "no snapshot matches \"etcd\"; did you mean \"etcd@latest\"?")
        #expect(failure(store, "etdc") == "no snapshot matches \"etdc\"; did you mean \"etcd@latest\"?")
        #expect(failure(store, "zzzz")?.contains("use an id, an id prefix, TARGET@latest") == true)
    }

    static func entry(_ hour: Int, _ kinds: [String], schedule: String = "hourly", failed: Bool = false) -> CatalogEntry {
        let t = date("2026-11-26T00:00:00Z").addingTimeInterval(Double(hour) * 3600)
        let id = SnapshotID.make(target: "api", at: t)
        return CatalogEntry(id: id, key: SnapshotStore.key(target: "api", id: id, takenAt: t), target: "api", labels: [:],
                            kinds: failed ? [] : kinds, failedKinds: failed ? kinds : [], schedule: schedule, takenAt: t,
                            finishedAt: t, bytes: 1, sha256: "", status: failed ? .failed : .complete)
    }

    @Test func pairingComparesTheNewestWithTheNewestEarlierSnapshotSharingAKind() {
        let diffable: Set<String> = ["heap", "allocs", "goroutine", "stacks", "vars"]
        let entries = [Self.entry(1, ["heap", "vars"]), Self.entry(2, ["trace"], schedule: "nightly"),
                       Self.entry(3, ["heap"], failed: true), Self.entry(4, ["stacks"]), Self.entry(5, ["heap"]),
                       Self.entry(6, ["trace"], schedule: "nightly")]
        // The newest with something diffable is hour 5; hour 4 shares nothing with it, hour 3 has no data.
        let newest = SnapshotPairing.newest(in: entries, comparable: diffable)
        #expect(newest?.id == entries[4].id)
        #expect(SnapshotPairing.base(for: entries[4], in: entries, comparable: diffable)?.id == entries[0].id)
        #expect(SnapshotPairing.successor(of: entries[0], in: entries, comparable: diffable)?.id == entries[4].id)
        #expect(SnapshotPairing.base(for: entries[3], in: entries, comparable: diffable) == nil)
        #expect(SnapshotPairing.newestPair(in: entries, comparable: diffable).map { [$0.a.id, $0.b.id] } == [entries[0].id, entries[4].id])
        // Narrowed to stacks, nothing pairs; to vars, hour 1 has no later partner.
        #expect(SnapshotPairing.newestPair(in: entries, comparable: ["stacks"]) == nil)
        #expect(SnapshotPairing.successor(of: entries[0], in: entries, comparable: ["vars"]) == nil)
        // Trace-only snapshots sharing nothing: the nearest pairs that would compare.
        let nearest = SnapshotPairing.nearest(a: entries[3], b: entries[4], entriesA: entries, entriesB: entries, comparable: diffable)
        #expect(nearest.map { [$0.a.id, $0.b.id] } == [[entries[0].id, entries[4].id]])
    }
}
