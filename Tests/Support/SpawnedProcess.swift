import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A condition a test waited for did not come true.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}

/// A child process whose stdout and stderr go to files that can be read while it runs.
public final class SpawnedProcess: @unchecked Sendable {
    public let process = Process()
    public let outPath: String
    public let errPath: String

    public init(_ tool: String, _ args: [String], environment: [String: String] = [:]) throws {
        let base = NSTemporaryDirectory() + "gbsnap-proc-\(UUID().uuidString.prefix(8))"
        outPath = base + ".out"
        errPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "GBSNAP_STORE"] { env[key] = nil }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for the exit and returns the status (128+N for a signal, like a shell).
    public func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Waits for the exit without blocking the test's executor.
    public func exitStatus() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        return waitForExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
}

/// Polls `condition` every 50 ms until it holds; fails after a generous `timeout` seconds (a hang
/// guard only, never a performance assertion).
public func waitUntil(_ what: String, timeout: Double = 120, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw WaitTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(50))
    }
}

