import Foundation
import GBSnapCore

/// `manifest.json`, the first member of every snapshot archive. Schema: docs/manifest.md.
///
/// The manifest is the source of truth: the catalog is rebuilt from manifests alone.
public struct Manifest: Codable, Sendable, Hashable {
    public static let currentSchema = "gbsnap.manifest/v1"

    public var schema: String
    public var id: String
    public var target: TargetInfo
    /// The schedule's name, or `manual` for `gbsnap capture`, or `import`.
    public var schedule: String
    public var scheduledAt: String?
    public var startedAt: String
    public var finishedAt: String
    public var gbsnapVersion: String
    public var host: String
    public var status: SnapshotStatus
    public var artifacts: [ArtifactRecord]
    /// Why a trigger took this snapshot (schedule `trigger/<rule>`); nil for scheduled and manual ones.
    public var trigger: TriggerRecord?

    /// What a trigger saw when it fired: enough to judge the firing and to diff against the snapshot before.
    public struct TriggerRecord: Codable, Sendable, Hashable {
        /// The rule's name.
        public var rule: String
        /// The signal polled (`goroutines`, `heap_inuse_bytes`, ...).
        public var signal: String
        /// Where it was read: `pprof_index`, `goroutine_debug1`, `vars` or `metrics`.
        public var source: String
        /// The value that met the condition, in the signal's unit.
        public var observed: Double
        /// What it was compared with: the threshold, the rolling mean, or the value at the rule's last capture.
        public var baseline: Double
        /// The condition that held, in words.
        public var reason: String
        /// The rule's window of samples, oldest first, ending with `observed`.
        public var samples: [Double]
        /// When the poll that fired was read.
        public var polledAt: String
        /// The target's latest snapshot before this one (the "before" of a diff); nil when there is none.
        public var previousSnapshot: String?

        enum CodingKeys: String, CodingKey {
            case rule, signal, source, observed, baseline, reason, samples
            case polledAt = "polled_at"
            case previousSnapshot = "previous_snapshot"
        }

        /// Memberwise initializer.
        public init(rule: String, signal: String, source: String, observed: Double, baseline: Double, reason: String,
                    samples: [Double], polledAt: Date, previousSnapshot: String?) {
            self.rule = rule
            self.signal = signal
            self.source = source
            self.observed = observed
            self.baseline = baseline
            self.reason = reason
            self.samples = samples
            self.polledAt = Timestamp.formatUTCFast(polledAt)
            self.previousSnapshot = previousSnapshot
        }
    }

    /// The target as recorded: never with credentials.
    public struct TargetInfo: Codable, Sendable, Hashable {
        public var name: String
        /// Base URL without credentials; nil for imports.
        public var url: String?
        public var labels: [String: String]

        public init(name: String, url: String?, labels: [String: String]) {
            self.name = name
            self.url = url.map(URLRedaction.redact)
            self.labels = labels
        }
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, target, schedule
        case scheduledAt = "scheduled_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case gbsnapVersion = "gbsnap_version"
        case host, status, artifacts, trigger
    }

    public init(id: String, target: TargetInfo, schedule: String, scheduledAt: Date?, startedAt: Date, finishedAt: Date,
                host: String = SystemIO.hostName, artifacts: [ArtifactRecord], trigger: TriggerRecord? = nil) {
        self.schema = Self.currentSchema
        self.id = id
        self.target = target
        self.schedule = schedule
        self.scheduledAt = scheduledAt.map(Timestamp.formatUTCFast)
        self.startedAt = Timestamp.formatUTCFast(startedAt)
        self.finishedAt = Timestamp.formatUTCFast(finishedAt)
        self.gbsnapVersion = GBSnapVersion.current
        self.host = host
        self.artifacts = artifacts
        self.trigger = trigger
        self.status = SnapshotStatus(artifacts: artifacts)
    }

