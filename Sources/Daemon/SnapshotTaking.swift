import BucketStore
import Capture
import Foundation
import SnapshotStore
import Snapshotter

/// What the scheduler needs from the snapshot side: take one snapshot, and the few store reads
/// around it. `Snapshotter` is the real one (its store work runs on its own threads); tests inject
/// a fake that records each capture and finishes it when the test says.
protocol SnapshotTaking: Sendable {
    /// Captures and stores one snapshot (see `Snapshotter.take`).
    func take(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord?) async throws -> CatalogEntry
    /// Throws when no snapshot can be stored any more (the store is gone, read-only or replaced).
    func checkWritable() async throws
    /// `artifact: reason` for each failed artifact of a stored snapshot, for the log; empty when unknown.
    func failureReasons(of entry: CatalogEntry) async -> [String]
    /// Every snapshot in the catalog (for catch-up at start).
    func catalog() async throws -> [CatalogEntry]
    /// The id of the target's newest snapshot, nil when it has none or the catalog cannot be read.
    func latestSnapshotID(target: String) async -> String?
    /// ``take(_:schedule:scheduledAt:trigger:)`` with each artifact's outcome, for the metrics.
    func takeRecorded(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord?) async throws -> TakenSnapshot
}

extension SnapshotTaking {
    /// From the entry alone: stored kinds ok, failed kinds failed, no durations or sizes.
    func takeRecorded(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord?) async throws -> TakenSnapshot {
        let entry = try await take(request, schedule: schedule, scheduledAt: scheduledAt, trigger: trigger)
        let artifacts = entry.kinds.map { TakenSnapshot.Artifact(name: $0, outcome: .ok, duration: .zero, bytes: 0) }
            + entry.failedKinds.map { TakenSnapshot.Artifact(name: $0, outcome: .failed, duration: .zero, bytes: 0) }
        return TakenSnapshot(entry: entry, artifacts: artifacts)
    }
}

extension Snapshotter: SnapshotTaking {
    func take(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord?) async throws -> CatalogEntry {
        try await take(request, schedule: schedule, scheduledAt: Optional(scheduledAt), trigger: trigger)
    }

    /// On a bucket: the lease is still held and the staging folder can be written.
    func checkWritable() async throws {
        try writeGate?()
        try await workers.run { store in try store.checkWritable() }
    }

    func failureReasons(of entry: CatalogEntry) async -> [String] {
        guard bucket == nil else { return [] }  // the archive is not here; a snapshot just taken says its reasons itself
        let manifest = try? await workers.run { store in try store.readManifest(archivePath: store.path(forKey: entry.key)) }
        return manifest?.artifacts.compactMap { a in a.error.map { "\(a.name): \($0)" } } ?? []
    }

    func catalog() async throws -> [CatalogEntry] {
        if let bucket { return try await bucket.allEntries() }
        return try await workers.run { store in try store.list(ListFilter()) }
    }

    func latestSnapshotID(target: String) async -> String? {
        let entries = if let bucket { try? await bucket.entries(target: target) } else {
            try? await workers.run { store in try store.list(ListFilter(target: target)) }
        }
        return entries?.max { $0.takenAt < $1.takenAt }?.id
    }

    func takeRecorded(_ request: CaptureRequest, schedule: String, scheduledAt: Date, trigger: Manifest.TriggerRecord?) async throws -> TakenSnapshot {
        try await takeRecorded(request, schedule: schedule, scheduledAt: Optional(scheduledAt), trigger: trigger)
    }
}
