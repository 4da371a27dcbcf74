import ArchiveIO
import ArgumentParser
import BucketStore
import Foundation
import GBSnapCore
import Profiles
import SnapshotStore

extension GBSnapCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive existing profiles, goroutine dumps, traces or expvar JSON as one snapshot.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Files to import (.pb.gz, .pb, debug=1/2 text, vars JSON, trace).") var files: [String]
        @Option(help: "Target name the snapshot belongs to.") var target: String
        @Option(help: "Kind of every file (detected per file when omitted).", transform: CaptureKind.parse) var kind: CaptureKind?
        @Option(name: .customLong("taken-at"), help: ArgumentHelp("When the data was taken (ISO 8601; default now).", valueName: "time"),
                transform: TimeArgument.parse)
        var takenAt: TimeArgument?
        @Option(name: .customLong("label"), help: ArgumentHelp("A label key=value (repeatable).", valueName: "k=v"), transform: LabelArgument.parse)
        var labels: [LabelArgument] = []
        @Flag(help: "Print the catalog entry as JSON.") var json = false

        func run() async throws {
            let time = takenAt?.date() ?? Date()
            try await reportingFailures {
                let importFiles = try files.map { path in
                    if let kind { return ImportFile(path: path, kind: kind) }
                    // Text kinds are recognised from their first bytes; only profiles (which
                    // must be decoded to tell heap from allocs) are read whole.
                    let head: [UInt8]
                    do {
                        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                        defer { try? handle.close() }
                        let prefix = Array(try handle.read(upToCount: ArtifactSniffer.prefixBytes) ?? Data())
                        head = Gzip.hasGzipMagic(prefix) || prefix.first == 0x0A
                            ? try SystemIO.readFile(path, limit: 256 << 20) : prefix
                    } catch {
                        throw ImportReadError(path: path, underlying: error)
                    }
                    return ImportFile(path: path, kind: try Self.kind(of: head, path: path))
                }
                let entry: CatalogEntry
                if AnyStore.isBucket(storeOptions.storeRoot) {
                    entry = try await importIntoBucket(importFiles, time: time)
                } else {
                    entry = try storeOptions.open(create: true).importFiles(importFiles, target: target, labels: labels.map, takenAt: time)
                }
                if json { try Console.printJSON(entry) } else { print(entry.id) }
            }
        }
    }
}

extension GBSnapCommand.Import {
    /// Builds the snapshot in a scratch store in the temp folder, then stores it in the bucket like a capture: the
    /// archive, then its record.
    func importIntoBucket(_ files: [ImportFile], time: Date) async throws -> CatalogEntry {
        let scratch = NSTemporaryDirectory() + "gbsnap-import-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try await storeOptions.withAnyStore { store in
            guard case .bucket(let bucket) = store else { throw StoreError(.invalidInput, "store \(store.name) is not a bucket") }
            try await bucket.checkAccess()
            let staging = try SnapshotStore(root: scratch, create: true)
            let entry = try staging.importFiles(files, target: target, labels: labels.map, takenAt: time)
            try await bucket.put(archiveAt: staging.path(forKey: entry.key), entry: entry)
            return entry
        }
    }

    /// The capture kind of a file, from what ``ArtifactSniffer`` recognises in it.
    static func kind(of bytes: [UInt8], path: String) throws(ArtifactSniffer.Unrecognised) -> CaptureKind {
        switch try ArtifactSniffer.recognise(bytes, path: path) {
        case .goroutineText: return .goroutineText
        case .goroutineStacks: return .stacks
        case .trace: return .trace
        case .expvar: return .vars
        case .profile(let profile):
            if let name = ArtifactSniffer.goProfileName(profile), let kind = CaptureKind(rawValue: name) { return kind }
            let types = profile.sampleTypes.map(\.type)
            if types.contains("contentions") && types.contains("delay") {
                throw ArtifactSniffer.Unrecognised(path: path, reason: "a block or mutex profile (both have contentions/delay samples); say which with --kind block or --kind mutex")
            }
            throw ArtifactSniffer.Unrecognised(path: path, reason: "a pprof profile with sample types \(types.joined(separator: ", ")), which gbsnap does not recognise; give --kind")
        }
    }
}

/// A file given to `gbsnap import` that cannot be read; the system's error is kept, not only quoted.
struct ImportReadError: Error, CustomStringConvertible {
    var path: String
    var underlying: any Error
    var description: String { "\(path): cannot be read (\(underlying))" }
}
