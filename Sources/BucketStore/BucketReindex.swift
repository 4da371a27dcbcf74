import Foundation
import GBSnapCore
import S3
import SnapshotStore

/// What `gbsnap reindex` on a bucket rebuilt.
///
/// JSON: `{"snapshots": n, "targets": n, "skipped": [problem], "damaged": [problem]}` (problems as `verify --json`).
public struct BucketReindexReport: Sendable, Codable {
    public var snapshots: Int
    public var targets: Int
    /// Intact archives left out of the catalog (with why): one stored under the wrong key.
    public var skipped: [VerifyProblem]
    /// Damaged archives, left out of the catalog and left in place (a bucket has no quarantine): each says how to
    /// remove it.
    public var damaged: [VerifyProblem]

    /// False when an archive was damaged or left out: the catalog does not cover every archive.
    public var isComplete: Bool { skipped.isEmpty && damaged.isEmpty }
}

extension BucketStore {
    /// The head of an archive fetched to find its manifest (the first tar member); doubled while the manifest is cut.
    static let manifestHead: Int64 = 64 * 1024
    /// The largest head fetched for a manifest (as large as a manifest may be on disk, plus room for the tar header).
    static let manifestHeadLimit: Int64 = 17 << 20

    /// The manifest of the archive at `storeKey`, by ranged GETs of the archive's head (64 KiB, more while the
    /// manifest is cut), decoded by the code that reads it on disk from a temp file in `scratch` (removed after).
    public func readManifest(key storeKey: String, scratch: String) async throws -> Manifest {
        do { try SystemIO.makeDirectories(scratch) } catch {
            throw StoreError(.io, "cannot create the temp folder \(scratch) for the manifest of \(url(storeKey)): \(error)", input: .path(scratch), underlying: error)
        }
        let path = "\(scratch)/head-\(UInt32.random(in: 0...UInt32.max)).tar.gz"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try SnapshotStore(root: scratch, create: false)
        var length = Self.manifestHead
        while true {
            let object: S3ObjectData
            do { object = try await client.getObject(bucket: bucket, key: key(storeKey), range: S3ByteRange(0...(length - 1))) } catch {
                if error.reason == .noSuchKey { throw StoreError(.missingArchive, "archive \(url(storeKey)) is missing", input: .path(url(storeKey))) }
                if error.reason == .invalidRange { throw StoreError(.corruptArchive, "archive \(url(storeKey)) is empty: it has no manifest.json", input: .path(url(storeKey))) }
                throw error
            }
            do { try Data(object.bytes).write(to: URL(fileURLWithPath: path)) } catch {
                throw StoreError(.io, "cannot write \(path): \(error)", input: .path(path), underlying: error)
            }
            do {
                return try reader.readManifest(archivePath: path)
            } catch {
                // Cut: fetch more, unless this was the whole object (then it is damaged) or the limit.
                guard object.totalSize > Int64(object.bytes.count), length < Self.manifestHeadLimit else {
                    throw StoreError(error.code, error.description.replacingOccurrences(of: path, with: url(storeKey)), input: .path(url(storeKey)))
                }
                length = min(length * 4, Self.manifestHeadLimit)
            }
        }
    }

    /// Store keys of every archive (`*.tar.gz`) under `snapshots/` (or `snapshots/<target>/`), sorted.
    func archiveKeys(target: String? = nil) async throws -> [(key: String, size: Int64)] {
        let prefix = key("")
        let under = key("snapshots/" + (target.map { "\($0)/" } ?? ""))
        return try await client.listAllObjects(bucket: bucket, prefix: under).filter { $0.key.hasSuffix(".tar.gz") }
            .map { (String($0.key.dropFirst(prefix.count)), $0.size) }.sorted { $0.key < $1.key }
    }

    /// The keys listed in the intent of any prune lease: archives being removed, never to be adopted or reindexed.
    func keysBeingRemoved() async throws -> Set<String> {
        let prefix = key("leases/prune-")
        var keys = Set<String>()
        for object in try await client.listAllObjects(bucket: bucket, prefix: prefix) where object.key.hasSuffix(".json") {
            guard let data = try await getIfPresent(object.key), let record = LeaseRecord(json: data.bytes) else { continue }
            for line in (record.extra["intent"] ?? "").split(separator: "\n") { keys.insert(String(line)) }
        }
        return keys
    }

