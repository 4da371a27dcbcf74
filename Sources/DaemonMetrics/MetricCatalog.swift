import Prometheus

/// Every metric the daemon exposes: name, help text and label keys in one place (docs/operations.md
/// lists the same table). Names follow the Prometheus conventions: the `gbsnap_` prefix, base
/// units (seconds, bytes), `_total` on counters, `_info` on constant-1 info gauges.
///
/// Cardinality is bounded by the config: per-target series are at most targets × kinds × statuses,
/// histograms are per kind only, and the series of a target removed by a reload are dropped.
public enum MetricCatalog {
    /// One metric family.
    public struct Family: Sendable, Hashable {
        /// The exposition name.
        public let name: String
        /// The `# HELP` text.
        public let help: String
        /// Label keys, in the order they are emitted.
        public let labels: [String]

        /// The name and help text as swift-prometheus takes them.
        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
    }

    /// Per artifact of each capture: how it went.
    public static let captures = Family(
        name: "gbsnap_captures_total",
        help: "Artifacts captured, by target, kind and status (ok, failed, skipped, downgraded, unsupported).",
        labels: ["target", "kind", "status"])
    /// Time one artifact took to fetch (per kind; buckets in ``durationBuckets``).
    public static let captureDuration = Family(
        name: "gbsnap_capture_duration_seconds",
        help: "Time to fetch one artifact, by kind.",
        labels: ["kind"])
    /// Size of one stored artifact (per kind; buckets in ``byteBuckets``).
    public static let captureBytes = Family(
        name: "gbsnap_capture_bytes",
        help: "Size of one stored artifact, by kind.",
        labels: ["kind"])
    /// How late a capture started against its planned (staggered) start.
    public static let lateness = Family(
        name: "gbsnap_capture_start_lateness_seconds",
        help: "How long after its planned start a capture began.",
        labels: [])
    /// Time of the newest snapshot with data, per target.
    public static let lastSuccess = Family(
        name: "gbsnap_last_success_timestamp_seconds",
        help: "Time (seconds since the epoch) of the last snapshot of the target that stored data.",
        labels: ["target"])
    /// Bytes of archives in the store, per target.
    public static let storeBytes = Family(
        name: "gbsnap_store_bytes",
        help: "Bytes of the target's archives in the store.",
        labels: ["target"])
    /// Snapshots in the store, per target.
    public static let storeSnapshots = Family(
        name: "gbsnap_store_snapshots",
        help: "Snapshots of the target in the store.",
        labels: ["target"])
    /// Whether the last store write probe succeeded.
    public static let storeWritable = Family(
        name: "gbsnap_store_writable",
        help: "1 when the last write probe of the store succeeded, 0 when it failed.",
        labels: [])
    /// Snapshots removed by retention, per target.
    public static let retentionRemoved = Family(
        name: "gbsnap_retention_removed_snapshots_total",
        help: "Snapshots removed by retention, by target.",
        labels: ["target"])
    /// Bytes freed by retention.
    public static let retentionFreed = Family(
        name: "gbsnap_retention_freed_bytes_total",
        help: "Bytes of archives removed by retention.",
        labels: [])
    /// Retention runs by result.
    public static let retentionRuns = Family(
        name: "gbsnap_retention_runs_total",
        help: "Retention runs, by result (success, failure).",
        labels: ["result"])
    /// Trigger signal polls.
    public static let triggerPolls = Family(
        name: "gbsnap_trigger_polls_total",
        help: "Trigger signal polls, by rule, target and outcome.",
        labels: ["rule", "target", "outcome"])
    /// Trigger firings (each one takes a snapshot).
    public static let triggerFirings = Family(
        name: "gbsnap_trigger_firings_total",
        help: "Trigger firings, by rule and target.",
        labels: ["rule", "target"])
    /// Config reloads by result.
    public static let configReloads = Family(
        name: "gbsnap_config_reloads_total",
        help: "Config reloads (SIGHUP), by result (success, failure).",
        labels: ["result"])
    /// Time of the last successful load of the config.
    public static let configLoaded = Family(
        name: "gbsnap_config_last_load_success_timestamp_seconds",
        help: "Time (seconds since the epoch) the running config was loaded.",
        labels: [])
    /// The running config's hash, as a label of a constant 1.
    public static let configInfo = Family(
        name: "gbsnap_config_info",
        help: "The running config: sha256 of its file, value always 1.",
        labels: ["sha256"])
    /// The build, as a label of a constant 1.
    public static let buildInfo = Family(
        name: "gbsnap_build_info",
        help: "The gbsnap build: version, value always 1.",
        labels: ["version"])

    /// Every family, in the order of docs/operations.md.
    public static let all: [Family] = [
        captures, captureDuration, captureBytes, lateness, lastSuccess, storeBytes, storeSnapshots, storeWritable,
        retentionRemoved, retentionFreed, retentionRuns, triggerPolls, triggerFirings, configReloads, configLoaded,
        configInfo, buildInfo,
    ]

    /// Capture durations: 5 ms (an expvar page on loopback) to 10 min (a long cpu or trace capture).
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]

    /// Artifact sizes: 1 KiB to 1 GiB in powers of 4.
    public static let byteBuckets: [Double] = (0...10).map { Double(1024 << (2 * $0)) }

    /// Start lateness: 1 ms (on time) to 15 min (a queue behind the concurrency cap, a suspend).
    public static let latenessBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        .seconds(900),
    ]
}
