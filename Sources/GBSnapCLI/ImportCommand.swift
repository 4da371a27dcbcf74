import ArchiveIO
import ArgumentParser
import Foundation
import GBSnapCore
import SnapshotStore

extension GBSnapCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive existing profiles, goroutine dumps, traces or expvar JSON as one snapshot.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Files to import (.pb.gz, .pb, debug=1/2 text, vars JSON, trace).") var files: [String]
        @Option(help: "Target name the snapshot belongs to.") var target: String
        @Option(help: "Kind of every file (detected per file when omitted).") var kind: String?
        @Option(name: .customLong("taken-at"), help: "When the data was taken (ISO 8601; default now).") var takenAt: String?
        @Option(name: .customLong("label"), help: "A label key=value (repeatable).") var labels: [String] = []
        @Flag(help: "Print the catalog entry as JSON.") var json = false

        func run() async throws {
            let forcedKind = try kind.map { try CaptureKind(userName: CLIParsing.kindName($0))! }
            let time = try takenAt.map { try CLIParsing.time($0, option: "--taken-at") } ?? Date()
            let labelMap = try CLIParsing.labels(labels)
            try await reportingFailures {
                let importFiles = try files.map { path in
                    if let forcedKind { return ImportFile(path: path, kind: forcedKind) }
                    // Text kinds are recognised from their first bytes; only profiles (which
                    // must be decoded to tell heap from allocs) are read whole.
                    let head: [UInt8]
                    do {
                        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                        defer { try? handle.close() }
                        let prefix = Array(try handle.read(upToCount: 4096) ?? Data())
                        head = Gzip.hasGzipMagic(prefix) || prefix.first == 0x0A
                            ? try SystemIO.readFile(path, limit: 256 << 20) : prefix
                    } catch {
                        throw ArtifactSniffer.Unrecognised(path: path, reason: "cannot be read (\(error))")
                    }
                    return ImportFile(path: path, kind: try ArtifactSniffer.kind(of: head, path: path))
                }
                let entry = try storeOptions.open(create: true).importFiles(importFiles, target: target, labels: labelMap, takenAt: time)
                if json { try Console.printJSON(entry) } else { print(entry.id) }
            }
        }
    }
}