    /// Adds records for archives under `snapshots/<target>/` (every target when nil) that no record lists: what a
    /// writer that died between an archive and its record leaves. Each such archive's manifest is read by a ranged
    /// GET and its whole SHA-256 by a streamed GET, then its record written with `If-None-Match: *` (a writer that
    /// finished meanwhile wins, and the archive counts as adopted). Archives of removed snapshots (a tombstone or a
    /// prune's intent names them), at no canonical place, or whose manifest puts them elsewhere are left out, with why.
    /// Called at daemon start and by `gbsnap capture` on a bucket.
    public func adoptUnrecorded(targets: [String]? = nil) async throws -> [AdoptedArchive] {
        let scratch = NSTemporaryDirectory() + "gbsnap-adopt-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var byTarget: [String: [String]] = [:]
        for archive in try await archiveKeys(target: targets?.count == 1 ? targets![0] : nil) {
            let parts = archive.key.split(separator: "/")
            guard parts.count == 6 else { continue }  // only the layout's own places; anything else is verify's to report
            let target = String(parts[1])
            if let targets, !targets.contains(target) { continue }
            byTarget[target, default: []].append(archive.key)
        }
        guard !byTarget.isEmpty else { return [] }
        let removing = try await keysBeingRemoved()
        var adopted: [AdoptedArchive] = []
        for (target, keys) in byTarget.sorted(by: { $0.key < $1.key }) {
            let listed = Set(try await entries(target: target).map(\.key))
            let tombstoned = try await listLog(target: target).tombstones
            for storeKey in keys where !listed.contains(storeKey) && !removing.contains(storeKey) {
                let id = String(storeKey.split(separator: "/").last!.dropLast(7))
                if tombstoned.contains(id) { continue }  // removed; its delete is the prune's to finish
                adopted.append(try await adopt(storeKey, target: target, scratch: scratch))
            }
        }
        return adopted
    }

    /// Adopts one archive without a record (see ``adoptUnrecorded(targets:)``).
    func adopt(_ storeKey: String, target: String, scratch: String) async throws -> AdoptedArchive {
        let manifest: Manifest
        do { manifest = try await readManifest(key: storeKey, scratch: scratch) } catch let error as StoreError {
            return AdoptedArchive(key: storeKey, entry: nil, problem: "archive \(url(storeKey)) has no catalog record and cannot be read (\(error)); left out (see `gbsnap verify`)")
        }
        guard manifest.target.name == target, SnapshotStore.isCanonicalKey(storeKey, target: target, id: manifest.id),
              SnapshotStore.key(target: target, id: manifest.id, takenAt: manifest.takenAt) == storeKey else {
            return AdoptedArchive(key: storeKey, entry: nil, problem: "archive \(url(storeKey)) does not belong at its place according to its manifest; left out of the catalog (see `gbsnap verify`)")
        }
        let (size, sha) = try await sha256(ofObject: storeKey)
        let entry = CatalogEntry(manifest: manifest, key: storeKey, bytes: size, sha256: sha)
        _ = try await client.putObject(bucket: bucket, key: key(BucketCatalog.recordKey(target: target, id: entry.id)),
                                       bytes: CatalogCodec.entryJSON(entry) + [0x0A], contentType: "application/json", condition: .ifNoneMatch)
        return AdoptedArchive(key: storeKey, entry: entry, problem: nil)
    }

