import ArgumentParser
import Foundation
import SnapshotStore
#if canImport(Glibc)
import Glibc
#endif

/// The `gbsnap` root command. Each subcommand lives in its own file, parses, and calls library code.
public struct GBSnapCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gbsnap",
        abstract: "Scheduled, archived, diffable snapshots of Go services' pprof and expvar diagnostics.",
        version: GBSnapVersion.current,
        subcommands: [
            Capture.self, Run.self, Import.self, List.self, Show.self, Export.self, Diff.self, Trend.self,
            Prune.self, Pin.self, Unpin.self, Remove.self, Verify.self, Reindex.self,
            CronGroup.self, Schedule.self, ConfigGroup.self,
        ]
    )

    public init() {}
}

extension GBSnapCommand {
    /// What the process prints for an error, where, and the exit status: the contract of README ("Exit codes",
    /// "Errors are one sentence on stderr") for errors out of parsing and out of a command's `run()`.
    public struct ErrorReport: Equatable {
        /// The text, without a final newline; every error's first line starts with `gbsnap: `.
        public var message: String
        /// True for `--help` and `--version` (stdout, exit 0); false for errors (stderr).
        public var toStandardOutput: Bool
        /// 0 success, 1 failure, 2 usage error (ArgumentParser's 64 becomes 2), 3 a gate tripped.
        public var status: Int32
    }

    /// The report for `error`. `command` is the subcommand whose `run()` threw it (nil for a parse or `validate()`
    /// error, which ArgumentParser already ties to its subcommand): a usage error from `run()` prints that
    /// subcommand's usage, not the top-level one.
    public static func errorReport(for error: any Error, command: (any ParsableCommand.Type)? = nil) -> ErrorReport {
        let code = exitCode(for: error)
        let status = code.rawValue == 64 ? 2 : code.rawValue
        if code == .success {
            return ErrorReport(message: fullMessage(for: error), toStandardOutput: true, status: 0)
        }
        if let command, let validation = error as? ValidationError {
            let path = commandPath(to: command) ?? [configuration.commandName ?? "gbsnap"]
            let usage = usageString(for: command)
            var message = "gbsnap: \(validation.message)"
            if !usage.isEmpty { message += "\nUsage: \(usage)" }
            message += "\n  See '\(path.joined(separator: " ")) --help' for more information."
            return ErrorReport(message: message, toStandardOutput: false, status: 2)
        }
        var message = fullMessage(for: error)
        if message.hasPrefix("Error: ") {
            message = "gbsnap: " + message.dropFirst("Error: ".count)
        } else if !message.isEmpty && !message.hasPrefix("gbsnap: ") {
            message = "gbsnap: " + message
        }
        return ErrorReport(message: message, toStandardOutput: false, status: status)
    }

    /// The command names from the root to `command` (`["gbsnap", "cron", "next"]`), or nil when it is not in the tree.
    static func commandPath(to command: any ParsableCommand.Type) -> [String]? {
        func name(_ type: any ParsableCommand.Type) -> String {
            type.configuration.commandName ?? String(describing: type).lowercased()
        }
        func search(_ type: any ParsableCommand.Type, _ path: [String]) -> [String]? {
            let here = path + [name(type)]
            if ObjectIdentifier(type) == ObjectIdentifier(command) { return here }
            for sub in type.configuration.subcommands {
                if let found = search(sub, here) { return found }
            }
            return nil
        }
        return search(GBSnapCommand.self, [])
    }
}

/// `--store DIR` (env `GBSNAP_STORE`, default `./storage`), shared by every command that reads or writes snapshots.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Store root directory (env GBSNAP_STORE).", valueName: "dir"))
    var store: String?

    var storeRoot: String {
        store ?? ProcessInfo.processInfo.environment["GBSNAP_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "./storage"
    }

    /// Opens the store; read-only commands do not create it.
    func open(create: Bool) throws -> SnapshotStore {
        try SnapshotStore(root: storeRoot, create: create)
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
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }  // stdout closed (e.g. piped into head): nothing more to do
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
