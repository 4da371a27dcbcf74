import ArgumentParser
import Foundation
import GBSnapCLI
#if canImport(Glibc)
import Glibc
#endif

/// Entry point. ArgumentParser exits 64 (EX_USAGE) on usage errors; gbsnap's contract
/// (DESIGN.md) is 0 success, 1 failure, 2 usage error, 3 a gate tripped.
@main
enum GBSnapMain {
    static func main() async {
        do {
            var command = try GBSnapCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = GBSnapCommand.exitCode(for: error)
            let message = GBSnapCommand.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success {
                    print(message)
                } else {
                    FileHandle.standardError.write(Data((message + "\n").utf8))
                }
            }
            exit(code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}
