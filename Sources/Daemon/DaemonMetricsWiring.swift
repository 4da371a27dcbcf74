import Config
import DaemonMetrics
import Foundation
import Logging
import SnapshotStore
import Snapshotter

/// How the daemon's events become metrics: the translations from store and snapshot types to the
/// facade's plain values, kept here so the daemon's services each make one call.
extension DaemonMetrics {
    /// A snapshot was stored: each artifact's outcome, time and size, and the store totals.
    func recordSnapshot(_ taken: TakenSnapshot) {
        let entry = taken.entry
        for a in taken.artifacts {
            captureFinished(target: entry.target, kind: a.name, status: CaptureStatus(a.outcome), duration: a.duration, bytes: a.bytes)
        }
        snapshotStored(target: entry.target, takenAt: entry.takenAt, bytes: entry.bytes, hasData: entry.hasData)
    }

    /// Store totals and last successes of the configured targets from the whole catalog (at start).
    func seedStore(from entries: [CatalogEntry]) {
        var totals: [String: (bytes: Int64, count: Int, last: Date?)] = [:]
        for e in entries {
            var t = totals[e.target] ?? (0, 0, nil)
            t.bytes += e.bytes
            t.count += 1
            if e.hasData, t.last.map({ $0 < e.takenAt }) ?? true { t.last = e.takenAt }
            totals[e.target] = t
        }
        for (target, t) in totals { storeSnapshot(target: target, bytes: t.bytes, count: t.count, lastSuccess: t.last) }
    }

    /// A retention run removed these snapshots (per target, with their bytes).
    func recordPrune(_ result: PruneResult) {
        let removed = Set(result.removedIDs)
        var byTarget: [String: (count: Int, bytes: Int64)] = [:]
        for d in result.plan.decisions where removed.contains(d.id) {
            var t = byTarget[d.target] ?? (0, 0)
            t.count += 1
            t.bytes += d.bytes
            byTarget[d.target] = t
        }
        for (target, t) in byTarget { retentionRemoved(target: target, count: t.count, bytes: t.bytes) }
        retentionRun(success: true)
    }

    /// A loaded config: its hash, and its targets bound the per-target series.
    func configApplied(_ config: ConfigFile) {
        retainTargets(Set(config.targets.map(\.name)))
        configLoaded(hash: config.sha256)
    }
}

extension CaptureStatus {
    init(_ outcome: TakenSnapshot.Outcome) {
        switch outcome {
        case .ok: self = .ok
        case .failed: self = .failed
        case .skipped: self = .skipped
        case .downgraded: self = .downgraded
        case .unsupported: self = .unsupported
        }
    }
}

extension Daemon {
    /// The `/metrics` and `/healthz` listener of `metrics_listen`, bound; nil when it is not set.
    /// Its store probe runs on the store threads.
    static func metricsServer(config: ConfigFile, metrics: DaemonMetrics, snapshotter: Snapshotter, logger: Logger) async throws -> MetricsServer? {
        guard let address = config.metricsListen else { return nil }
        do {
            return try await MetricsServer.bind(host: address.host, port: address.port, metrics: metrics, probeStore: {
                do {
                    try await snapshotter.checkWritable()
                    return nil
                } catch {
                    return "\(error)"
                }
            }, logger: logger)
        } catch {
            throw DaemonError(.metricsUnavailable, underlying: error, "\(error)")
        }
    }

    /// Store totals from the catalog, read on the store threads; a catalog that cannot be read is logged.
    static func seedStoreMetrics(_ metrics: DaemonMetrics, snapshotter: Snapshotter, logger: Logger) async {
        do {
            metrics.seedStore(from: try await snapshotter.catalog())
        } catch {
            logger.error("cannot read the catalog for the store metrics; they start from zero", metadata: ["error": "\(error)"])
        }
    }
}
