import Foundation
import GBSnapCore
import S3

/// What a lease object (`leases/<name>.json`) says: who holds it, for what, until when (by the S3 server's clock).
///
/// JSON: `{"acquired_at", "expires_at", "holder", "host", "pid", "purpose"}` plus any extra string fields
/// (prune's `intent`), sorted keys, times as ISO 8601 UTC with milliseconds.
public struct LeaseRecord: Sendable, Hashable {
    /// Unique per acquisition (`host:pid:random`), so a holder recognises its own lease after a restart of nothing.
    public var holder: String
    public var host: String
    public var pid: Int32
    /// What the lease guards, for people (`daemon`, `prune`).
    public var purpose: String
    /// When it was taken (or last renewed), by the server's clock (whole milliseconds).
    public var acquiredAt: Date
    /// When it lapses unless renewed, by the server's clock (whole milliseconds).
    public var expiresAt: Date
    /// Further fields, e.g. prune's `intent`.
    public var extra: [String: String]

    /// A record.
    public init(holder: String, host: String, pid: Int32, purpose: String, acquiredAt: Date, expiresAt: Date, extra: [String: String] = [:]) {
        self.holder = holder
        self.host = host
        self.pid = pid
        self.purpose = purpose
        self.acquiredAt = Self.milliseconds(acquiredAt)
        self.expiresAt = Self.milliseconds(expiresAt)
        self.extra = extra
    }

    /// `date` to whole milliseconds, the value the JSON's text parses to, so a record equals itself read back.
    static func milliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(Int64((date.timeIntervalSince1970 * 1000).rounded())) / 1000)
    }

    /// A lease time as the JSON and the messages write it: `2026-12-02T18:05:00.000Z`, to the nearest millisecond.
    public static func format(_ date: Date) -> String {
        // Half a millisecond up: the formatter rounds down, and k/1000 may sit a hair below k.
        Timestamp.formatUTCFast(Date(timeIntervalSince1970: (Double(Int64((date.timeIntervalSince1970 * 1000).rounded())) + 0.5) / 1000))
    }

    static let fixedKeys: Set<String> = ["holder", "host", "pid", "purpose", "acquired_at", "expires_at"]

    /// The object's bytes: compact JSON with sorted keys and a final newline.
    public func json() -> [UInt8] {
        var object: [String: Any] = extra
        object["holder"] = holder
        object["host"] = host
        object["pid"] = Int(pid)
        object["purpose"] = purpose
        object["acquired_at"] = Self.format(acquiredAt)
        object["expires_at"] = Self.format(expiresAt)
        // Only strings and an Int: serialization cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data) + [0x0A]
    }

    /// A time of the JSON: exactly as ``format(_:)`` writes it, or any ISO 8601 time (a lease written by hand).
    static func parseTime(_ text: String) -> Date? {
        Timestamp.parseUTCFast(text) ?? Timestamp.parse(text, defaultZone: .gmt)
    }

    /// Parses a lease object; nil when it is not one (a damaged lease is treated as expired by ``BucketLease``).
    public init?(json bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let holder = object["holder"] as? String, let host = object["host"] as? String,
              let pid = (object["pid"] as? NSNumber).flatMap({ Int32(exactly: $0.int64Value) }),
              let purpose = object["purpose"] as? String,
              let acquired = (object["acquired_at"] as? String).flatMap(Self.parseTime),
              let expires = (object["expires_at"] as? String).flatMap(Self.parseTime)
        else { return nil }
        var extra: [String: String] = [:]
        for (key, value) in object where !Self.fixedKeys.contains(key) {
            guard let text = value as? String else { return nil }
            extra[key] = text
        }
        self.init(holder: holder, host: host, pid: pid, purpose: purpose, acquiredAt: acquired, expiresAt: expires, extra: extra)
    }
}

/// A lease another process holds and that has not expired.
public struct LeaseHeld: Error, Sendable, CustomStringConvertible {
    /// The lease's name (`daemon`, `prune-order-api`).
    public var name: String
    /// The store, `s3://BUCKET[/PREFIX]`.
    public var store: String
    /// What the holder wrote.
    public var record: LeaseRecord

