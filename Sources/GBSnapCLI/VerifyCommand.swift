import ArgumentParser
import BucketStore
import Foundation
import GBSnapCore
import SnapshotStore

extension GBSnapCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check archives against the catalog and their manifests (all of them when no selector is given).",
            discussion: "A path checks that file itself (e.g. a copy), not the stored archive of its snapshot. Exit 1 when anything is bad.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selectors or archive paths; none means the whole store.") var selectors: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let progress = StoreProgressLine("gbsnap verify: checking", quiet: json)
                let report: VerifyReport
                if AnyStore.isBucket(storeOptions.location.root) {
                    let scratch = NSTemporaryDirectory() + "gbsnap-verify-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
                    defer { try? FileManager.default.removeItem(atPath: scratch) }
                    report = try await storeOptions.withAnyStore { store in
                        guard case .bucket(let bucket) = store else { throw ExitCode(1) }
                        var selection: [CatalogEntry]?
                        if !selectors.isEmpty {
                            var list: [CatalogEntry] = []
                            for s in selectors { list.append(try await store.resolveEntry(s)) }
                            selection = list
                        }
                        defer { progress.finish() }
                        return try await bucket.verify(selection, scratch: scratch, progress: progress.callback)
                    }
                } else {
                    let store = try storeOptions.open(create: false)
                    var selection: [ResolvedSnapshotOrEntry]?
                    if !selectors.isEmpty {
                        selection = try selectors.map(store.verifySelection)
                    }
                    report = store.verify(selection, progress: progress.callback)
                }
                progress.finish()
                if json {
                    try Console.printJSON(report)
                } else {
                    for p in report.problems { print("BAD  \(p.description)") }
                    print(report.isHealthy ? "verified \(report.checked) snapshot(s): all good"
                          : "verified \(report.checked) snapshot(s): \(report.problems.count) problem(s)")
                }
                if !report.isHealthy { throw ExitCode(1) }
            }
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the catalog from the archives' manifests.",
            discussion: """
                Every archive is read through first. A damaged one is never listed: it is moved into the store's \
                quarantine/ folder (on a bucket: left in place) and reported on a BAD line, and the exit status is 1. \
                See docs/storage.md and, for a bucket, docs/s3.md.
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let progress = StoreProgressLine("gbsnap reindex: reading", quiet: json)
                defer { progress.finish() }
                if AnyStore.isBucket(storeOptions.storeRoot) {
                    let report = try await storeOptions.withAnyStore { store in
                        guard case .bucket(let bucket) = store else { preconditionFailure("an s3:// store opens as a bucket") }
                        return try await bucket.reindex(progress: progress.callback)
                    }
                    progress.finish()
                    if json {
                        try Console.printJSON(report)
                    } else {
                        for p in report.damaged + report.skipped { print("BAD  \(p.description)") }
                        var summary = "reindexed \(report.snapshots) snapshot(s) of \(report.targets) target(s)"
                        if !report.damaged.isEmpty { summary += "; left out \(report.damaged.count) damaged archive(s)" }
                        if !report.skipped.isEmpty { summary += "; left out \(report.skipped.count) misplaced archive(s)" }
                        print(summary)
                    }
                    if !report.isComplete { throw ExitCode(1) }
                    return
                }
                let report = try storeOptions.open(create: false).reindex(progress: progress.callback)
                progress.finish()
                if json {
                    try Console.printJSON(report)
                } else {
                    for p in report.quarantined + report.skipped { print("BAD  \(p.description)") }
                    var summary = "reindexed \(report.snapshots) snapshot(s) of \(report.targets) target(s)"
                    if !report.quarantined.isEmpty { summary += "; quarantined \(report.quarantined.count) damaged archive(s)" }
                    if !report.skipped.isEmpty { summary += "; left out \(report.skipped.count) misplaced archive(s)" }
                    print(summary)
                }
                if !report.isComplete { throw ExitCode(1) }
            }
        }
    }
}
