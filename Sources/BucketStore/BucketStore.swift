import Crypto
import Foundation
import GBSnapCore
import NIOCore
import S3
import SnapshotStore

/// A snapshot store in an S3-compatible bucket under `s3://BUCKET[/PREFIX]` (docs/s3.md): the archives at the same
/// keys as on disk, byte-identical; the catalog as a compacted base plus immutable records per target
/// (``BucketCatalog``); pins as one object each. Readers need no lock: a record is written only after its archive,
/// so every listed snapshot has a complete archive, and an archive without its record is never listed.
public final class BucketStore: Sendable {
    /// Where the store is.
    public let location: S3Location
    /// The client it speaks through (closed by ``shutdown()``).
    public let client: S3Client
    /// Records fetched at once when a target's catalog is read.
    let readConcurrency = 16

    /// A store at `location` through `client`.
    public init(location: S3Location, client: S3Client) {
        self.location = location
        self.client = client
    }

    /// The store `text` (`s3://BUCKET[/PREFIX]`) names, with the endpoint and credentials from `environment`
    /// (`AWS_*`) over a config's `s3:` block `settings`, as ``S3Configuration/resolve(environment:file:)`` reads them.
    public static func open(_ text: String, environment: [String: String],
                            settings: S3Configuration.FileSettings = S3Configuration.FileSettings()) throws -> BucketStore {
        let location = try S3Location(parsing: text)
        let configuration: S3Configuration
        do { configuration = try S3Configuration.resolve(environment: environment, file: settings) } catch {
            throw BucketStoreError("store \(text): \(error.problem)")
        }
        return BucketStore(location: location, client: try S3Client(configuration: configuration))
    }

    /// Closes the client's connections.
    public func shutdown() async { await client.shutdown() }

    /// One signed LIST of the store's catalog (one key at most): fails with the endpoint's precise reason (a wrong
    /// secret, a missing bucket, a refused policy) before a command does anything else, e.g. before a capture loads
    /// its target for nothing.
    public func checkAccess() async throws {
        _ = try await client.listObjects(bucket: bucket, prefix: key("catalog/"), maxKeys: 1)
    }

    var bucket: String { location.bucket }

    /// The full key of a store key.
    func key(_ storeKey: String) -> String { location.key(storeKey) }

    /// `s3://BUCKET/PREFIX/KEY` of a store key, for messages.
    public func url(_ storeKey: String) -> String { "s3://\(bucket)/\(key(storeKey))" }

    /// `s3://BUCKET[/PREFIX]`.
    public var description: String { location.description }
}

/// A bucket store problem that is not an S3 error: one sentence naming the object and what to do.
public struct BucketStoreError: Error, Sendable, CustomStringConvertible {
    /// The sentence.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Reading

extension BucketStore {
    /// The targets with a catalog in the bucket, sorted.
    public func targets() async throws -> [String] {
        let prefix = key("catalog/")
        var names: [String] = []
        var token: String?
        repeat {
            let page = try await client.listObjects(bucket: bucket, prefix: prefix, delimiter: "/", continuationToken: token)
            for p in page.commonPrefixes {
                let name = String(p.dropFirst(prefix.count).dropLast())  // "catalog/<target>/"
                if SnapshotID.isValidTargetName(name) { names.append(name) }
            }
            token = page.nextContinuationToken
        } while token != nil
        return names.sorted()
    }

    /// One target's live entries, oldest first: the base (its ETag remembered), the log's listing and records, then
    /// the base's ETag checked again; a base replaced meanwhile (a compaction) means reading again, so a record a
    /// compaction folded in and deleted is never missed.
    public func entries(target: String) async throws -> [CatalogEntry] {
        guard SnapshotID.isValidTargetName(target) else { return [] }
        let baseKey = key(BucketCatalog.baseKey(target: target))
        for _ in 0..<8 {
            let base = try await getBase(baseKey)
            let changes = try base.map { try CatalogCodec.changes(inShard: $0.bytes, name: url(BucketCatalog.baseKey(target: target))) } ?? []
            let (puts, tombstones, _) = try await listLog(target: target)
            let known = Set(changes.compactMap { if case .put(let e) = $0 { e.id } else { nil } })
            let records = try await fetchRecords(target: target, ids: puts.filter { !known.contains($0) && !tombstones.contains($0) })
            let now = try await client.headObject(bucket: bucket, key: baseKey)
            if now?.etag == base?.etag {
                return BucketCatalog.merge(base: changes, records: records, tombstones: tombstones)
            }
        }
        throw BucketStoreError("catalog of target \(target) in \(description) kept changing while it was read (compactions in a loop?); try again")
    }

