import ArgumentParser
import SnapshotStore

extension GBSnapCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot's artifacts as plain files (open them with go tool pprof).",
            discussion: "All files appear at once or not at all; existing files are never overwritten without --force.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selector.") var selector: String
        @Option(name: [.short, .long], help: "Folder to write into (created if missing).") var output: String
        @Flag(help: "Overwrite files of the same name already in the folder.") var force = false

        func run() async throws {
            try await reportingFailures {
                try await storeOptions.withSnapshot(selector) { fetched in
                    for path in try fetched.store.export(fetched.snapshot, to: output, overwrite: force) { print(path) }
                }
            }
        }
    }
}
