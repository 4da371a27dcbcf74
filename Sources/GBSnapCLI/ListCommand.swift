import ArgumentParser
import Foundation
import GBSnapCore
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
        @Option(help: "Only snapshots holding (or failing) this kind.") var kind: String?
        @Option(help: "Only snapshots taken at or after this ISO 8601 time.") var since: String?
        @Option(help: "Only snapshots taken at or before this ISO 8601 time.") var until: String?
        @Flag(help: "Only snapshots where some capture failed.") var failed = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let filter = ListFilter(target: target, kind: try kind.map(CLIParsing.kindName),
                                    since: try since.map { try CLIParsing.time($0, option: "--since") },
                                    until: try until.map { try CLIParsing.time($0, option: "--until") },
                                    failedOnly: failed)
            try await reportingFailures {
                let store = try storeOptions.open(create: false)
                // An unknown target is a mistake (exit 1, with the closest name), not an empty listing.
                if let target { _ = try store.entries(ofTarget: target, input: "--target \"\(target)\"") }
                let entries = try store.list(filter)
                let pins = try store.pins()
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
                     ByteCountText.format(e.bytes), e.status.rawValue + (e.failedKinds.isEmpty ? "" : " (failed: \(e.failedKinds.joined(separator: ",")))"),
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

/// Parsing of option values shared by several commands, with usage errors that name the option.
enum CLIParsing {
    static func time(_ text: String, option: String) throws -> Date {
        guard let date = Timestamp.parse(text) else {
            throw ValidationError("\(option) \"\(text)\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z")
        }
        return date
    }

    static func kindName(_ text: String) throws -> String {
        guard let kind = CaptureKind(userName: text) else {
            let names = CaptureKind.allCases.map(\.rawValue)
            let close = NameSuggestion.closest(text, in: names).map { "did you mean \"\($0)\"? " } ?? ""
            throw ValidationError("unknown kind \"\(text)\"; \(close)known kinds: \(names.joined(separator: ", "))")
        }
        return kind.rawValue
    }

    static func labels(_ pairs: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("--label \"\(pair)\" must look like key=value")
            }
            labels[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return labels
    }
}

/// Byte counts for people: `1.5 MiB`.
enum ByteCountText {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
