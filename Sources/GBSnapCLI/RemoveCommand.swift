import ArgumentParser
import BucketStore
import SnapshotStore
import Units

extension GBSnapCommand {
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove snapshots from the store and the catalog (crash-safe, like prune).",
            discussion: """
                Works on damaged snapshots too (the archive is not read). Pinned snapshots are refused \
                unless --force, which also drops their pins. Nothing is removed if any selector fails.
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selectors (ids, id prefixes, TARGET@latest, ...).") var selectors: [String]
        @Flag(help: "Remove pinned snapshots too.") var force = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let result: RemoveResult
                if AnyStore.isBucket(storeOptions.storeRoot) {
                    result = try await storeOptions.withAnyStore { store in
                        guard case .bucket(let bucket) = store else { preconditionFailure("an s3:// store opens as a bucket") }
                        var entries: [CatalogEntry] = []
                        for selector in selectors { entries.append(try await bucket.resolveEntry(selector)) }
                        let progress = StoreProgressLine("gbsnap rm: removing", quiet: json)
                        defer { progress.finish() }
                        return try await bucket.removeSnapshots(entries, force: force, progress: progress.callback)
                    }
                } else {
                    let store = try storeOptions.open(create: false)
                    let entries = try selectors.map { try store.catalogEntry(for: $0) }
                    result = try store.removeSnapshots(entries, force: force)
                }
                if json {
                    try Console.printJSON(result)
                } else {
                    for id in result.removedIDs { print("removed \(id)\(result.unpinnedIDs.contains(id) ? " (was pinned)" : "")") }
                    print("removed \(result.removedIDs.count) snapshot(s), freed \(ValueFormatter.format(result.bytesFreed, unit: "bytes"))")
                }
            }
        }
    }
}
