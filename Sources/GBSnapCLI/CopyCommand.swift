import ArgumentParser
import BucketStore
import Foundation
import SnapshotStore
import Units

extension GBSnapCommand {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy snapshots between a local store and a bucket (either way, or between two of a kind), checking every archive's checksums.",
            discussion: """
                STORE is a directory or s3://BUCKET[/PREFIX] (endpoint and credentials from the AWS_* variables). \
                Without selectors every snapshot of --from is copied; snapshots --to already lists are skipped. An \
                archive is checked against its catalog entry and its manifest before --to records it, and it is listed \
                on --to only once it is complete there, so an interrupted copy leaves nothing half-written visible and \
                a re-run copies what is missing. A local --to is created if needed.
                """)

        @Option(help: ArgumentHelp("The store to copy from: a directory or s3://BUCKET[/PREFIX].", valueName: "store")) var from: String
        @Option(help: ArgumentHelp("The store to copy to: a directory or s3://BUCKET[/PREFIX].", valueName: "store")) var to: String
        @Argument(help: "Snapshot selectors (id, id prefix, TARGET@latest, TARGET@latest~N, TARGET@TIME); none means every snapshot.")
        var selectors: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let environment = ProcessInfo.processInfo.environment
                let source = try AnyStore.open(from, create: false, environment: environment)
                let destination: AnyStore
                do { destination = try AnyStore.open(to, create: true, environment: environment) } catch {
                    await source.shutdown()
                    throw error
                }
                let progress = StoreProgressLine("gbsnap copy: copying", quiet: json)
                let report: CopyReport
                do {
                    report = try await StoreCopy.copy(from: source, to: destination, selectors: selectors, progress: progress.callback)
                    progress.finish()
                    await source.shutdown()
                    await destination.shutdown()
                } catch {
                    progress.finish()
                    await source.shutdown()
                    await destination.shutdown()
                    throw error
                }
                for warning in report.warnings { Console.warning(warning) }
                if json {
                    try Console.printJSON(report)
                } else {
                    print(Self.summary(report))
                }
            }
        }

        /// `copied 3 snapshots (1.2MB), skipped 1 already there`.
        static func summary(_ r: CopyReport) -> String {
            "copied \(r.copied) snapshot\(r.copied == 1 ? "" : "s") (\(ValueFormatter.format(r.bytes, unit: "bytes"))), skipped \(r.skipped) already there"
        }
    }
}