    /// When the snapshot was taken: the scheduled time if any (so stagger does not move it in
    /// listings), else the start.
    public var takenAt: Date {
        scheduledAt.flatMap(Timestamp.parseUTCFast) ?? Timestamp.parseUTCFast(startedAt) ?? Date(timeIntervalSince1970: 0)
    }

    /// Kinds with a stored artifact (a failed artifact's rejected body does not count).
    public var capturedKinds: [String] {
        Array(Set(artifacts.filter(\.hasData).map(\.kind))).sorted()
    }

    /// Kinds that were asked for and failed.
    public var failedKinds: [String] {
        Array(Set(artifacts.filter { $0.status == .failed }.map(\.kind))).sorted()
    }
}

/// The whole snapshot's outcome.
public enum SnapshotStatus: String, Codable, Sendable, Hashable {
    /// Every requested artifact was captured (or legitimately not supported / skipped by policy).
    case complete
    /// Some artifacts failed; the others are stored.
    case partial
    /// Nothing could be captured; the manifest records why.
    case failed

    public init(artifacts: [ArtifactRecord]) {
        let failed = artifacts.filter { $0.status == .failed }.count
        let stored = artifacts.filter(\.hasData).count
        if failed == 0 && (stored > 0 || artifacts.isEmpty) {
            self = .complete
        } else if stored > 0 {
            self = .partial
        } else {
            self = .failed
        }
    }
}

/// One artifact of a snapshot: what was asked, what came back, where it is in the archive.
public struct ArtifactRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable {
        case ok
        case failed
        /// Not taken on purpose (e.g. the safety governor); `note` says why.
        case skipped
        /// The target does not serve it (e.g. `goroutineleak` before Go 1.26).
        case unsupported
    }

    /// Artifact name, unique in the snapshot (`heap`, `stacks`, a custom endpoint's name).
    public var name: String
    /// A `CaptureKind` raw value. Stored as written, not as the enum, so a manifest from a newer gbsnap
    /// with a kind this one does not know still reads (the artifact is listed, not compared).
    public var kind: String
    /// ``kind`` as the vocabulary type; nil for a kind this version does not know.
    public var captureKind: CaptureKind? { CaptureKind(rawValue: kind) }
    /// Member path inside the archive; nil when nothing was stored. On a `failed` artifact it is
    /// the first bytes of a body rejected as not what the endpoint serves (`heap.pb.gz.rejected`):
    /// evidence, never data.
    public var member: String?
    public var bytes: Int64
    public var sha256: String?
    public var contentType: String?
    /// Path requested (no host, no credentials), or the imported file's name.
    public var endpoint: String?
    public var query: String?
    public var httpStatus: Int?
    public var durationSeconds: Double?
    public var status: Status
    /// Why it failed, in one sentence.
    public var error: String?
    /// Anything else worth knowing (downgraded from `stacks`, not supported, ...).
    public var note: String?

    /// True when the member holds the artifact's data (not a rejected body).
    public var hasData: Bool { member != nil && status != .failed }

    enum CodingKeys: String, CodingKey {
        case name, kind, member, bytes, sha256
        case contentType = "content_type"
        case endpoint, query
        case httpStatus = "http_status"
        case durationSeconds = "duration_seconds"
        case status, error, note
    }

    public init(name: String, kind: String, member: String?, bytes: Int64, sha256: String?, contentType: String? = nil,
                endpoint: String? = nil, query: String? = nil, httpStatus: Int? = nil, durationSeconds: Double? = nil,
                status: Status, error: String? = nil, note: String? = nil) {
        self.name = name
        self.kind = kind
        self.member = member
        self.bytes = bytes
        self.sha256 = sha256
        self.contentType = contentType
        self.endpoint = endpoint
        self.query = query
        self.httpStatus = httpStatus
        self.durationSeconds = durationSeconds
        self.status = status
        self.error = error
        self.note = note
    }
}

/// The version string written into manifests.
public enum GBSnapVersion {
    public static let current = "0.1.0"
}
