import Foundation
import GBSnapTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Why a daemon test could not go on.
struct DaemonTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The built `gbsnap` binary beside the test bundle.
enum GBSnapExecutable {
    static var path: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gbsnap").path
    }
}

/// Result of a finished command.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `tool` to completion with output in files (no pipe can fill up).
@discardableResult
func runCommand(_ tool: String, _ args: [String], environment: [String: String] = [:]) async throws -> CommandResult {
    let process = try SpawnedProcess(tool, args, environment: environment)
    let status = try await offCooperativePool { process.waitForExit() }
    return CommandResult(status: status, stdout: process.stdout, stderr: process.stderr)
}

/// Runs gbsnap.
@discardableResult
func gbsnap(_ args: [String], environment: [String: String] = [:]) async throws -> CommandResult {
    try await runCommand(GBSnapExecutable.path, args, environment: environment)
}

/// A child process whose stdout and stderr go to files that can be read while it runs.
final class SpawnedProcess: @unchecked Sendable {
    let process = Process()
    let outPath: String
    let errPath: String

    init(_ tool: String, _ args: [String], environment: [String: String] = [:]) throws {
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

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for the exit and returns the status (128+N for a signal, like a shell).
    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Waits for the exit without blocking the test's executor.
    func exitStatus() async -> Int32 {
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
func waitUntil(_ what: String, timeout: Double = 120, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw DaemonTestError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// A bound AF_UNIX datagram socket standing in for systemd's notify socket; collects every
/// datagram it receives on a background thread.
final class NotifySocketListener: @unchecked Sendable {
    /// The value for `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
    let address: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var stopped = false
    private var thread: Thread?

    /// Binds a fresh socket; `abstract` uses the Linux abstract namespace.
    init(abstract: Bool = false) throws {
        let name = "gbsnap-notify-\(UUID().uuidString.prefix(12))"
        address = abstract ? "@\(name)" : NSTemporaryDirectory() + name + ".sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw DaemonTestError("socket(AF_UNIX, SOCK_DGRAM) failed: errno \(errno)") }
        var bytes = Array(address.utf8)
        if abstract { bytes[0] = 0 }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else { throw DaemonTestError("bind(\(address)) failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let t = Thread { [unowned self] in self.receiveLoop() }
        thread = t
        t.start()
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { return }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                lock.lock()
                received.append(text)
                lock.unlock()
            }
        }
    }

    /// Every datagram so far, in arrival order.
    var messages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Every `KEY=VALUE` line so far, in arrival order.
    var assignments: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        while thread?.isFinished == false { usleep(10_000) }
        close(fd)
        if !address.hasPrefix("@") { unlink(address) }
    }
}
