import ArgumentParser
import BucketStore
import SnapshotStore

extension GBSnapCommand {
    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pin a snapshot so retention never removes it.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selector.") var selector: String
        @Option(help: "Why it is kept (shown by list).") var note: String?

        func run() async throws {
            try await reportingFailures {
                let id = try await storeOptions.withAnyStore { try await $0.pin(selector, note: note) }
                print("pinned \(id)")
            }
        }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unpin a snapshot.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selector.") var selector: String

        func run() async throws {
            try await reportingFailures {
                let (id, wasPinned) = try await storeOptions.withAnyStore { try await $0.unpin(selector) }
                print(wasPinned ? "unpinned \(id)" : "\(id) was not pinned")
            }
        }
    }
}
