import ArgumentParser
import BucketStore
import Config
import Diff
import Foundation
import GBSnapCore
import SnapshotStore

// What the subcommands share: the store option, failure reporting, output, config loading. Typed option values are
// in ArgumentValues.swift.

/// `--store DIR` (env `GBSNAP_STORE`, else a config's `store:` where the command reads one, else `./storage`), shared
/// by every command that reads or writes snapshots, the daemon included. The precedence is ``StoreLocation``'s.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Store root directory, or s3://BUCKET[/PREFIX] for a bucket (docs/s3.md; env GBSNAP_STORE; default: the --config file's store: where a command reads one, else ./storage).",
        valueName: "dir"))
    var store: String?

    /// The store named by `--store` or `GBSNAP_STORE`, else `./storage`.
    var location: StoreLocation { location(config: nil) }

    /// The store with a config's `store:` (`configured`) in its place: after `--store` and `GBSNAP_STORE`.
    func location(config configured: String?) -> StoreLocation {
        StoreLocation.resolve(flag: store, environment: ProcessInfo.processInfo.environment, config: configured)
    }

    /// The root of ``location``.
    var storeRoot: String { location.root }

    /// Opens the store of ``location``; read-only commands do not create it. A bucket is refused with a sentence:
    /// the commands that work on one call ``withAnyStore(_:)``.
    func open(create: Bool) throws -> SnapshotStore {
        let root = location.root
        if AnyStore.isBucket(root) {
            throw StoreError(.invalidInput, "store \(root) is a bucket, and this command works on a local store only: give a local --store, or copy the snapshots to one with gbsnap copy",
                             input: .path(root))
        }
        return try SnapshotStore(root: root, create: create)
    }

    /// Runs `body` on the store of ``location``, a local directory (not created) or a bucket (`s3://BUCKET[/PREFIX]`,
    /// endpoint and credentials from the `AWS_*` variables), and closes a bucket's connections after.
    func withAnyStore<T>(_ body: (AnyStore) async throws -> T) async throws -> T {
        let store = try AnyStore.open(location.root, create: false, environment: ProcessInfo.processInfo.environment)
        do {
            let result = try await body(store)
            await store.shutdown()
            return result
        } catch {
            await store.shutdown()
            throw error
        }
    }

    /// The local store of ``location``; for a bucket, a scratch store at `scratch` (removed by the caller) holding
    /// the bucket's catalog of the targets `selectors` may name and the archives of the entries `needed` picks from it.
    func openOrMirror(selectors: [String], scratch: String,
                      needed: (SnapshotStore) throws -> [CatalogEntry]) async throws -> SnapshotStore {
        try await openOrMirror(scratch: scratch, mirror: { try await $0.mirror(selectors: selectors, into: scratch) }, needed: needed)
    }

    /// ``openOrMirror(selectors:scratch:needed:)`` for the catalog of one `target` (`input` names it in errors).
    func openOrMirror(target: String, input: String, scratch: String,
                      needed: (SnapshotStore) throws -> [CatalogEntry]) async throws -> SnapshotStore {
        try await openOrMirror(scratch: scratch, mirror: { try await $0.mirror(targets: [target], input: input, into: scratch) }, needed: needed)
    }

    private func openOrMirror(scratch: String, mirror makeMirror: (BucketStore) async throws -> SnapshotStore,
                              needed: (SnapshotStore) throws -> [CatalogEntry]) async throws -> SnapshotStore {
        guard AnyStore.isBucket(location.root) else { return try open(create: false) }
        return try await withAnyStore { store in
            guard case .bucket(let bucket) = store else { return try open(create: false) }
            let mirror = try await makeMirror(bucket)
            for entry in try needed(mirror) { try await bucket.fetchArchive(entry, into: mirror) }
            return mirror
        }
    }

    /// Runs `body` with the snapshot `selector` names as a local archive file (a bucket's fetched into a temp folder
    /// that is removed after).
    func withSnapshot<T>(_ selector: String, _ body: (FetchedSnapshot) async throws -> T) async throws -> T {
        let scratch = NSTemporaryDirectory() + "gbsnap-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try await withAnyStore { store in try await body(try await store.fetch(selector, scratch: scratch)) }
    }
}

/// Prints a failure as one sentence on stderr and exits 1 (DESIGN.md exit codes).
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch {
        Console.error("\(error)")
        throw ExitCode(1)
    }
}

/// stdout/stderr output in one place.
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("gbsnap: \(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("gbsnap: warning: \(message)\n".utf8))
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints a JSON array element by element, in the layout `printJSON` gives an array, so a
    /// listing of millions of entries never holds the whole document in memory.
    static func printJSONArray<S: Sequence>(_ elements: S, transform: (S.Element) -> some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        fflush(nil)  // anything print()ed before comes first
        var out = FileOutput.standardOutput
        var first = true
        out.write("[")
        for element in elements {
            let text = String(decoding: try encoder.encode(transform(element)), as: UTF8.self)
            out.write(first ? "\n" : ",\n")
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if i > 0 { out.write("\n") }
                if !line.isEmpty { out.write("  " + line) }
            }
            first = false
        }
        out.write(first ? "\n\n]\n" : "\n]\n")
        out.flush()
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Buffered writes to a file descriptor (stdout), flushed in 64 KiB chunks.
struct FileOutput {
    let fd: Int32
    var buffer: [UInt8] = []

    static var standardOutput: FileOutput { FileOutput(fd: 1) }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        SystemIO.writeUntilClosed(fd, buffer)  // stdout closed (piped into head): nothing more to do
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Loads a config for a command; on errors prints them and exits 1. An error at a position prints as
/// `file:line:column: ...` (the form editors and CI annotate), and the last line starts with `gbsnap: ` like
/// every error: the one error without a position (`gbsnap: file: cannot read ...`), or a count of those above.
enum ConfigLoading {
    static func load(_ path: String) throws(ExitCode) -> ConfigFile {
        do {
            return try ConfigFile.load(path: path)
        } catch {
            FileHandle.standardError.write(Data(report(error.errors, file: path).utf8))
            throw ExitCode(1)
        }
    }

    /// The stderr text for `errors` of the config `file`, one line each, ending in a newline.
    static func report(_ errors: [ConfigError], file: String) -> String {
        var lines = errors.map { $0.line > 0 ? $0.description : "gbsnap: \($0.description)" }
        if errors.contains(where: { $0.line > 0 }) {
            lines.append("gbsnap: \(file): \(errors.count) error\(errors.count == 1 ? "" : "s") (see above); nothing was done")
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

/// Writes a command's output to `--output` (atomically) or stdout.
enum OutputFile {
    /// Colour and shortening only for a terminal on stdout, and no colour when NO_COLOR is set (no-color.org).
    static func textStyle(output: String?) -> TextStyle {
        guard output == nil, SystemIO.isTerminal(1) else { return .plain }
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        return TextStyle(color: !noColor, width: SystemIO.terminalColumns(1))
    }

    static func write(_ bytes: [UInt8], to output: String?) throws {
        if let output {
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                let folder = SystemIO.parentDirectory(of: output)
                throw DiffOutputError(path: output, reason: SystemIO.isDirectory(folder)
                    ? error.localizedDescription : "the folder \(folder) does not exist; create it or choose another --output")
            }
        } else {
            var out = FileOutput.standardOutput
            out.buffer = bytes
            out.flush()
        }
    }
}
