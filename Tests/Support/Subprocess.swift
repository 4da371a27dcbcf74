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

    /// What a measured run left: exit status, output, and the child's own peak resident set.
    public struct MeasuredResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The child's own high-water resident set (`VmHWM`, sampled every 10 ms while it runs), in bytes: unlike the
        /// test process's, it is not shared with the tests running beside it. (`wait4`'s `ru_maxrss` is no use here: a
        /// spawned child inherits the parent's high-water mark across exec.)
        public var peakResidentBytes: Int64
    }

    /// Runs `tool ARGS` (environment as for `run`) and measures its peak memory; output goes through files.
    public static func runMeasured(_ tool: String, _ args: [String], environment: [String: String] = [:]) async throws -> MeasuredResult {
        try await offCooperativePool { try runMeasuredBlocking(tool, args, environment: environment) }
    }

    private static func runMeasuredBlocking(_ tool: String, _ args: [String], environment: [String: String]) throws -> MeasuredResult {
        let base = NSTemporaryDirectory() + "gbsnap-measured-\(UUID().uuidString.prefix(8))"
        let (outPath, errPath) = (base + ".out", base + ".err")
        defer { for p in [outPath, errPath] { try? FileManager.default.removeItem(atPath: p) } }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([tool] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, nil, argv, envp)
        guard spawned == 0 else { throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: tool, "errno": spawned]) }
        var status: Int32 = 0
        var peakKiB: Int64 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { break }
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int64(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
                peakKiB = max(peakKiB, kib)
            }
            usleep(10_000)
        }
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return MeasuredResult(
            status: exit, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "", peakResidentBytes: peakKiB * 1024)
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