    /// `lease prune-api (prune) of s3://b is held by host pid 42 until 2026-12-02T18:00:00.000Z; …`.
    public var description: String {
        "lease \(name) (\(record.purpose)) of \(store) is held by \(record.host) pid \(record.pid) until \(LeaseRecord.format(record.expiresAt)); wait for that process to finish (or for the lease to expire) and try again"
    }
}

/// A lease this process held and lost: another took it over after it expired (this process stalled past its ttl).
public struct BucketLeaseLost: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var store: String
    /// Who holds it now, when that could be read.
    public var current: LeaseRecord?

    public var description: String {
        let now = current.map { " and is now held by \($0.host) pid \($0.pid)" } ?? ""
        return "lease \(name) of \(store) was lost: it expired before it was renewed\(now); stop writing and start again"
    }
}

/// A lease on a bucket (docs/s3.md, "Leases"): one object `leases/<name>.json`, taken with `If-None-Match: *`,
/// taken over when expired with `If-Match` of the ETag read (of two contenders exactly one wins), renewed with
/// `If-Match` of the holder's own last ETag. Expiry is judged by the S3 server's `Date`, never the local clock.
public final class BucketLease: Sendable {
    /// The lease's name (the object is `leases/<name>.json`).
    public let name: String
    /// How long it lasts after each acquire or renew.
    public let ttl: Duration
    let store: BucketStore
    /// The server's clock at `clockBase`, for lease times without another request.
    let serverBase: Date
    let clockBase: ContinuousClock.Instant
    private let state: LockedState

    private final class LockedState: @unchecked Sendable {
        let lock = NSLock()
        var record: LeaseRecord
        var etag: String
        init(record: LeaseRecord, etag: String) {
            self.record = record
            self.etag = etag
        }
    }

    /// What the lease says now (as last written by this holder).
    public var record: LeaseRecord { state.lock.withLock { state.record } }

    /// The record of an expired lease this acquisition took over (a holder that died: prune reads its intent).
    public let previous: LeaseRecord?

    private init(store: BucketStore, name: String, ttl: Duration, record: LeaseRecord, etag: String,
                 serverBase: Date, clockBase: ContinuousClock.Instant, previous: LeaseRecord?) {
        self.store = store
        self.name = name
        self.ttl = ttl
        self.serverBase = serverBase
        self.clockBase = clockBase
        self.previous = previous
        state = LockedState(record: record, etag: etag)
    }

    /// The store key of a lease.
    public static func key(name: String) -> String { "leases/\(name).json" }

