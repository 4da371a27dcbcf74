import Foundation
import GBSnapCore

/// One snapshot as the catalog lists it: enough to list, select and plan retention without
/// opening archives.
public struct CatalogEntry: Codable, Sendable, Hashable {
    public var id: String
    /// Object key relative to the store root, e.g. `snapshots/order-api/2026/11/26/<id>.tar.gz`.
    public var key: String
    public var target: String
    public var labels: [String: String]
    /// Kinds with a stored artifact, as `CaptureKind` raw values. Kept as written (like the manifest's) so
    /// a catalog line from a newer gbsnap still reads; ``captureKinds`` has the ones this version knows.
    public var kinds: [String]
    /// ``kinds`` as the vocabulary type, without kinds this version does not know.
    public var captureKinds: [CaptureKind] { kinds.compactMap(CaptureKind.init(rawValue:)) }
    /// Kinds that were asked for and failed.
    public var failedKinds: [String]
    public var schedule: String
    public var takenAt: Date
    public var finishedAt: Date
    /// Archive size in bytes.
    public var bytes: Int64
    /// SHA-256 of the archive file.
    public var sha256: String
    public var status: SnapshotStatus

    /// Whether any artifact was stored: false for a failed capture (its manifest records only why).
    public var hasData: Bool { status != .failed }

    enum CodingKeys: String, CodingKey {
        case id, key, target, labels, kinds
        case failedKinds = "failed_kinds"
        case schedule
        case takenAt = "taken_at"
        case finishedAt = "finished_at"
        case bytes, sha256, status
    }

    public init(id: String, key: String, target: String, labels: [String: String], kinds: [String], failedKinds: [String],
                schedule: String, takenAt: Date, finishedAt: Date, bytes: Int64, sha256: String, status: SnapshotStatus) {
        self.id = id
        self.key = key
        self.target = target
        self.labels = labels
        self.kinds = kinds
        self.failedKinds = failedKinds
        self.schedule = schedule
        self.takenAt = takenAt
        self.finishedAt = finishedAt
        self.bytes = bytes
        self.sha256 = sha256
        self.status = status
    }

    /// The entry of the archive at `key` with this manifest, size and SHA-256 (reindex and adoption).
    public init(manifest: Manifest, key: String, bytes: Int64, sha256: String) {
        self.init(id: manifest.id, key: key, target: manifest.target.name, labels: manifest.target.labels,
                  kinds: manifest.capturedKinds, failedKinds: manifest.failedKinds, schedule: manifest.schedule,
                  takenAt: manifest.takenAt,
                  finishedAt: Timestamp.parseUTCFast(manifest.finishedAt) ?? manifest.takenAt,
                  bytes: bytes, sha256: sha256, status: manifest.status)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        key = try c.decode(String.self, forKey: .key)
        target = try c.decode(String.self, forKey: .target)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        kinds = try c.decode([String].self, forKey: .kinds)
        failedKinds = try c.decodeIfPresent([String].self, forKey: .failedKinds) ?? []
        schedule = try c.decode(String.self, forKey: .schedule)
        let taken = try c.decode(String.self, forKey: .takenAt)
        guard let t = Timestamp.parseUTCFast(taken) else {
            throw DecodingError.dataCorruptedError(forKey: .takenAt, in: c, debugDescription: "bad time \(taken)")
        }
        takenAt = t
        let finished = try c.decode(String.self, forKey: .finishedAt)
        finishedAt = Timestamp.parseUTCFast(finished) ?? t
        bytes = try c.decode(Int64.self, forKey: .bytes)
        sha256 = try c.decode(String.self, forKey: .sha256)
        status = try c.decode(SnapshotStatus.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(key, forKey: .key)
        try c.encode(target, forKey: .target)
        try c.encode(labels, forKey: .labels)
        try c.encode(kinds, forKey: .kinds)
        try c.encode(failedKinds, forKey: .failedKinds)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(Timestamp.formatUTCFast(takenAt), forKey: .takenAt)
        try c.encode(Timestamp.formatUTCFast(finishedAt), forKey: .finishedAt)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(status, forKey: .status)
    }
}
