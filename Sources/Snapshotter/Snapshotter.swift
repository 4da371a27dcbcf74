import BucketStore
import Capture
import Foundation
import GBSnapCore
import Logging
import SnapshotStore

/// Takes snapshots: captures every requested kind of one target (Capture), then archives the
/// bodies with their manifest into the store (SnapshotStore) or a bucket (BucketStore). Used by
/// `gbsnap capture` and by the daemon, so both record exactly the same thing.
///
/// The HTTP side runs on the capturer's event loops; everything that blocks on the disk (archive
/// writing, gzip, fsyncs, the store lock) runs on ``workers``, never on the cooperative pool.
public final class Snapshotter: Sendable {
    /// The local store: where snapshots are stored, or, with a ``bucket``, where their archives are
    /// built before they are uploaded (its `.tmp`; nothing is recorded in its catalog).
    public let store: SnapshotStore
    /// The bucket snapshots are stored in, when it is not ``store``.
    public let bucket: BucketStore?
    /// Asked before each snapshot is recorded in the bucket; throws when this process may not write any more
    /// (the daemon lost its lease).
    public let writeGate: (@Sendable () throws -> Void)?
    /// Whether ``store`` is a staging folder of this snapshotter's own, removed at shutdown.
    let ownsStore: Bool
    /// When to look at a target's log in the bucket for a compaction.
    let compactionCounter: CompactionCounter
    /// The log length at which a target's catalog in the bucket is compacted.
    let compactionThreshold: Int
    /// The threads that do this snapshotter's store work; callers may run their own store calls on them.
    public let workers: StoreWorkers
    let capturer: Capturer
    let temporaryDirectory: String
    let logger: Logger

    /// Creates a snapshotter writing into `store`; capture bodies stream into a private temp
    /// directory under the store's `.tmp`; store work runs on `storeThreads` threads of its own.
    /// With a `bucket`, `store` only stages each archive, which is then uploaded with its record
    /// (``BucketStore/put(archiveAt:entry:)``): a snapshot is stored once its record is in the bucket.
    public convenience init(store: SnapshotStore, bucket: BucketStore? = nil, writeGate: (@Sendable () throws -> Void)? = nil,
                logger: Logger = Logger(label: "gbsnap.snapshot"), storeThreads: Int = StoreWorkers.defaultThreads) throws {
        try self.init(store: store, bucket: bucket, writeGate: writeGate, ownsStore: false, compactionThreshold: StoreCopy.compactionThreshold,
                      logger: logger, storeThreads: storeThreads)
    }

    /// A snapshotter storing into `bucket`, its archives built in a staging folder of its own under `stagingParent`
    /// (`$TMPDIR` by default), removed at ``shutdown()``. A target's catalog is compacted once its log holds
    /// `compactionThreshold` objects (looked at on the target's first write and every quarter of that after).
    public static func forBucket(_ bucket: BucketStore, stagingParent: String = NSTemporaryDirectory(), writeGate: (@Sendable () throws -> Void)? = nil,
                                 compactionThreshold: Int = StoreCopy.compactionThreshold,
                                 logger: Logger = Logger(label: "gbsnap.snapshot"), storeThreads: Int = StoreWorkers.defaultThreads) throws -> Snapshotter {
        let parent = stagingParent.hasSuffix("/") ? String(stagingParent.dropLast()) : stagingParent
        let root = "\(parent)/gbsnap-staging-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        let staging = try SnapshotStore(root: root, create: true)
        do {
            return try Snapshotter(store: staging, bucket: bucket, writeGate: writeGate, ownsStore: true, compactionThreshold: compactionThreshold,
                                   logger: logger, storeThreads: storeThreads)
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
    }

    private init(store: SnapshotStore, bucket: BucketStore?, writeGate: (@Sendable () throws -> Void)?, ownsStore: Bool,
                 compactionThreshold: Int, logger: Logger, storeThreads: Int) throws {
        self.compactionThreshold = max(1, compactionThreshold)
        compactionCounter = CompactionCounter(every: max(1, compactionThreshold / 4))
        self.store = store
        self.bucket = bucket
        self.writeGate = writeGate
        self.ownsStore = ownsStore
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
        let entry = try await persist(manifest: manifest, files: files)
        // A failed snapshot of a target that is down is logged by the daemon once per change, not per firing.
        logger.log(level: entry.status == .failed ? .debug : .info, "stored snapshot", metadata: [
            "id": "\(entry.id)", "target": "\(entry.target)", "status": "\(entry.status.rawValue)",
            "bytes": "\(entry.bytes)", "failed": "\(entry.failedKinds.joined(separator: ","))",
        ])
        let outcomes = zip(captured, records).map { a, r in
            TakenSnapshot.Artifact(name: r.name, outcome: Self.outcome(a.outcome), duration: a.duration, bytes: r.bytes)
        }
        return TakenSnapshot(entry: entry, artifacts: outcomes, manifest: manifest)
    }

    /// Archives a snapshot into the local store, or builds its archive in a temp folder and uploads it to the bucket.
    func persist(manifest: Manifest, files: [String: String]) async throws -> CatalogEntry {
        guard let bucket else { return try await workers.run { store in try store.write(manifest: manifest, files: files) } }
        let folder = try store.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/\(manifest.id).tar.gz"
        let entry = try await workers.run { store in try store.writeArchiveFile(manifest: manifest, files: files, to: path) }
        try writeGate?()
        try await bucket.put(archiveAt: path, entry: entry)
        if compactionCounter.due(entry.target) {
            // The snapshot is stored either way; a long log only makes reads slower until the next try.
            do { try await bucket.compactIfLong(target: entry.target, threshold: compactionThreshold) } catch {
                logger.warning("cannot compact the target's catalog in the bucket; trying again later", metadata: [
                    "target": "\(entry.target)", "error": "\(error)",
                ])
            }
        }
        return entry
    }

    /// `bucket` as `s3://…`, else the store's directory, for messages and logs.
    public var storeName: String { bucket?.description ?? store.root }

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

    /// Closes the HTTP client, stops the store threads and removes the temp directory (the whole staging
    /// folder of a ``forBucket(_:stagingParent:writeGate:logger:storeThreads:)`` snapshotter). The bucket's
    /// client stays open: its owner closes it.
    public func shutdown() async {
        try? await capturer.shutdown()
        await workers.shutdown()
        try? FileManager.default.removeItem(atPath: ownsStore ? store.root : temporaryDirectory)
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

    /// The snapshot's manifest, when the taker has it at hand (nil from a fake).
    public var manifest: Manifest?

    /// Memberwise initializer.
    public init(entry: CatalogEntry, artifacts: [Artifact], manifest: Manifest? = nil) {
        self.entry = entry
        self.artifacts = artifacts
        self.manifest = manifest
    }

    /// `artifact: reason` for each failed artifact, from the manifest (empty without one).
    public var failureReasons: [String] {
        manifest?.artifacts.compactMap { a in a.error.map { "\(a.name): \($0)" } } ?? []
    }
}

/// Counts the snapshots written per target to a bucket: a target's log is looked at on its first write and then on
/// every ``every``-th, so a daemon keeps the logs of its targets short with one LIST per that many writes.
final class CompactionCounter: @unchecked Sendable {
    let every: Int
    private let lock = NSLock()
    private var written: [String: Int] = [:]

    init(every: Int) { self.every = every }

    /// Counts one write of `target`; true when its log should be looked at.
    func due(_ target: String) -> Bool {
        lock.withLock {
            let n = written[target, default: 0]
            written[target] = n + 1
            return n % every == 0
        }
    }
}
