import ArgumentParser
import Foundation
import GBSnapCLI
#if canImport(Glibc)
import Glibc
#endif

/// Entry point. gbsnap's contract (README): 0 success, 1 failure, 2 usage error (ArgumentParser's 64 becomes 2),
/// 3 a gate tripped; every error on stderr starts with `gbsnap: ` (``GBSnapCommand/errorReport(for:command:)``).
@main
enum GBSnapMain {
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try GBSnapCommand.parseAsRoot()
        } catch {
            finish(GBSnapCommand.errorReport(for: error))
        }
        do {
            var command = command
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            finish(GBSnapCommand.errorReport(for: error, command: type(of: command)))
        }
    }

    static func finish(_ report: GBSnapCommand.ErrorReport) -> Never {
        if !report.message.isEmpty {
            if report.toStandardOutput {
                print(report.message)
            } else {
                FileHandle.standardError.write(Data((report.message + "\n").utf8))
            }
        }
        exit(report.status)
    }
}
