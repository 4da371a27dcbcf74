import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OS call that failed: which call, on which path, and errno's text.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    public var call: String
    public var path: String
    public var errno: Int32

    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let text = String(cString: strerror(errno))
        switch errno {
        case ENOSPC: return "\(path): no space left on the device (\(call))"
        case EACCES, EPERM, EROFS: return "\(path): not writable (\(text))"
        case ENOENT: return "\(path): no such file or directory"
        default: return "\(path): \(call) failed: \(text)"
        }
    }
}

/// Every libc call gbsnap makes for durable files goes through here (as swift-system does), so
/// EINTR handling and error mapping live in one place.
public enum SystemIO {
    /// Retries a call that failed with EINTR.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ body: () -> T) -> T {
        while true {
            let r = body()
            if r >= 0 || errno != EINTR { return r }
        }
    }

    /// Creates a new file exclusively (fails if it exists) for writing, mode 0644.
    public static func createExclusive(_ path: String, mode: mode_t = 0o644) throws(SystemError) -> Int32 {
        let fd = retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode) }
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        return fd
    }

    /// Opens an existing file read-only.
    public static func openReadOnly(_ path: String) throws(SystemError) -> Int32 {
        let fd = retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        return fd
    }

    /// Opens (creating if needed) a file for appending.
    public static func openForAppend(_ path: String) throws(SystemError) -> Int32 {
        let fd = retrying { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        return fd
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = retrying { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            guard n > 0 else { throw SystemError(call: "write", path: path, errno: n == 0 ? EIO : errno) }
            offset += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var failure: SystemError?
        bytes.withUnsafeBytes { buffer in
            do throws(SystemError) { try writeAll(fd, buffer, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public static func fsync(_ fd: Int32, path: String) throws(SystemError) {
        guard retrying({ Glibc.fsync(fd) }) == 0 else { throw SystemError(call: "fsync", path: path, errno: errno) }
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// fsyncs a directory so a rename or unlink inside it survives a crash.
    public static func fsyncDirectory(_ path: String) throws(SystemError) {
        let fd = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        defer { _ = Glibc.close(fd) }
        try fsync(fd, path: path)
    }

    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        guard Glibc.rename(from, to) == 0 else { throw SystemError(call: "rename", path: to, errno: errno) }
    }

    /// Removes a file; a missing file is not an error.
    public static func unlinkIfPresent(_ path: String) throws(SystemError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemError(call: "unlink", path: path, errno: errno) }
    }

    /// Creates `path` and its missing parents (mode 0755).
    public static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw SystemError(call: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError(call: "mkdir", path: path, errno: ENOTDIR)
        }
    }

    /// Size of a file, or nil if it does not exist.
    public static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Truncates a file to `length` bytes.
    public static func truncate(_ path: String, to length: Int64) throws(SystemError) {
        guard Glibc.truncate(path, off_t(length)) == 0 else { throw SystemError(call: "truncate", path: path, errno: errno) }
    }

    /// True if a process with this pid exists.
    public static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    public static var currentProcessID: Int32 { getpid() }

    /// Whether a descriptor (1 for stdout, 2 for stderr) is a terminal.
    /// Sends one datagram to a Unix socket (`@name` is an abstract address): systemd's notify protocol.
    /// Returns whether all of it was sent; failures are not errors for callers (the listener may be gone).
    public static func sendDatagram(_ message: [UInt8], toUnixSocket socketPath: String) -> Bool {
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        // Abstract addresses are exactly as long as their name; paths include the NUL.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(length)) }
            }
        }
        return sent == message.count
    }

    /// `CLOCK_MONOTONIC` in microseconds.
    public static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }

    /// Writes `bytes` to `fd` until done or the reader is gone (EPIPE, a closed pipe: `gbsnap list | head`).
    public static func writeUntilClosed(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            offset += n
        }
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Why this process cannot read the file at `path` (`does not exist`, `is not readable: …`,
    /// `is a directory`), or nil when it can.
    public static func unreadableReason(_ path: String) -> String? {
        guard access(path, F_OK) == 0 else { return "does not exist" }
        if isDirectory(path) { return "is a directory, not a file" }
        guard access(path, R_OK) == 0 else { return "is not readable (\(String(cString: strerror(errno))))" }
        return nil
    }

    /// The width in columns of the terminal on `fd`, or nil when it is not a terminal or does not say.
    public static func terminalColumns(_ fd: Int32) -> Int? {
        guard isTerminal(fd) else { return nil }
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// The host name, for manifests.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a whole (small) file.
    public static func readFile(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8] {
        let fd = try openReadOnly(path)
        defer { _ = Glibc.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { buf in retrying { read(fd, buf.baseAddress!, buf.count) } }
            guard n >= 0 else { throw SystemError(call: "read", path: path, errno: errno) }
            if n == 0 { return out }
            guard out.count + n <= limit else { throw SystemError(call: "read", path: path, errno: EFBIG) }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes `bytes` to `path` atomically: temp file beside it, fsync, rename, directory fsync.
    public static func writeFileAtomically(_ path: String, bytes: [UInt8]) throws(SystemError) {
        let directory = parentDirectory(of: path)
        let temp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try createExclusive(temp)
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: temp)
            try fsync(fd, path: temp)
        } catch {
            try? unlinkIfPresent(temp)
            throw error
        }
        do {
            try rename(temp, path)
        } catch {
            try? unlinkIfPresent(temp)
            throw error
        }
        try fsyncDirectory(directory)
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// An advisory `flock(2)` lock on a file, released on `unlock()` or when the process dies (so a
/// `kill -9` never leaves a store locked).
public final class FileLock: @unchecked Sendable {
    public enum Mode: Sendable { case shared, exclusive }

    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Takes the lock, waiting up to `timeout` seconds (0 = try once). Returns nil if another
    /// process holds it past the timeout. The holder's pid is written into exclusive lock files.
    public static func acquire(_ path: String, mode: Mode, timeout: Double) throws(SystemError) -> FileLock? {
        let fd = SystemIO.retrying { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        let op = (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB
        var waited = 0.0
        while flock(fd, op) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let e = errno
                Glibc.close(fd)
                throw SystemError(call: "flock", path: path, errno: e)
            }
            if waited >= timeout {
                Glibc.close(fd)
                return nil
            }
            usleep(20_000)
            waited += 0.02
        }
        if mode == .exclusive {
            _ = ftruncate(fd, 0)
            let pid = Array("\(getpid())\n".utf8)
            pid.withUnsafeBytes { _ = pwrite(fd, $0.baseAddress!, $0.count, 0) }
        }
        return FileLock(path: path, fd: fd)
    }

    /// The pid written by the current exclusive holder, if readable.
    public static func holderPID(_ path: String) -> Int32? {
        guard let bytes = try? SystemIO.readFile(path, limit: 64) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        Glibc.close(fd)
        fd = -1
    }

    deinit { unlock() }
}