    /// A target's log and tombstones: the ids with a record, the ids with a tombstone (under `del/` or, from the first
    /// layout, `log/<id>.del.json`), and the full keys of all of these (what a compaction folds).
    func listLog(target: String) async throws -> (puts: [String], tombstones: Set<String>, keys: [String]) {
        let logPrefix = key(BucketCatalog.logPrefix(target: target))
        var puts: [String] = [], tombstones = Set<String>(), keys: [String] = []
        for object in try await client.listAllObjects(bucket: bucket, prefix: logPrefix) {
            switch BucketCatalog.logKey(object.key.dropFirst(logPrefix.count)) {
            case .put(let id): puts.append(id)
            case .del(let id): tombstones.insert(id)
            case nil: continue
            }
            keys.append(object.key)
        }
        let delPrefix = key(BucketCatalog.tombstonePrefix(target: target))
        for object in try await client.listAllObjects(bucket: bucket, prefix: delPrefix) {
            guard let id = BucketCatalog.tombstoneID(object.key.dropFirst(delPrefix.count)) else { continue }
            tombstones.insert(id)
            keys.append(object.key)
        }
        return (puts, tombstones, keys)
    }

    /// The records of `ids`, fetched a few at a time; a record deleted meanwhile (compacted) is left out, the
    /// caller's base check then reads again.
    func fetchRecords(target: String, ids: [String]) async throws -> [CatalogEntry] {
        var out: [CatalogEntry] = []
        out.reserveCapacity(ids.count)
        try await withThrowingTaskGroup(of: CatalogEntry?.self) { group in
            var next = ids.makeIterator()
            func add() -> Bool {
                guard let id = next.next() else { return false }
                let storeKey = BucketCatalog.recordKey(target: target, id: id)
                group.addTask { [self] in
                    guard let object = try await getIfPresent(key(storeKey)) else { return nil }
                    let entry = try CatalogCodec.entry(fromJSON: object.bytes, name: url(storeKey))
                    guard entry.id == id, entry.target == target else {
                        throw BucketStoreError("catalog record \(url(storeKey)) holds snapshot \(entry.id) of \(entry.target), not \(id) of \(target); remove it and run `gbsnap reindex`")
                    }
                    return entry
                }
                return true
            }
            for _ in 0..<readConcurrency where add() {}
            while let result = try await group.next() {
                if let result { out.append(result) }
                _ = add()
            }
        }
        return out
    }

    /// GETs a target's base, streamed (a base of 100,000 entries is 40 MB, past the client's in-memory limit), or nil
    /// when there is none.
    func getBase(_ fullKey: String) async throws -> (bytes: [UInt8], etag: String)? {
        let collector = ByteCollector()
        do {
            let etag = try await client.streamObject(bucket: bucket, key: fullKey) { chunk in collector.append(chunk) }
            return (collector.take(), etag)
        } catch {
            if error.reason == .noSuchKey { return nil }
            throw error
        }
    }

    /// GETs a small object, or nil when the key does not exist.
    func getIfPresent(_ fullKey: String) async throws -> S3ObjectData? {
        do { return try await client.getObject(bucket: bucket, key: fullKey) } catch {
            if error.reason == .noSuchKey { return nil }
            throw error
        }
    }

    /// Every live entry, oldest first.
    public func allEntries() async throws -> [CatalogEntry] {
        var all: [CatalogEntry] = []
        for target in try await targets() { all += try await entries(target: target) }
        return CatalogCodec.sorted(all)
    }

    /// The entries `filter` keeps, oldest first.
    public func list(_ filter: ListFilter = ListFilter()) async throws -> [CatalogEntry] {
        let entries = if let target = filter.target { try await entries(target: target) } else { try await allEntries() }
        return entries.filter(filter.matches)
    }

    /// A target's entries; no entries is an error naming `input` with the closest target the bucket has.
    public func entries(ofTarget target: String, input: String) async throws -> [CatalogEntry] {
        let list = try await entries(target: target)
        guard list.isEmpty else { return list }
        let hint = NameSuggestion.hint(target, in: try await targets(), known: "the store has snapshots of")
        throw StoreError(.unknownSelector, "\(input): the store \(description) has no snapshots of target \"\(target)\"\(hint)", input: .target(target))
    }

    /// The entry a selector names (a full id, an id prefix, `TARGET@latest`, `TARGET@latest~N`, `TARGET@TIME`),
    /// by the same rules as a local store. Reads only the one target a relative selector or a full id names.
    public func resolveEntry(_ selector: String, filter: SelectorFilter = SelectorFilter()) async throws -> CatalogEntry {
        let targets = try await targets()
        var wanted: [String]
        if let at = selector.firstIndex(of: "@") {
            wanted = [String(selector[..<at])]
        } else if let t = SnapshotStore.targetFromID(selector) {
            wanted = targets.filter { $0 == t }
        } else {
            wanted = targets
        }
        var byTarget: [String: [CatalogEntry]] = [:]
        for t in wanted { byTarget[t] = try await entries(target: t) }
        let found = try SnapshotStore.selectEntry(selector, targets: targets, entries: { byTarget[$0] ?? [] }, filter: filter)
        guard let found else { throw StoreError(.unknownSelector, "no snapshot in \(description) matches \"\(selector)\"", input: .selector(selector)) }
        return found
    }

