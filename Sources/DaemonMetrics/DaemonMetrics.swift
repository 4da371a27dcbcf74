import Foundation
import Prometheus
import Synchronization

/// How one artifact of a capture went (the `status` label of `gbsnap_captures_total`).
public enum CaptureStatus: String, Sendable, Hashable, CaseIterable {
    /// Captured and stored as asked.
    case ok
    /// The capture failed; nothing was stored.
    case failed
    /// Deliberately not taken (the safety governor).
    case skipped
    /// A cheaper kind was taken instead (the safety governor).
    case downgraded
    /// The target does not serve this kind (not a failure).
    case unsupported
}

/// The daemon's metrics: a facade over one `PrometheusCollectorRegistry` owned by this instance
/// (never the process-global one, so several daemons can run in one test process).
///
/// Every call is cheap and thread-safe (a lock and a dictionary lookup). Series are created on
/// first use; once ``retainTargets(_:)`` has named the configured targets, calls about any other
/// target are ignored, so a capture finishing after its target was removed by a reload does not
/// bring its series back.
public final class DaemonMetrics: Sendable {
    /// The registry the exposition is rendered from.
    public let registry = PrometheusCollectorRegistry()
    /// The daemon's liveness and store health, behind `GET /healthz`.
    public let health: HealthMonitor

    private struct CaptureKey: Hashable { let target: String, kind: String, status: CaptureStatus }
    private struct TriggerKey: Hashable { let rule: String, target: String, outcome: String? }

    private struct Series {
        var targets: Set<String>?
        var captures: [CaptureKey: Counter] = [:]
        var durations: [String: DurationHistogram] = [:]
        var sizes: [String: ValueHistogram] = [:]
        var lastSuccess: [String: (at: Double, gauge: Gauge)] = [:]
        var store: [String: (bytes: Int64, count: Int, bytesGauge: Gauge, countGauge: Gauge)] = [:]
        var retentionRemoved: [String: Counter] = [:]
        var triggerPolls: [TriggerKey: Counter] = [:]
        var triggerFirings: [TriggerKey: Counter] = [:]
        var reloads: [Bool: Counter] = [:]
        var retentionRuns: [Bool: Counter] = [:]
        var configInfo: (hash: String, gauge: Gauge)?
    }

    private let series = Mutex(Series())
    private let lateness: DurationHistogram
    private let retentionFreed: Counter
    private let configLoadedAt: Gauge
    private let storeWritable: Gauge

    /// A registry with the build info set; `staleHeartbeat` is how long the scheduler may go
    /// without ``HealthMonitor/heartbeat()`` before `/healthz` says it is stuck.
    public init(version: String, staleHeartbeat: Duration = HealthMonitor.defaultStaleAfter) {
        health = HealthMonitor(staleAfter: staleHeartbeat)
        let r = registry
        r.makeGauge(descriptor: MetricCatalog.buildInfo.descriptor, labels: [("version", version)]).set(1.0)
        lateness = r.makeDurationHistogram(descriptor: MetricCatalog.lateness.descriptor, buckets: MetricCatalog.latenessBuckets)
        retentionFreed = r.makeCounter(descriptor: MetricCatalog.retentionFreed.descriptor)
        configLoadedAt = r.makeGauge(descriptor: MetricCatalog.configLoaded.descriptor)
        storeWritable = r.makeGauge(descriptor: MetricCatalog.storeWritable.descriptor)
        // Both results exist from the start, so `rate()` and `increase()` see the first failure.
        for success in [true, false] {
            series.withLock { s in
                s.reloads[success] = r.makeCounter(descriptor: MetricCatalog.configReloads.descriptor, labels: [("result", Self.result(success))])
                s.retentionRuns[success] = r.makeCounter(descriptor: MetricCatalog.retentionRuns.descriptor, labels: [("result", Self.result(success))])
            }
        }
    }

    private static func result(_ success: Bool) -> String { success ? "success" : "failure" }

    // MARK: captures

    /// A capture began `lateness` after its planned start (negative counts as on time).
    public func captureStarted(lateness: Duration) {
        self.lateness.record(max(lateness, .zero))
    }

