import ArgumentParser
import BucketStore
import Config
import Diff
import Foundation
import GBSnapCore
import Scheduling
import SnapshotStore
import Units

extension GBSnapCommand {
    /// `gbsnap status [--config F] [--json]`: per target the last snapshot and the next planned capture, from the store.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each target's last snapshot, its next planned capture, and whether a daemon serves the store.",
            discussion: """
                Reads the store (and the config for the targets and their schedules); needs no running daemon. \
                Exit 1 when a target's last capture failed, when it has no snapshot, or when its last snapshot is \
                older than twice the period of its most frequent schedule, so it can serve as a check command \
                (Nagios-style, a systemd timer, a CI step). Without --config every target the store has is listed and \
                only failures count. See docs/operations.md.
                """)

        @Option(help: "The config file: its targets, schedules and store:.") var config: String?
        @OptionGroup var storeOptions: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let loaded = try config.map(ConfigLoading.load)
                let root = storeOptions.location(config: loaded?.store).root
                let now = Date()
                let report: StatusReport
                if AnyStore.isBucket(root) {
                    let bucket = try BucketStore.open(root, environment: ProcessInfo.processInfo.environment, settings: loaded?.s3 ?? .init())
                    do {
                        report = try await StatusReport.compute(bucket: bucket, config: loaded, now: now)
                        await bucket.shutdown()
                    } catch {
                        await bucket.shutdown()
                        throw error
                    }
                } else {
                    let store = try SnapshotStore(root: root, create: false)
                    report = try await StatusReport.compute(storeName: store.root, serving: StatusReport.daemons(serving: store.root),
                                                            targets: { try store.targets() }, entries: { try store.list(ListFilter(target: $0)) },
                                                            config: loaded, now: now)
                }
                if json {
                    try Console.printJSON(report)
                } else {
                    print(report.text(now: now), terminator: "")
                }
                if !report.healthy { throw ExitCode(1) }
            }
        }
    }
}

/// What `gbsnap status` reports: the daemon holding the store, and one row per target.
struct StatusReport: Encodable {
    var store: String
    /// The pid of the daemon holding `daemon.lock` (or the first shard's), nil when none does.
    var daemonPID: Int32?
    var daemonRunning: Bool
    /// Every daemon serving the store: one without a shard, or one per running shard (`0/3`).
    var daemons: [ServingDaemon] = []

    struct ServingDaemon: Encodable {
        var shard: String?
        var pid: Int32?
        /// The host, for a daemon on a bucket (its lease says where it runs); nil on a local store.
        var host: String?
    }
    var targets: [Row]
    var healthy: Bool { targets.allSatisfy { $0.problem == nil } }

    struct Row: Encodable {
        var target: String
        var lastID: String?
        var lastTakenAt: Date?
        var lastStatus: String?
        var failedKinds: [String]
        var nextCapture: Date?
        var nextSchedule: String?
        /// Twice the period of the target's most frequent schedule: a last snapshot older than this is stale.
        var staleAfterSeconds: Double?
        /// Why the target needs attention, or nil.
        var problem: String?

        enum CodingKeys: String, CodingKey {
            case target, problem
            case lastID = "last_id", lastTakenAt = "last_taken_at", lastStatus = "last_status", failedKinds = "failed_kinds"
            case nextCapture = "next_capture", nextSchedule = "next_schedule", staleAfterSeconds = "stale_after_seconds"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(target, forKey: .target)
            try c.encode(lastID, forKey: .lastID)
            try c.encode(lastTakenAt.map(SnapshotDiffReport.formatTime), forKey: .lastTakenAt)
            try c.encode(lastStatus, forKey: .lastStatus)
            try c.encode(failedKinds, forKey: .failedKinds)
            try c.encode(nextCapture.map(SnapshotDiffReport.formatTime), forKey: .nextCapture)
            try c.encode(nextSchedule, forKey: .nextSchedule)
            try c.encode(staleAfterSeconds, forKey: .staleAfterSeconds)
            try c.encode(problem, forKey: .problem)
        }
    }

    enum CodingKeys: String, CodingKey {
        case store, targets, healthy
        case daemonPID = "daemon_pid", daemonRunning = "daemon_running", daemons
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(store, forKey: .store)
        try c.encode(daemonRunning, forKey: .daemonRunning)
        try c.encode(daemonPID, forKey: .daemonPID)
        try c.encode(daemons, forKey: .daemons)
        try c.encode(healthy, forKey: .healthy)
        try c.encode(targets, forKey: .targets)
    }

    /// The report on a bucket: the daemons are the live daemon leases, the rows each target's catalog.
    static func compute(bucket: BucketStore, config: ConfigFile?, now: Date) async throws -> StatusReport {
        let serving = try await bucket.daemonLeases().map { lease in
            ServingDaemon(shard: Shard(daemonLockName: lease.name + ".lock")?.description, pid: lease.record.pid, host: lease.record.host)
        }
        return try await compute(storeName: bucket.description, serving: serving, targets: { try await bucket.targets() },
                                 entries: { try await bucket.entries(target: $0) }, config: config, now: now)
    }

