import Foundation
import GBSnapTestSupport

/// Runs the built `gbsnap` binary (it sits beside the test bundle) and captures its output.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum GBSnapBinary {
    static var path: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gbsnap").path
    }
}

/// Starts `tool` and returns the running process with pipes for its output.
func start(_ tool: String, _ args: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
    try Subprocess.start(tool, args, environment: environment)
}

/// Runs `tool` to completion.
@discardableResult
func run(_ tool: String, _ args: [String], environment: [String: String] = [:]) async throws -> CLIResult {
    let r = try await runBytes(tool, args, environment: environment)
    return CLIResult(status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self), stderr: r.stderr)
}

/// Runs `tool` to completion, keeping stdout as bytes (binary formats).
func runBytes(_ tool: String, _ args: [String], environment: [String: String] = [:]) async throws -> (status: Int32, stdout: [UInt8], stderr: String) {
    let r = try await Subprocess.run(tool, args, environment: environment)
    return (r.status, r.stdout, r.stderr)
}

/// Runs gbsnap with stdout as bytes.
func gbsnapBytes(_ args: [String], store: String) async throws -> (status: Int32, stdout: [UInt8], stderr: String) {
    try await runBytes(GBSnapBinary.path, args, environment: ["GBSNAP_STORE": store])
}

/// Runs gbsnap on a real pseudo-terminal (util-linux script(1)), as a person at a terminal would, and returns what
/// the terminal showed (stdout and stderr together) and the exit status.
func onTerminal(_ args: [String], store: String, environment: [String: String] = [:], columns: Int = 100) async throws -> String {
    let quoted = ([GBSnapBinary.path] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let command = "stty cols \(columns) rows 50; " + quoted.joined(separator: " ") + "; echo \"[exit $?]\""
    var env = environment
    env["GBSNAP_STORE"] = store
    env["TERM"] = "xterm"
    env["NO_COLOR"] = env["NO_COLOR"] ?? ""  // the test runner's own NO_COLOR must not leak in
    return try await run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: env).stdout
}

/// Runs gbsnap with `--store`-independent arguments.
@discardableResult
func gbsnap(_ args: [String], store: String? = nil) async throws -> CLIResult {
    try await run(GBSnapBinary.path, args, environment: store.map { ["GBSNAP_STORE": $0] } ?? [:])
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
