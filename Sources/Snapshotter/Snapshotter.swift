import Capture
import Foundation
import GBSnapCore
import Logging
import SnapshotStore

/// Takes snapshots: captures every requested kind of one target (Capture), then archives the
/// bodies with their manifest into the store (SnapshotStore). Used by `gbsnap capture` and by the
/// daemon, so both record exactly the same thing.
///
/// The HTTP side runs on the capturer's event loops; everything that blocks on the disk (archive
/// writing, gzip, fsyncs, the store lock) runs on ``workers``, never on the cooperative pool.
public final class Snapshotter: Sendable {
    public let store: SnapshotStore
    /// The threads that do this snapshotter's store work; callers may run their own store calls on them.
    public let workers: StoreWorkers
    let capturer: Capturer
    let temporaryDirectory: String
    let logger: Logger

    /// Creates a snapshotter writing into `store`; capture bodies stream into a private temp
    /// directory under the store's `.tmp`; store work runs on `storeThreads` threads of its own.
    public init(store: SnapshotStore, logger: Logger = Logger(label: "gbsnap.snapshot"),
                storeThreads: Int = StoreWorkers.defaultThreads) throws {
        self.store = store
        self.temporaryDirectory = try store.makeTemporaryDirectory()
        self.workers = StoreWorkers(store: store, threads: storeThreads)
        self.capturer = Capturer(temporaryDirectory: temporaryDirectory, logger: logger)
        self.logger = logger
    }

    /// Captures and stores one snapshot. A snapshot where every artifact failed is still stored
    /// (status `failed`, visible with `list --failed`); only a request that cannot be attempted
    /// at all (bad URL, missing credentials file) throws `CaptureConfigurationError`.
    ///
    /// - Parameters:
    ///   - schedule: the schedule's name, or `manual`.
    ///   - scheduledAt: the planned time (nil for manual captures).
    ///   - trigger: why a trigger fired, for a triggered snapshot (recorded in its manifest).
    public func take(_ request: CaptureRequest, schedule: String, scheduledAt: Date? = nil,
                     trigger: Manifest.TriggerRecord? = nil) async throws -> CatalogEntry {
        try await takeRecorded(request, schedule: schedule, scheduledAt: scheduledAt, trigger: trigger).entry
    }

    /// ``take(_:schedule:scheduledAt:trigger:)``, also saying how each artifact went (for the daemon's metrics).
    public func takeRecorded(_ request: CaptureRequest, schedule: String, scheduledAt: Date? = nil,
                             trigger: Manifest.TriggerRecord? = nil) async throws -> TakenSnapshot {
        try Capturer.validate(request)
        let started = Date()
        let captured = try await capturer.capture(request)
        defer {
            for artifact in captured { if let file = artifact.file { try? SystemIO.unlinkIfPresent(file) } }
        }
        let finished = Date()
        var files: [String: String] = [:]
        let records = captured.map { a -> ArtifactRecord in
            // A failed artifact's file is the start of a body rejected as not what the endpoint serves.
            let member = a.file == nil ? nil : a.outcome.hasData ? a.name : CapturedArtifact.rejectedMemberName(a.name)
            if let member, let file = a.file { files[member] = file }
            return ArtifactRecord(
                name: a.requestedKind == .custom ? a.name : a.requestedKind.rawValue,
                kind: a.kind.rawValue, member: member, bytes: member == nil ? 0 : a.bytes,
                sha256: member == nil ? nil : a.sha256, contentType: a.contentType,
                endpoint: a.endpoint, query: a.query, httpStatus: a.httpStatus,
                durationSeconds: Double(a.duration.components.seconds) + Double(a.duration.components.attoseconds) / 1e18,
                status: Self.status(a.outcome), error: a.outcome.isFailure ? a.outcome.message : nil,
                note: a.outcome.isFailure ? nil : a.outcome.message)
        }
        let id = SnapshotID.make(target: request.target.name, at: scheduledAt ?? started)
        let manifest = Manifest(id: id, target: .init(name: request.target.name, url: request.target.redactedBaseURL, labels: request.target.labels),
                                schedule: schedule, scheduledAt: scheduledAt, startedAt: started, finishedAt: finished, artifacts: records,
                                trigger: trigger)
        let entry = try await workers.run { [files] store in try store.write(manifest: manifest, files: files) }
        // A failed snapshot of a target that is down is logged by the daemon once per change, not per firing.
        logger.log(level: entry.status == .failed ? .debug : .info, "stored snapshot", metadata: [
            "id": "\(entry.id)", "target": "\(entry.target)", "status": "\(entry.status.rawValue)",
            "bytes": "\(entry.bytes)", "failed": "\(entry.failedKinds.joined(separator: ","))",
        ])
        let outcomes = zip(captured, records).map { a, r in
            TakenSnapshot.Artifact(name: r.name, outcome: Self.outcome(a.outcome), duration: a.duration, bytes: r.bytes)
        }
        return TakenSnapshot(entry: entry, artifacts: outcomes)
    }

    static func outcome(_ outcome: CapturedArtifact.Outcome) -> TakenSnapshot.Outcome {
        switch outcome {
        case .captured: .ok
        case .downgraded: .downgraded
        case .skipped: .skipped
        case .notSupported: .unsupported
        case .failed: .failed
        }
    }

    /// One short GET for a trigger's signal (see `Capturer.poll`), on this snapshotter's HTTP client.
    public func poll(_ target: PollTarget, path: String, timeout: Duration, limit: Int) async -> PollResult {
        await capturer.poll(target, path: path, timeout: timeout, limit: limit)
    }

    static func status(_ outcome: CapturedArtifact.Outcome) -> ArtifactRecord.Status {
        switch outcome {
        case .captured, .downgraded: .ok
        case .skipped: .skipped
        case .notSupported: .unsupported
        case .failed: .failed
        }
    }

    /// Closes the HTTP client, stops the store threads and removes the temp directory.
    public func shutdown() async {
        try? await capturer.shutdown()
        await workers.shutdown()
        try? FileManager.default.removeItem(atPath: temporaryDirectory)
    }
}

/// A stored snapshot and how each of its artifacts went.
public struct TakenSnapshot: Sendable {
    /// How one artifact went.
    public enum Outcome: String, Sendable, Hashable {
        case ok, failed, skipped, downgraded, unsupported
    }

    /// One artifact: the name asked for (the kind, or a custom endpoint's name), its outcome, the
    /// time its fetch took and the bytes stored (0 when nothing was).
    public struct Artifact: Sendable, Hashable {
        public var name: String
        public var outcome: Outcome
        public var duration: Duration
        public var bytes: Int64

        /// Memberwise initializer.
        public init(name: String, outcome: Outcome, duration: Duration, bytes: Int64) {
            self.name = name
            self.outcome = outcome
            self.duration = duration
            self.bytes = bytes
        }
    }

    /// The catalog entry of the stored snapshot.
    public var entry: CatalogEntry
    /// Its artifacts, in capture order.
    public var artifacts: [Artifact]

    /// Memberwise initializer.
    public init(entry: CatalogEntry, artifacts: [Artifact]) {
        self.entry = entry
        self.artifacts = artifacts
    }
}
