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