    /// One artifact of a capture of `target` finished: its kind (the name asked for), how it went,
    /// the time it took and the bytes stored (0 when nothing was).
    public func captureFinished(target: String, kind: String, status: CaptureStatus, duration: Duration, bytes: Int64) {
        let r = registry
        let handles: (Counter, DurationHistogram, ValueHistogram)? = series.withLock { s in
            guard s.targets?.contains(target) ?? true else { return nil }
            let key = CaptureKey(target: target, kind: kind, status: status)
            let counter = s.captures[key] ?? r.makeCounter(
                descriptor: MetricCatalog.captures.descriptor, labels: [("target", target), ("kind", kind), ("status", status.rawValue)])
            s.captures[key] = counter
            let duration = s.durations[kind] ?? r.makeDurationHistogram(
                descriptor: MetricCatalog.captureDuration.descriptor, labels: [("kind", kind)], buckets: MetricCatalog.durationBuckets)
            s.durations[kind] = duration
            let size = s.sizes[kind] ?? r.makeValueHistogram(
                descriptor: MetricCatalog.captureBytes.descriptor, labels: [("kind", kind)], buckets: MetricCatalog.byteBuckets)
            s.sizes[kind] = size
            return (counter, duration, size)
        }
        guard let (counter, durationHistogram, sizeHistogram) = handles else { return }
        counter.increment()
        durationHistogram.record(max(duration, .zero))
        if bytes > 0 { sizeHistogram.record(Double(bytes)) }
    }

    /// A snapshot of `target` was stored: `bytes` of archive; `hasData` when it stored at least one
    /// artifact (then `takenAt` becomes the target's last success, if newer).
    public func snapshotStored(target: String, takenAt: Date, bytes: Int64, hasData: Bool) {
        series.withLock { s in
            guard s.targets?.contains(target) ?? true else { return }
            let current = s.store[target]
            setStore(&s, target: target, bytes: (current?.bytes ?? 0) + bytes, count: (current?.count ?? 0) + 1)
            if hasData { setLastSuccess(&s, target: target, at: takenAt) }
        }
    }

    /// The store holds `count` snapshots of `target` in `bytes` (an absolute figure, e.g. from the
    /// catalog at start); `lastSuccess` is the newest snapshot with data, if any.
    public func storeSnapshot(target: String, bytes: Int64, count: Int, lastSuccess: Date? = nil) {
        series.withLock { s in
            guard s.targets?.contains(target) ?? true else { return }
            setStore(&s, target: target, bytes: bytes, count: count)
            if let lastSuccess { setLastSuccess(&s, target: target, at: lastSuccess) }
        }
    }

    private func setStore(_ s: inout Series, target: String, bytes: Int64, count: Int) {
        let bytesGauge = s.store[target]?.bytesGauge ?? registry.makeGauge(
            descriptor: MetricCatalog.storeBytes.descriptor, labels: [("target", target)])
        let countGauge = s.store[target]?.countGauge ?? registry.makeGauge(
            descriptor: MetricCatalog.storeSnapshots.descriptor, labels: [("target", target)])
        let (b, c) = (max(0, bytes), max(0, count))
        bytesGauge.set(Double(b))
        countGauge.set(Double(c))
        s.store[target] = (b, c, bytesGauge, countGauge)
    }

    private func setLastSuccess(_ s: inout Series, target: String, at date: Date) {
        let seconds = date.timeIntervalSince1970
        if let current = s.lastSuccess[target], current.at >= seconds { return }
        let gauge = s.lastSuccess[target]?.gauge ?? registry.makeGauge(
            descriptor: MetricCatalog.lastSuccess.descriptor, labels: [("target", target)])
        gauge.set(seconds)
        s.lastSuccess[target] = (seconds, gauge)
    }

    // MARK: store and retention

    /// Retention removed `count` snapshots (`bytes` of archives) of `target`.
    public func retentionRemoved(target: String, count: Int, bytes: Int64 = 0) {
        guard count > 0 else { return }
        retentionFreed.increment(by: Int64(max(0, bytes)))
        let counter: Counter? = series.withLock { s in
            guard s.targets?.contains(target) ?? true else { return nil }
            if let current = s.store[target] {
                setStore(&s, target: target, bytes: current.bytes - bytes, count: current.count - count)
            }
            let counter = s.retentionRemoved[target] ?? registry.makeCounter(
                descriptor: MetricCatalog.retentionRemoved.descriptor, labels: [("target", target)])
            s.retentionRemoved[target] = counter
            return counter
        }
        counter?.increment(by: Int64(count))
    }

