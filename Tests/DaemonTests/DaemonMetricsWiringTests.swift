import DaemonMetrics
import Foundation
import Retention
import SnapshotStore
import Snapshotter
import Testing
@testable import Daemon

/// How the daemon's store and snapshot values become metrics (the translations in DaemonMetricsWiring).
@Suite("daemon events as metrics")
struct DaemonMetricsWiringTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func entry(_ target: String, _ id: String, at: Date, bytes: Int64, status: SnapshotStatus,
               kinds: [String] = ["heap"], failed: [String] = []) -> CatalogEntry {
        CatalogEntry(id: id, key: "snapshots/\(target)/\(id).tar.gz", target: target, labels: [:], kinds: kinds, failedKinds: failed,
                     schedule: "s", takenAt: at, finishedAt: at, bytes: bytes, sha256: "", status: status)
    }

    func value(_ metrics: DaemonMetrics, _ series: String) -> Double? {
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") { return Double(line.dropFirst(series.count + 1)) }
        return nil
    }

    @Test("each artifact's outcome is its status label, downgraded and skipped included; a failed snapshot is no success")
    func snapshotOutcomes() {
        let m = DaemonMetrics(version: "1")
        let taken = TakenSnapshot(entry: entry("a", "1", at: t0, bytes: 900, status: .partial, kinds: ["heap", "stacks"], failed: ["vars"]), artifacts: [
            .init(name: "heap", outcome: .ok, duration: .milliseconds(20), bytes: 500),
            .init(name: "stacks", outcome: .downgraded, duration: .milliseconds(30), bytes: 400),
            .init(name: "vars", outcome: .failed, duration: .seconds(1), bytes: 0),
            .init(name: "goroutineleak", outcome: .unsupported, duration: .milliseconds(2), bytes: 0),
            .init(name: "trace", outcome: .skipped, duration: .zero, bytes: 0),
        ])
        m.recordSnapshot(taken)
        m.recordSnapshot(TakenSnapshot(entry: entry("a", "2", at: t0.addingTimeInterval(60), bytes: 100, status: .failed, kinds: [], failed: ["heap"]),
                                       artifacts: [.init(name: "heap", outcome: .failed, duration: .seconds(1), bytes: 0)]))
        for (kind, status, count) in [("heap", "ok", 1.0), ("stacks", "downgraded", 1), ("vars", "failed", 1), ("goroutineleak", "unsupported", 1),
                                      ("trace", "skipped", 1), ("heap", "failed", 1)] {
            #expect(value(m, "gbsnap_captures_total{target=\"a\",kind=\"\(kind)\",status=\"\(status)\"}") == count, "\(kind) \(status)")
        }
        #expect(value(m, "gbsnap_store_snapshots{target=\"a\"}") == 2)
        #expect(value(m, "gbsnap_store_bytes{target=\"a\"}") == 1000)
        // The partial snapshot stored data; the failed one after it did not.
        #expect(value(m, "gbsnap_last_success_timestamp_seconds{target=\"a\"}") == t0.timeIntervalSince1970)
    }

    @Test("seeding from the catalog: totals per configured target, the newest snapshot with data; unknown targets left out")
    func seeding() {
        let m = DaemonMetrics(version: "1")
        m.retainTargets(["a", "b"])
        m.seedStore(from: [
            entry("a", "1", at: t0, bytes: 100, status: .complete),
            entry("a", "2", at: t0.addingTimeInterval(300), bytes: 50, status: .failed),
            entry("a", "3", at: t0.addingTimeInterval(120), bytes: 70, status: .partial),
            entry("b", "4", at: t0, bytes: 10, status: .failed),
            entry("gone", "5", at: t0, bytes: 10, status: .complete),
        ])
        #expect(value(m, "gbsnap_store_snapshots{target=\"a\"}") == 3)
        #expect(value(m, "gbsnap_store_bytes{target=\"a\"}") == 220)
        #expect(value(m, "gbsnap_last_success_timestamp_seconds{target=\"a\"}") == t0.addingTimeInterval(120).timeIntervalSince1970)
        #expect(value(m, "gbsnap_store_snapshots{target=\"b\"}") == 1)
        #expect(value(m, "gbsnap_last_success_timestamp_seconds{target=\"b\"}") == nil)
        #expect(value(m, "gbsnap_store_snapshots{target=\"gone\"}") == nil)
    }

    @Test("a prune counts only the snapshots it removed, per target, and lowers the store totals")
    func prune() {
        let m = DaemonMetrics(version: "1")
        m.storeSnapshot(target: "a", bytes: 1000, count: 10)
        m.storeSnapshot(target: "b", bytes: 500, count: 5)
        let plan = RetentionPlan(decisions: [
            RetentionDecision(id: "a1", target: "a", takenAt: t0, bytes: 100, action: .remove, rule: nil, reasons: []),
            RetentionDecision(id: "a2", target: "a", takenAt: t0, bytes: 100, action: .remove, rule: nil, reasons: []),
            RetentionDecision(id: "a3", target: "a", takenAt: t0, bytes: 100, action: .keep, rule: 0, reasons: []),
            RetentionDecision(id: "b1", target: "b", takenAt: t0, bytes: 50, action: .remove, rule: nil, reasons: []),
        ])
        // b1 was pinned after planning: skipped, not removed.
        m.recordPrune(PruneResult(plan: plan, removedIDs: ["a1", "a2"], bytesFreed: 200, skipped: [], compactedTargets: []))
        #expect(value(m, "gbsnap_retention_removed_snapshots_total{target=\"a\"}") == 2)
        #expect(value(m, "gbsnap_retention_removed_snapshots_total{target=\"b\"}") == nil)
        #expect(value(m, "gbsnap_store_snapshots{target=\"a\"}") == 8)
        #expect(value(m, "gbsnap_store_bytes{target=\"a\"}") == 800)
        #expect(value(m, "gbsnap_store_snapshots{target=\"b\"}") == 5)
        #expect(value(m, "gbsnap_retention_freed_bytes_total") == 200)
        #expect(value(m, "gbsnap_retention_runs_total{result=\"success\"}") == 1)
    }
}
