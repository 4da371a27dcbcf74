import ArgumentParser
import SnapshotStore

extension GBSnapCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check archives against the catalog and their manifests (all of them when no selector is given).")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selectors; none means the whole store.") var selectors: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let store = try storeOptions.open(create: false)
                var selection: [ResolvedSnapshotOrEntry]?
                if !selectors.isEmpty {
                    selection = try selectors.map { sel in
                        let s = try store.resolve(sel)
                        return s.entry.map { .entry($0) } ?? .archive(s.archivePath)
                    }
                }
                let report = store.verify(selection)
                if json {
                    try Console.printJSON(report)
                } else {
                    for p in report.problems { print("BAD  \(p.message)") }
                    print(report.isHealthy ? "verified \(report.checked) snapshot(s): all good"
                          : "verified \(report.checked) snapshot(s): \(report.problems.count) problem(s)")
                }
                if !report.isHealthy { throw ExitCode(1) }
            }
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild the catalog from the archives' manifests.")

        @OptionGroup var storeOptions: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let report = try storeOptions.open(create: false).reindex()
                if json {
                    try Console.printJSON(report)
                } else {
                    for p in report.skipped { Console.warning(p.message) }
                    print("reindexed \(report.snapshots) snapshot(s) of \(report.targets) target(s)")
                }
            }
        }
    }
}