    static func compute(storeName: String, serving: [ServingDaemon], targets: () async throws -> [String],
                        entries: (String) async throws -> [CatalogEntry], config: ConfigFile?, now: Date) async throws -> StatusReport {
        let (running, pid) = (!serving.isEmpty, serving.first?.pid)
        let names = if let config { config.targets.map(\.name) } else { try await targets() }
        // The next firing per target, from the same planner as `gbsnap schedule` and the daemon.
        var periods: [String: Double] = [:]
        var horizon = now.addingTimeInterval(3600)
        for s in config?.schedules ?? [] {
            guard let t1 = s.cron.next(after: now, in: s.timeZone), let t2 = s.cron.next(after: t1, in: s.timeZone) else { continue }
            let period = t2.timeIntervalSince(t1)
            for t in s.targets { periods[t] = min(periods[t] ?? .infinity, period) }
            horizon = max(horizon, t2.addingTimeInterval(Double(s.stagger.components.seconds) + 1))
        }
        var next: [String: PlannedCapture] = [:]
        for c in config?.planner().plan(from: now, until: horizon) ?? [] where next[c.target] == nil { next[c.target] = c }

        var rows: [Row] = []
        for name in names {
            let last = try await entries(name).max { $0.takenAt < $1.takenAt }
            var row = Row(target: name, lastID: last?.id, lastTakenAt: last?.takenAt, lastStatus: last?.status.rawValue,
                          failedKinds: last?.failedKinds ?? [], nextCapture: next[name]?.plannedStart,
                          nextSchedule: next[name]?.schedule, staleAfterSeconds: periods[name].map { $0 * 2 })
            if let last {
                if last.status == .failed {
                    row.problem = "the last capture failed (\(last.failedKinds.joined(separator: ", "))); gbsnap show \(last.id) says why"
                } else if let stale = row.staleAfterSeconds, now.timeIntervalSince(last.takenAt) > stale {
                    row.problem = "the last snapshot is \(age(now.timeIntervalSince(last.takenAt))) old, more than twice its schedule's period"
                        + (running ? "" : "; no daemon serves the store")
                }
            } else if config != nil {
                row.problem = "no snapshot yet" + (running ? "" : "; no daemon serves the store (gbsnap run --config …)")
            }
            rows.append(row)
        }
        return StatusReport(store: storeName, daemonPID: pid, daemonRunning: running, daemons: serving, targets: rows)
    }

    /// The daemons holding `<store>/daemon.lock` or a shard's `daemon-shard-I-of-N.lock`, shard order.
    static func daemons(serving root: String) -> [ServingDaemon] {
        var found: [ServingDaemon] = []
        if case (true, let pid) = daemon(holding: "\(root)/\(Shard.daemonLockName(nil))") { found.append(ServingDaemon(shard: nil, pid: pid)) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let shard = Shard(daemonLockName: name), case (true, let pid) = daemon(holding: "\(root)/\(name)") else { continue }
            found.append(ServingDaemon(shard: shard.description, pid: pid))
        }
        return found.sorted { ($0.shard ?? "") < ($1.shard ?? "") }
    }

    /// Whether a daemon holds the lock file at `path`: a shared lock is refused while the daemon's exclusive one is held.
    /// The file is only opened when it exists, so status never writes to the store.
    static func daemon(holding path: String) -> (running: Bool, pid: Int32?) {
        guard SystemIO.fileSize(path) != nil else { return (false, nil) }
        do {
            guard let lock = try FileLock.acquire(path, mode: .shared, timeout: 0) else { return (true, FileLock.holderPID(path)) }
            lock.unlock()
        } catch {
            // Cannot open the lock file (a read-only copy of a store): no daemon can hold it through this path either.
        }
        return (false, nil)
    }

    static func age(_ seconds: Double) -> String { DurationParser.format(.seconds(Int64(max(0, seconds).rounded()))) }

    func text(now: Date) -> String {
        var out: String
        func holder(_ d: ServingDaemon) -> String { (d.host.map { "\($0) " } ?? "") + "pid \(d.pid.map(String.init) ?? "?")" }
        if daemons.contains(where: { $0.shard != nil }) {
            let list = daemons.map { d in (d.shard.map { "shard \($0) " } ?? "") + holder(d) }
            out = "daemons: \(list.joined(separator: ", ")) serve \(store)\n"
        } else if let d = daemons.first {
            out = "daemon: \(holder(d)) serves \(store)\n"
        } else {
            out = "daemon: none serves \(store)\n"
        }
        let rows = targets.map { r in
            [r.target,
             r.lastTakenAt.map { "\(SnapshotDiffReport.formatTime($0)) (\(Self.age(now.timeIntervalSince($0))) ago)" } ?? "-",
             (r.lastStatus ?? "-") + (r.failedKinds.isEmpty ? "" : " (failed: \(r.failedKinds.joined(separator: ",")))"),
             r.nextCapture.map { SnapshotDiffReport.formatTime($0) + (r.nextSchedule.map { " (\($0))" } ?? "") } ?? "-",
             r.problem.map { "ATTENTION: \($0)" } ?? "ok"]
        }
        out += Console.table(["TARGET", "LAST SNAPSHOT", "STATUS", "NEXT CAPTURE", "STATE"], rows)
        if !out.hasSuffix("\n") { out += "\n" }
        let bad = targets.filter { $0.problem != nil }.count
        out += bad == 0 ? "all \(targets.count) target\(targets.count == 1 ? "" : "s") ok\n"
            : "\(bad) of \(targets.count) target\(targets.count == 1 ? "" : "s") need attention\n"
        return out
    }
}
