import Foundation
import GBSnapCore
import GBSnapTestSupport
import Retention
import Testing
@testable import SnapshotStore

/// Builds small stores for the prune tests: one tiny imported file per snapshot, whose content
/// (and so archive size) varies with `size`.
struct PruneFixture {
    let tmp = TemporaryDirectory("gbsnap-prune")
    let store: SnapshotStore

    init() throws {
        store = try SnapshotStore(root: "\(tmp.path)/store")
    }

    /// Imports one snapshot of `target` at `time` holding a vars file of about `size` bytes.
    @discardableResult
    func add(_ target: String, _ time: String, size: Int = 200, labels: [String: String] = [:]) throws -> CatalogEntry {
        var text = "{\"cmdline\":[\"\(target)\"],\"pad\":\""
        var seed = UInt64(truncatingIfNeeded: time.hashValue &+ size)
        for _ in 0..<size {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            text.append(Character(Unicode.Scalar(UInt8(97 + (seed >> 33) % 26))))
        }
        text += "\"}\n"
        let file = tmp.file("vars-\(UUID().uuidString.prefix(8)).json", text)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try store.importFiles([ImportFile(path: file, kind: .vars)], target: target, labels: labels, takenAt: date(time))
    }

    /// Archive files under the bucket, as keys.
    var archiveKeys: Set<String> { Set(store.archiveKeys()) }

    func cleanup() { tmp.cleanup() }
}

func hourly(_ day: String, _ hours: ClosedRange<Int>) -> [String] {
    hours.map { "\(day)T\($0 < 10 ? "0" : "")\($0):00:00Z" }
}

@Suite struct PruneTests {
    @Test func dryRunPlanMarksEverySnapshotAndChangesNothing() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        for t in hourly("2026-11-25", 0...5) { try f.add("api", t) }
        for t in hourly("2026-11-25", 0...1) { try f.add("db", t) }
        let before = try f.store.list()
        let keysBefore = f.archiveKeys