    /// Rebuilds the catalog from the archives (`gbsnap reindex` on a bucket). Removals a dead prune left are finished
    /// first. Then the log and tombstones are listed, then every archive under `snapshots/` is fetched into a temp file
    /// (one at a time) and checked through as `verify` does (whole SHA-256, every member against the manifest). Each
    /// target gets a new base of its intact archives, written with `If-Match` of the base it read (`If-None-Match: *`
    /// for none), and then the log objects listed before the scan are deleted; records and tombstones written during
    /// the scan stay (readers merge them). The archive of a removed snapshot (it has a tombstone) is deleted, finishing
    /// that removal; damaged archives are reported and left in place.
    public func reindex(progress: StoreProgress? = nil) async throws -> BucketReindexReport {
        try await finishInterruptedRemovals()
        let scratch = NSTemporaryDirectory() + "gbsnap-reindex-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do { try SystemIO.makeDirectories(scratch) } catch {
            throw StoreError(.io, "cannot create the temp folder \(scratch) for reindex: \(error)", input: .path(scratch), underlying: error)
        }
        let reader = try SnapshotStore(root: scratch, create: false)
        // What is there before the scan: each target's base ETag, log keys and tombstones.
        let existing = try await targets()
        var bases: [String: String?] = [:]
        var folded: [String: [String]] = [:]
        var tombstones: [String: Set<String>] = [:]
        for target in existing {
            bases[target] = try await client.headObject(bucket: bucket, key: key(BucketCatalog.baseKey(target: target)))?.etag
            let log = try await listLog(target: target)
            folded[target] = log.keys
            tombstones[target] = log.tombstones
        }
        let removing = try await keysBeingRemoved()
        var byTarget: [String: [CatalogEntry]] = [:]
        var skipped: [VerifyProblem] = [], damaged: [VerifyProblem] = []
        let archives = try await archiveKeys()
        for (done, archive) in archives.enumerated() {
            progress?(done, archives.count, archive.key)
            let storeKey = archive.key, name = url(storeKey)
            let guessedID = storeKey.split(separator: "/").last.map { String($0.dropLast(7)) }
            let deleteHint = "delete it (aws s3 rm \(name), or any S3 client) or put a good copy there, and run `gbsnap reindex` again"
            if removing.contains(storeKey) { continue }  // a removal in progress
            if let id = guessedID, let target = storeKey.split(separator: "/").dropFirst().first.map(String.init),
               SnapshotStore.isCanonicalKey(storeKey, target: target, id: id), tombstones[target]?.contains(id) == true {
                // A removed snapshot whose archive delete did not happen: finish it, as the removal would have, so
                // that folding its tombstone below never brings it back.
                try await client.deleteObject(bucket: bucket, key: key(storeKey))
                continue
            }
            let path = "\(scratch)/archive.tar.gz"
            defer { try? FileManager.default.removeItem(atPath: path) }
            do { try await client.downloadObject(bucket: bucket, key: key(storeKey), to: path) } catch {
                if error.reason == .noSuchKey { continue }  // removed since the listing
                throw error
            }
            let manifest: Manifest
            do { manifest = try reader.readManifest(archivePath: path) } catch {
                damaged.append(VerifyProblem(kind: .corruptArchive, id: guessedID, path: name,
                                             message: error.description.replacingOccurrences(of: path, with: name), nextStep: deleteHint))
                continue
            }
            let expectedKey = SnapshotStore.key(target: manifest.target.name, id: manifest.id, takenAt: manifest.takenAt)
            guard expectedKey == storeKey else {
                skipped.append(VerifyProblem(kind: .corruptArchive, id: manifest.id, path: name,
                                             message: "archive \(name) belongs at \(url(expectedKey)) according to its manifest; left out",
                                             nextStep: "copy it there (and delete it here), and run `gbsnap reindex` again"))
                continue
            }
            if var problem = reader.checkArchive(path, id: manifest.id) {
                problem.path = name
                problem.message = problem.message.replacingOccurrences(of: path, with: name)
                problem.nextStep = deleteHint
                damaged.append(problem)
                continue
            }
            let digest: (Int64, String)
            do { digest = try FileDigest.sha256(ofFile: path) } catch {
                throw StoreError(.io, "cannot read \(path), the fetched copy of \(name): \(error)", input: .path(path), underlying: error)
            }
            byTarget[manifest.target.name, default: []].append(CatalogEntry(manifest: manifest, key: storeKey, bytes: digest.0, sha256: digest.1))
        }
        progress?(archives.count, archives.count, "")
        for target in Set(existing).union(byTarget.keys).sorted() {
            let entries = (byTarget[target] ?? []).sorted { ($0.takenAt, $0.id) < ($1.takenAt, $1.id) }
            let etag = bases[target] ?? nil
            let written = try await client.putObject(bucket: bucket, key: key(BucketCatalog.baseKey(target: target)), bytes: CatalogCodec.shard(entries),
                                                     contentType: "application/x-ndjson", condition: etag.map { .ifMatch($0) } ?? .ifNoneMatch)
            guard written != .preconditionFailed else {
                throw BucketStoreError("catalog of target \(target) in \(description) was compacted by another process while reindex read the archives; nothing of it was changed: run `gbsnap reindex` again")
            }
            var rest = (folded[target] ?? [])[...]
            while !rest.isEmpty {
                let batch = Array(rest.prefix(1000))
                rest = rest.dropFirst(batch.count)
                let failed = try await client.deleteObjects(bucket: bucket, keys: batch)
                if let first = failed.first {
                    throw BucketStoreError("catalog of target \(target) in \(description) was rebuilt, but \(failed.count) log object(s) could not be deleted (\(first.key): \(first.problem)); they are harmless (records of the base, or tombstones of removed snapshots) and the next compaction retries")
                }
            }
        }
        return BucketReindexReport(snapshots: byTarget.values.reduce(0) { $0 + $1.count }, targets: byTarget.count, skipped: skipped, damaged: damaged)
    }
}