    /// Whether `name` may name a lease: the characters of target names (a prune lease embeds one).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 200 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// Acquires the lease `name` for `ttl`: PUT with `If-None-Match: *`; on 412 GET it, and if it has expired by the
    /// server's `Date`, take it over with `If-Match` of the ETag just read (exactly one of two contenders wins).
    /// - Throws: ``LeaseHeld`` when another holder's lease is live (or won the takeover); ``S3Error`` otherwise.
    public static func acquire(_ store: BucketStore, name: String, purpose: String, ttl: Duration,
                               body extra: [String: String]? = nil) async throws -> BucketLease {
        precondition(isValidName(name), "lease names are letters, digits, '-', '_' and '.'")
        let fullKey = store.key(key(name: name))
        let serverBase = try await store.client.serverDate(bucket: store.bucket)
        let clockBase = ContinuousClock.now
        let holder = "\(ProcessInfo.processInfo.hostName):\(SystemIO.currentProcessID):\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        func record() -> LeaseRecord {
            let now = serverBase.addingTimeInterval((ContinuousClock.now - clockBase).seconds)
            return LeaseRecord(holder: holder, host: ProcessInfo.processInfo.hostName, pid: SystemIO.currentProcessID, purpose: purpose,
                               acquiredAt: now, expiresAt: now.addingTimeInterval(ttl.seconds), extra: extra ?? [:])
        }
        func made(_ r: LeaseRecord, _ etag: String, previous: LeaseRecord?) -> BucketLease {
            BucketLease(store: store, name: name, ttl: ttl, record: r, etag: etag, serverBase: serverBase, clockBase: clockBase, previous: previous)
        }
        // A lease deleted between the 412 and the GET: try to create it again, a few times.
        for _ in 0..<4 {
            let fresh = record()
            if case .written(let etag) = try await store.client.putObject(bucket: store.bucket, key: fullKey, bytes: fresh.json(),
                                                                           contentType: "application/json", condition: .ifNoneMatch) {
                return made(fresh, etag, previous: nil)
            }
            guard let current = try await store.getIfPresent(fullKey) else { continue }
            let held = LeaseRecord(json: current.bytes)
            let serverNow = current.serverDate ?? serverBase.addingTimeInterval((ContinuousClock.now - clockBase).seconds)
            if let held, held.expiresAt > serverNow {
                throw LeaseHeld(name: name, store: store.description, record: held)
            }
            // Expired (or not a lease at all): take it over, only if nobody else changed it since the GET.
            let takeover = record()
            switch try await store.client.putObject(bucket: store.bucket, key: fullKey, bytes: takeover.json(),
                                                    contentType: "application/json", condition: .ifMatch(current.etag)) {
            case .written(let etag):
                return made(takeover, etag, previous: held)
            case .preconditionFailed:
                // Someone else took it over (or released it) first: see who.
                continue
            }
        }
        throw BucketStoreError("lease \(name) of \(store.description) kept changing while it was taken (other processes taking and releasing it in a loop?); try again")
    }

    /// The server's clock now, estimated from the one read at acquisition and the monotonic clock since.
    var serverNow: Date { serverBase.addingTimeInterval((ContinuousClock.now - clockBase).seconds) }

    /// Renews the lease for another `ttl`, with `If-Match` of this holder's last ETag; `extra`, when given, replaces
    /// the extra fields (prune writes its intent this way).
    /// - Throws: ``BucketLeaseLost`` when it was taken over (412): stop writing at once.
    public func renew() async throws { try await renew(extra: nil) }

    /// ``renew()`` with new extra fields.
    public func renew(extra: [String: String]?) async throws {
        let (old, etag) = state.lock.withLock { (state.record, state.etag) }
        var next = old
        let now = serverNow
        next.acquiredAt = LeaseRecord.milliseconds(now)
        next.expiresAt = LeaseRecord.milliseconds(now.addingTimeInterval(ttl.seconds))
        if let extra { next.extra = extra }
        let fullKey = store.key(Self.key(name: name))
        switch try await store.client.putObject(bucket: store.bucket, key: fullKey, bytes: next.json(),
                                                contentType: "application/json", condition: .ifMatch(etag)) {
        case .written(let newETag):
            state.lock.withLock {
                state.record = next
                state.etag = newETag
            }
        case .preconditionFailed:
            let current = try? await store.getIfPresent(fullKey).flatMap { LeaseRecord(json: $0.bytes) }
            throw BucketLeaseLost(name: name, store: store.description, current: current)
        }
    }

    /// Deletes the lease if it is still this holder's (GET and compare, then DELETE: `If-Match` on DELETE is not
    /// portable). Returns false when it was not ours any more (taken over) or already gone.
    @discardableResult
    public func release() async throws -> Bool {
        let fullKey = store.key(Self.key(name: name))
        let holder = record.holder
        guard let current = try await store.getIfPresent(fullKey), LeaseRecord(json: current.bytes)?.holder == holder else { return false }
        try await store.client.deleteObject(bucket: store.bucket, key: fullKey)
        return true
    }

    /// Whether renewing is due: a third of the lifetime has passed since the last acquire or renew.
    public var renewalDue: Bool {
        let r = record
        return serverNow >= r.acquiredAt.addingTimeInterval(ttl.seconds / 3)
    }

    /// Reads the lease `name` without taking it: nil when there is none; with the server's clock of the answer.
    public static func read(_ store: BucketStore, name: String) async throws -> (record: LeaseRecord?, serverDate: Date?)? {
        guard let object = try await store.getIfPresent(store.key(key(name: name))) else { return nil }
        return (LeaseRecord(json: object.bytes), object.serverDate)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