        let plan = try f.store.planPrune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 2)]), now: date("2026-11-26T00:00:00Z"))

        #expect(Set(plan.decisions.map(\.id)) == Set(before.map(\.id)))
        let apiByAge = before.filter { $0.target == "api" }.map(\.id)
        #expect(Set(plan.removeIDs) == Set(apiByAge.prefix(4)))
        #expect(plan.bytesFreed == before.filter { Set(apiByAge.prefix(4)).contains($0.id) }.reduce(0) { $0 + $1.bytes })
        #expect(plan.decisions.first { $0.id == apiByAge[5] }?.reasons == ["newest of group", "keep-last 2"])
        #expect(plan.decisions.first { $0.id == apiByAge[0] }?.reasons == ["no keep rule selects it"])
        #expect(try f.store.list() == before)
        #expect(f.archiveKeys == keysBefore)
    }

    @Test func pruneRemovesExactlyThePlannedSnapshotsAndTheirFiles() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        for t in hourly("2026-11-25", 0...9) { try f.add("api", t) }
        for t in hourly("2026-11-24", 0...2) { try f.add("db", t) }
        let before = try f.store.list()
        let policy = RetentionPolicy(rules: [RetentionRule(keepLast: 3)])
        let now = date("2026-11-26T00:00:00Z")
        let plan = try f.store.planPrune(policy: policy, now: now)

        let result = try f.store.prune(policy: policy, now: now)

        #expect(result.plan == plan)
        #expect(result.removedIDs == plan.removeIDs)
        #expect(result.removedIDs.count == 7)
        #expect(result.skipped.isEmpty)
        let removed = before.filter { Set(plan.removeIDs).contains($0.id) }
        #expect(result.bytesFreed == removed.reduce(0) { $0 + $1.bytes })
        #expect(Set(try f.store.list().map(\.id)) == Set(plan.keepIDs))
        #expect(f.archiveKeys == Set(try f.store.list().map(\.key)))
        #expect(f.store.verify().isHealthy)
        #expect(SystemIO.fileSize(f.store.removalIntentPath) == nil)
        // Running it again removes nothing more.
        let again = try f.store.prune(policy: policy, now: now)
        #expect(again.removedIDs.isEmpty)
        #expect(again.plan.removeIDs.isEmpty)
    }

    @Test func pinnedSnapshotsAreNeverRemovedAndSayWhy() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        let entries = try hourly("2026-11-25", 0...4).map { try f.add("api", $0) }
        try f.store.pin(entries[0].id, note: "post-mortem")
        let policy = RetentionPolicy(rules: [RetentionRule(keepLast: 3, maxAge: .seconds(3600))])

        let result = try f.store.prune(policy: policy, now: date("2026-12-01T00:00:00Z"))

        // keep-last 3 chooses 4, 3, 2; max-age then removes all but the pinned and the newest.
        #expect(Set(try f.store.list().map(\.id)) == [entries[0].id, entries[4].id])
        #expect(result.plan.decisions.first { $0.id == entries[0].id }?.reasons.first == "pinned")
        #expect(result.plan.decisions.first { $0.id == entries[1].id }?.reasons == ["no keep rule selects it"])
        #expect(result.plan.decisions.first { $0.id == entries[2].id }?.reasons == ["older than max-age 1h"])
        // Unpinned, the next prune applies the policy to it.
        try f.store.unpin(entries[0].id)
        _ = try f.store.prune(policy: policy, now: date("2026-12-01T00:00:00Z"))
        #expect(try f.store.list().map(\.id) == [entries[4].id])
    }

    @Test func sizeBudgetEndToEndRemovesOldestFirstAcrossTargetsUntilTheArchivesFit() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        // Two targets governed by one budget rule, interleaved in time; sizes vary.
        var all: [CatalogEntry] = []
        for (i, t) in hourly("2026-11-25", 0...11).enumerated() {
            all.append(try f.add(i % 2 == 0 ? "order-api" : "payment-api", t, size: 300 + 700 * (i % 3)))
        }
        try f.add("search", "2026-11-25T00:30:00Z", size: 5000)  // not governed: never counted
        let pinned = all[1]
        try f.store.pin(pinned.id, note: nil)
        let newestFirst = all.reversed().map { $0 }
        let budget = newestFirst.prefix(6).reduce(Int64(0)) { $0 + $1.bytes }

        // The spec: pinned and newest-of-group always stay and count; then the newest others while they fit.
        var expected: Set<String> = [pinned.id, all[10].id, all[11].id]
        var total = pinned.bytes + all[10].bytes + all[11].bytes
        for e in newestFirst where !expected.contains(e.id) {
            guard total + e.bytes <= budget else { break }
            expected.insert(e.id)
            total += e.bytes
        }

        let policy = RetentionPolicy(rules: [RetentionRule(selector: RetentionSelector(targets: ["order-*", "payment-*"]),
                                                           maxTotalBytes: budget)])
        let result = try f.store.prune(policy: policy, now: date("2026-11-26T00:00:00Z"))

        let governed = try f.store.list().filter { $0.target != "search" }
        #expect(Set(governed.map(\.id)) == expected)
        #expect(governed.reduce(0) { $0 + $1.bytes } <= budget)
        // What the disk holds matches: the archives of the governed targets fit the budget.
        let onDisk = f.archiveKeys.filter { !$0.contains("/search/") }.reduce(Int64(0)) { $0 + (SystemIO.fileSize(f.store.path(forKey: $1)) ?? 0) }
        #expect(onDisk == governed.reduce(0) { $0 + $1.bytes })
        #expect(onDisk <= budget)
        #expect(result.bytesFreed == all.filter { !expected.contains($0.id) }.reduce(0) { $0 + $1.bytes })
        let removedReasons = Set(result.plan.decisions.filter { $0.action == .remove }.flatMap(\.reasons))
        // The budget is echoed as a config writes it, so it parses back to the same number of bytes.
        #expect(removedReasons == ["over max-total-bytes \(ByteSizeParser.format(budget)) for rule 1"])
        #expect(ByteSizeParser.parse(ByteSizeParser.format(budget)) == budget)
        #expect(result.plan.warnings.isEmpty)
        #expect(try f.store.list(ListFilter(target: "search")).count == 1)
        #expect(f.store.verify().isHealthy)
    }

    @Test func aBudgetThatCannotBeMetKeepsNewestAndPinnedAndWarns() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        let entries = try hourly("2026-11-25", 0...3).map { try f.add("api", $0, size: 2000) }
        try f.store.pin(entries[0].id, note: nil)
        let result = try f.store.prune(policy: RetentionPolicy(rules: [RetentionRule(maxTotalBytes: 10)]), now: date("2026-11-26T00:00:00Z"))
        #expect(Set(try f.store.list().map(\.id)) == [entries[0].id, entries[3].id])
        #expect(result.plan.warnings.count == 1)
        #expect(result.plan.warnings.first?.contains("over max-total-bytes 10, because") == true)
    }

    @Test func anInvalidPolicyIsRefusedAndNothingIsRemoved() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        for t in hourly("2026-11-25", 0...3) { try f.add("api", t) }
        let before = try f.store.list()
        let bad = RetentionPolicy(rules: [RetentionRule(keepDaily: -2)])
        #expect(throws: RetentionError.invalidCount(rule: 1, option: "keep-daily", value: -2)) {
            try f.store.prune(policy: bad, now: date("2026-11-26T00:00:00Z"))
        }
        #expect(throws: RetentionError.nonPositiveMaxAge(rule: 1, value: .zero)) {
            try f.store.planPrune(policy: RetentionPolicy(rules: [RetentionRule(maxAge: .zero)]), now: date("2026-11-26T00:00:00Z"))
        }
        #expect(try f.store.list() == before)
    }

    @Test func aStalePlanSkipsSnapshotsPinnedOrRemovedSincePlanning() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        let entries = try hourly("2026-11-25", 0...5).map { try f.add("api", $0) }
        let plan = try f.store.planPrune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 2)]), now: date("2026-11-26T00:00:00Z"))
        #expect(plan.removeIDs.count == 4)
        try f.store.pin(entries[1].id, note: "found a leak here")
        try f.store.remove([entries[0]])

        let result = try f.store.applyPrune(plan)

        #expect(Set(result.removedIDs) == [entries[2].id, entries[3].id])
        #expect(Set(result.skipped) == [
            PruneSkip(id: entries[0].id, reason: "it is no longer in the catalog"),
            PruneSkip(id: entries[1].id, reason: "it was pinned after the plan was made"),
        ])
        #expect(result.skipped.first { $0.id == entries[1].id }?.description
                == "snapshot \(entries[1].id) was not removed: it was pinned after the plan was made")
        #expect(try f.store.list().map(\.id) == [entries[1].id, entries[4].id, entries[5].id])
    }

    @Test func aStalePlanNeverRemovesTheLastSnapshotOfATarget() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        let entries = try hourly("2026-11-25", 0...2).map { try f.add("api", $0) }
        let plan = try f.store.planPrune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 1)]), now: date("2026-11-26T00:00:00Z"))
        try f.store.remove([entries[2]])  // the one the plan keeps
        #expect(throws: RetentionError.wouldRemoveAllSnapshots(target: "api")) { try f.store.applyPrune(plan) }
        #expect(try f.store.list().map(\.id) == [entries[0].id, entries[1].id])
    }

    @Test func removalInSmallBatchesGivesTheSameResult() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        for t in hourly("2026-11-25", 0...12) { try f.add("api", t) }
        let policy = RetentionPolicy(rules: [RetentionRule(keepLast: 2)])
        let plan = try f.store.planPrune(policy: policy, now: date("2026-11-26T00:00:00Z"))
        let result = try f.store.prune(policy: policy, now: date("2026-11-26T00:00:00Z"), batchSize: 3)
        #expect(result.removedIDs == plan.removeIDs)
        #expect(Set(try f.store.list().map(\.id)) == Set(plan.keepIDs))
        #expect(f.store.verify().isHealthy)
    }

    @Test func aPruneThatLeavesMostRecordsDeadCompactsTheShard() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        for t in hourly("2026-11-25", 0...9) { try f.add("api", t) }
        for t in hourly("2026-11-25", 0...9) { try f.add("db", t) }
        let shard = { (t: String) in (try? SystemIO.readFile(f.store.catalog.shardPath(t), limit: 1 << 30))?.filter { $0 == 10 }.count ?? -1 }

        // db: 1 of 10 removed → 11 records for 9 live: left alone. api: 8 removed → compacted to 2 lines.
        let policy = RetentionPolicy(rules: [
            RetentionRule(selector: RetentionSelector(targets: ["db"]), keepLast: 9),
            RetentionRule(selector: RetentionSelector(targets: ["api"]), keepLast: 2),
        ])
        let result = try f.store.prune(policy: policy, now: date("2026-11-26T00:00:00Z"))

        #expect(result.compactedTargets == ["api"])
        #expect(shard("api") == 2)
        #expect(shard("db") == 11)
        #expect(try f.store.list(ListFilter(target: "api")).count == 2)
        #expect(try f.store.list(ListFilter(target: "db")).count == 9)
    }

    @Test func emptiedDayDirectoriesGoButTheTargetDirectoryStays() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        try f.add("api", "2025-12-31T23:00:00Z")
        try f.add("api", "2026-11-24T01:00:00Z")
        try f.add("api", "2026-11-25T01:00:00Z")
        try f.add("api", "2026-11-25T02:00:00Z")
        _ = try f.store.prune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 1)]), now: date("2026-11-26T00:00:00Z"))
        let base = "\(f.store.root)/snapshots/api"
        #expect(!SystemIO.isDirectory("\(base)/2025"))
        #expect(!SystemIO.isDirectory("\(base)/2026/11/24"))
        #expect(SystemIO.isDirectory("\(base)/2026/11/25"))
        #expect(regularFiles(under: base).count == 1)
    }

    @Test func pruneClearsTempFilesOfKilledAtomicWrites() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        for t in hourly("2026-11-25", 0...1) { try f.add("api", t) }
        // pid 2^22+7 is above Linux's pid_max default range, so never a live process here.
        let deadPID = 4_194_311
        let stale = ["\(f.store.root)/.removal-intent.json.tmp-\(deadPID)-12345",
                     "\(f.store.root)/catalog/api.jsonl.tmp-\(deadPID)-99"]
        for p in stale { _ = FileManager.default.createFile(atPath: p, contents: Data("{".utf8)) }
        let own = "\(f.store.root)/pins.json.tmp-\(SystemIO.currentProcessID)-1"
        _ = FileManager.default.createFile(atPath: own, contents: Data())
        _ = try f.store.prune(policy: RetentionPolicy(rules: [RetentionRule(keepLast: 1)]), now: date("2026-11-26T00:00:00Z"))
        for p in stale { #expect(SystemIO.fileSize(p) == nil) }
        #expect(SystemIO.fileSize(own) != nil)  // a live process's write in progress is not touched
        #expect(try f.store.list().count == 1)
    }

    @Test func candidatesCarryWhatTheSelectorsMatchOn() throws {
        let f = try PruneFixture(); defer { f.cleanup() }
        let e = try f.add("api", "2026-11-25T00:00:00Z", labels: ["env": "prod"])
        try f.store.pin(e.id, note: nil)
        let c = try #require(try f.store.retentionCandidates().first)
        #expect(c == RetentionCandidate(id: e.id, target: "api", kinds: ["vars"], labels: ["env": "prod"], schedule: "import",
                                        takenAt: e.takenAt, bytes: e.bytes, pinned: true))
    }
}

