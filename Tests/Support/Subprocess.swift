import Foundation

/// Runs a program to completion with both pipes drained concurrently (a chatty child can never block on a full
/// pipe), the one process runner of the test targets.
public enum Subprocess {
    /// What a run left: exit status, stdout as bytes (binary formats), stderr as text.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: String
        /// stdout as UTF-8 text.
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `tool ARGS` with the test process's environment plus `environment`, stdin from /dev/null; the wait is
    /// off the cooperative pool.
    public static func run(_ tool: String, _ args: [String], environment: [String: String] = [:]) async throws -> Result {
        try await offCooperativePool { try runBlocking(tool, args, environment: environment) }
    }

    /// `run` for code that is not async (a helper thread of its own).
    public static func runBlocking(_ tool: String, _ args: [String], environment: [String: String] = [:]) throws -> Result {
        let (process, out, err) = try start(tool, args, environment: environment)
        let errData = PipeReader(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: [UInt8](outData),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
    }

    /// Starts `tool ARGS` and returns the running process with pipes for its output.
    public static func start(_ tool: String, _ args: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return (p, out, err)
    }
}

/// Reads a pipe to its end on its own thread.
final class PipeReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