    /// Fetches a snapshot's archive into the file at `path` (streamed through `path.part`, renamed when whole).
    public func downloadArchive(_ entry: CatalogEntry, to path: String) async throws {
        do { try await client.downloadObject(bucket: bucket, key: key(entry.key), to: path) } catch {
            if error.reason == .noSuchKey {
                throw BucketStoreError("snapshot \(entry.id) is in the catalog of \(description) but its archive \(url(entry.key)) is missing; restore it or copy the snapshot again")
            }
            throw error
        }
    }

    /// Pinned snapshot ids with their notes: one object per pin under `pins/`.
    public func pins() async throws -> [String: Pin] {
        let prefix = key("pins/")
        var ids: [String] = []
        for object in try await client.listAllObjects(bucket: bucket, prefix: prefix) {
            let name = object.key.dropFirst(prefix.count)
            guard name.hasSuffix(".json") else { continue }
            let id = String(name.dropLast(5))
            if SnapshotID.isValidID(id) { ids.append(id) }
        }
        var out: [String: Pin] = [:]
        for id in ids {
            let storeKey = BucketCatalog.pinKey(id: id)
            guard let object = try await getIfPresent(key(storeKey)) else { continue }  // unpinned meanwhile
            do { out[id] = try JSONDecoder().decode(Pin.self, from: Data(object.bytes)) } catch {
                throw BucketStoreError("pin \(url(storeKey)) is damaged (\(error)); delete it and pin \(id) again")
            }
        }
        return out
    }
}

// MARK: - Writing

extension BucketStore {
    /// What ``put(archiveAt:entry:)`` did.
    public enum PutOutcome: Sendable, Hashable {
        /// The archive and its record were written.
        case stored
        /// The snapshot's record was already there: nothing was written.
        case alreadyThere
    }

    /// Stores a snapshot whose complete, checked archive is the file at `path`: (1) the archive to its key with
    /// `If-None-Match: *`, (2) its record with `If-None-Match: *`. Only (2) makes it listed, so a failure in between
    /// leaves an archive no reader lists; a re-run finds it, checks it is the same bytes, and writes the record.
    @discardableResult
    public func put(archiveAt path: String, entry: CatalogEntry) async throws -> PutOutcome {
        let recordKey = BucketCatalog.recordKey(target: entry.target, id: entry.id)
        if try await client.headObject(bucket: bucket, key: key(recordKey)) != nil { return .alreadyThere }
        let upload = try await client.uploadFile(bucket: bucket, key: key(entry.key), path: path, contentType: "application/gzip", condition: .ifNoneMatch)
        if upload == .preconditionFailed {
            // An archive without its record: a copy or capture that died between (1) and (2). Keep it only if it is these bytes.
            guard try await sha256(ofObject: entry.key) == (entry.bytes, entry.sha256) else {
                throw BucketStoreError("\(url(entry.key)) already holds an object that is not the archive of snapshot \(entry.id) (size or SHA-256 differs); check it, delete it if it is debris, and copy again")
            }
        }
        let record = try await client.putObject(bucket: bucket, key: key(recordKey), bytes: CatalogCodec.entryJSON(entry) + [0x0A],
                                                contentType: "application/json", condition: .ifNoneMatch)
        return record == .preconditionFailed ? .alreadyThere : .stored
    }

    /// Size and SHA-256 (hex) of a stored object, streamed.
    func sha256(ofObject storeKey: String) async throws -> (Int64, String) {
        let hasher = StreamHasher()
        try await client.streamObject(bucket: bucket, key: key(storeKey)) { chunk in hasher.update(chunk) }
        return hasher.finish()
    }

    /// Pins (or re-notes) a snapshot: one PUT.
    public func pin(_ id: String, note: String?, at date: Date = Date()) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = Array(try encoder.encode(Pin(note: note, pinnedAt: Timestamp.formatUTC(date))))
        _ = try await client.putObject(bucket: bucket, key: key(BucketCatalog.pinKey(id: id)), bytes: bytes, contentType: "application/json")
    }

    /// Unpins a snapshot; returns false if it was not pinned.
    @discardableResult
    public func unpin(_ id: String) async throws -> Bool {
        let k = key(BucketCatalog.pinKey(id: id))
        guard try await client.headObject(bucket: bucket, key: k) != nil else { return false }
        try await client.deleteObject(bucket: bucket, key: k)
        return true
    }
}

/// The bytes of a streamed GET, gathered in order.
final class ByteCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    func append(_ chunk: ByteBuffer) {
        lock.withLock { chunk.withUnsafeReadableBytes { bytes.append(contentsOf: $0) } }
    }

    func take() -> [UInt8] { lock.withLock { bytes } }
}

/// SHA-256 over chunks handed over one at a time by a streamed GET.
final class StreamHasher: @unchecked Sendable {
    private let lock = NSLock()
    private var hasher = SHA256()
    private var count: Int64 = 0

    func update(_ chunk: ByteBuffer) {
        lock.withLock {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            count += Int64(chunk.readableBytes)
        }
    }

    func finish() -> (Int64, String) {
        lock.withLock { (count, hasher.finalize().map { String(format: "%02x", $0) }.joined()) }
    }
}
