import ArgumentParser
import SnapshotStore

extension GBSnapCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot's artifacts as plain files (open them with go tool pprof).")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selector.") var selector: String
        @Option(name: [.short, .long], help: "Folder to write into (created if missing).") var output: String

        func run() async throws {
            try await reportingFailures {
                let store = try storeOptions.open(create: false)
                for path in try store.export(try store.resolve(selector), to: output) { print(path) }
            }
        }
    }
}