    /// A retention run finished (or failed).
    public func retentionRun(success: Bool) {
        series.withLock { $0.retentionRuns[success] }?.increment()
    }

    /// The result of a store write probe.
    public func storeProbed(writable: Bool) {
        storeWritable.set(writable ? 1.0 : 0.0)
    }

    // MARK: config

    /// A config was loaded, at start or by a reload: its file's sha256 becomes `gbsnap_config_info`.
    public func configLoaded(hash: String, at date: Date = Date()) {
        configLoadedAt.set(date.timeIntervalSince1970)
        let r = registry
        series.withLock { s in
            guard s.configInfo?.hash != hash else { return }
            if let old = s.configInfo { r.unregisterGauge(old.gauge) }
            let gauge = r.makeGauge(descriptor: MetricCatalog.configInfo.descriptor, labels: [("sha256", hash)])
            gauge.set(1.0)
            s.configInfo = (hash, gauge)
        }
    }

    /// A reload (SIGHUP) finished; on success `hash` is the new config's sha256.
    public func configReloaded(success: Bool, hash: String?) {
        series.withLock { $0.reloads[success] }?.increment()
        if success, let hash { configLoaded(hash: hash) }
    }

    /// The configured targets: series of every other target are dropped now, and calls about
    /// them are ignored from now on (this bounds the cardinality by the config).
    public func retainTargets(_ targets: Set<String>) {
        let r = registry
        series.withLock { s in
            s.targets = targets
            for (key, counter) in s.captures where !targets.contains(key.target) {
                r.unregisterCounter(counter)
                s.captures[key] = nil
            }
            for (target, value) in s.lastSuccess where !targets.contains(target) {
                r.unregisterGauge(value.gauge)
                s.lastSuccess[target] = nil
            }
            for (target, value) in s.store where !targets.contains(target) {
                r.unregisterGauge(value.bytesGauge)
                r.unregisterGauge(value.countGauge)
                s.store[target] = nil
            }
            for (target, counter) in s.retentionRemoved where !targets.contains(target) {
                r.unregisterCounter(counter)
                s.retentionRemoved[target] = nil
            }
            for (key, counter) in s.triggerPolls where !targets.contains(key.target) {
                r.unregisterCounter(counter)
                s.triggerPolls[key] = nil
            }
            for (key, counter) in s.triggerFirings where !targets.contains(key.target) {
                r.unregisterCounter(counter)
                s.triggerFirings[key] = nil
            }
        }
    }

    // MARK: triggers

    /// A trigger rule polled its signal on `target`; `outcome` is a small fixed word (e.g. `ok`,
    /// `failed`, `fired`), never free text, so the label stays bounded.
    public func triggerPolled(rule: String, target: String, outcome: String) {
        let counter: Counter? = series.withLock { s in
            guard s.targets?.contains(target) ?? true else { return nil }
            let key = TriggerKey(rule: rule, target: target, outcome: outcome)
            let counter = s.triggerPolls[key] ?? registry.makeCounter(
                descriptor: MetricCatalog.triggerPolls.descriptor, labels: [("rule", rule), ("target", target), ("outcome", outcome)])
            s.triggerPolls[key] = counter
            return counter
        }
        counter?.increment()
    }

    /// A trigger rule fired on `target` (a snapshot is taken).
    public func triggerFired(rule: String, target: String) {
        let counter: Counter? = series.withLock { s in
            guard s.targets?.contains(target) ?? true else { return nil }
            let key = TriggerKey(rule: rule, target: target, outcome: nil)
            let counter = s.triggerFirings[key] ?? registry.makeCounter(
                descriptor: MetricCatalog.triggerFirings.descriptor, labels: [("rule", rule), ("target", target)])
            s.triggerFirings[key] = counter
            return counter
        }
        counter?.increment()
    }

    // MARK: exposition

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(registry.internalBufferCapacity())
        registry.emit(into: &buffer)
        return buffer
    }
}
