import ArgumentParser
import Foundation
import GBSnapCore
import Retention
import SnapshotStore

extension GBSnapCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List snapshots from the catalog, oldest first.",
            discussion: """
                A --target the store has no snapshots of is an error (exit 1) that names the closest target the store \
                has, or lists them; filters that match nothing print "no snapshots" (exit 0).
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Only this target.") var target: String?
        @Option(help: "Only snapshots holding (or failing) this kind.", transform: CaptureKind.parse) var kind: CaptureKind?
        @Option(help: ArgumentHelp("Only snapshots taken at or after this ISO 8601 time.", valueName: "time"), transform: TimeArgument.parse)
        var since: TimeArgument?
        @Option(help: ArgumentHelp("Only snapshots taken at or before this ISO 8601 time.", valueName: "time"), transform: TimeArgument.parse)
        var until: TimeArgument?
        @Option(help: ArgumentHelp("Only snapshots of this schedule, or of the schedules a glob matches (nightly, manual, 'trigger/*').",
                                   valueName: "name"))
        var schedule: String?
        @Flag(help: "Only snapshots where some capture failed.") var failed = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let filter = ListFilter(target: target, kind: kind?.rawValue, since: since?.date(), until: until?.date(), failedOnly: failed,
                                    schedule: schedule.map(GlobPattern.init))
            try await reportingFailures {
                let (entries, pins) = try await storeOptions.withAnyStore { store in
                    // An unknown target is a mistake (exit 1, with the closest name), not an empty listing. Its
                    // entries are read once (on a bucket a read is many requests).
                    let entries = if let target {
                        try await store.entries(ofTarget: target, input: "--target \"\(target)\"").filter(filter.matches)
                    } else {
                        try await store.list(filter)
                    }
                    return (entries, try await store.pins())
                }
                if json {
                    try Console.printJSONArray(entries) { ListedSnapshot(entry: $0, pin: pins[$0.id]) }
                    return
                }
                if entries.isEmpty {
                    print("no snapshots")
                    return
                }
                let rows = entries.map { e in
                    [e.id, Timestamp.formatUTC(e.takenAt), e.schedule, e.kinds.joined(separator: ","),
                     ValueFormatter.format(e.bytes, unit: "bytes"), e.status.rawValue + (e.failedKinds.isEmpty ? "" : " (failed: \(e.failedKinds.joined(separator: ",")))"),
                     pins[e.id].map { "pinned" + ($0.note.map { ": \($0)" } ?? "") } ?? ""]
                }
                print(Console.table(["ID", "TAKEN (UTC)", "SCHEDULE", "KINDS", "SIZE", "STATUS", "PIN"], rows))
            }
        }
    }
}

/// A catalog entry with its pin, as `list --json` prints it.
struct ListedSnapshot: Encodable {
    var entry: CatalogEntry
    var pin: Pin?

    enum CodingKeys: String, CodingKey { case pinned, pinNote = "pin_note" }

    func encode(to encoder: any Encoder) throws {
        try entry.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pin != nil, forKey: .pinned)
        try c.encodeIfPresent(pin?.note, forKey: .pinNote)
    }
}
