// A minimal HTTP/1.1 client on a raw loopback socket, for tests of gbsnap's own listener: it can
// send any method, and it tells a refused connection (nothing listens) from other failures.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One plain-HTTP exchange with 127.0.0.1.
public enum HTTPProbe {
    /// A response: status code, headers (names lowercased) and body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// Why an exchange failed; `refused` when nothing listens on the port.
    public struct Failure: Error, CustomStringConvertible {
        public var refused: Bool
        public var description: String
    }

    /// Sends `METHOD path` to 127.0.0.1:`port` with `Connection: close` and reads the response to EOF.
    public static func request(port: Int, method: String = "GET", path: String) throws -> Response {
        let fd = try connect(port: port, receiveTimeoutSeconds: 30)
        defer { close(fd) }
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(refused: false, description: "send failed: errno \(errno)") }
            sent += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw Failure(refused: false, description: "recv failed: errno \(errno)") }
            data.append(contentsOf: buffer[0..<n])
        }
        return try parse(data)
    }

    /// A TCP connection to 127.0.0.1:`port` whose reads give up after `receiveTimeoutSeconds` (a hang guard);
    /// the caller closes the descriptor.
    public static func connect(port: Int, receiveTimeoutSeconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(refused: false, description: "socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(refused: e == ECONNREFUSED, description: "connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(e)))")
        }
        return fd
    }

    /// Whether a connection to 127.0.0.1:`port` is refused (nothing listens there).
    public static func isRefused(port: Int) -> Bool {
        do {
            _ = try request(port: port, path: "/")
            return false
        } catch let failure as Failure {
            return failure.refused
        } catch {
            return false
        }
    }

    static func parse(_ data: [UInt8]) throws -> Response {
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else {
            throw Failure(refused: false, description: "the response has no end of headers: \(text.prefix(200))")
        }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(refused: false, description: "bad status line: \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}

/// Prometheus' promtool (Debian's `prometheus` package, installed by scripts/setup). Tests that
/// need it fail when it is missing, unless `GBSNAP_SKIP_PROMTOOL=1` says to skip them (locally).
public enum Promtool {
    /// False when `GBSNAP_SKIP_PROMTOOL=1`: the promtool tests are disabled.
    public static var wanted: Bool { ProcessInfo.processInfo.environment["GBSNAP_SKIP_PROMTOOL"] != "1" }

    /// The promtool binary on PATH; throws a sentence saying how to get it.
    public static func path() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for dir in dirs + ["/usr/bin"] {
            let candidate = "\(dir)/promtool"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "promtool is not installed; run scripts/setup (it installs Debian's prometheus package), "
            + "or set GBSNAP_SKIP_PROMTOOL=1 to skip the promtool tests")
    }

    /// `promtool check metrics` on `exposition` (given on stdin): exit status and output.
    public static func checkMetrics(_ exposition: String) async throws -> (status: Int32, output: String) {
        let dir = NSTemporaryDirectory() + "gbsnap-promtool-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/metrics.txt"
        try Data(exposition.utf8).write(to: URL(fileURLWithPath: file))
        let r = try await Subprocess.run("/bin/sh", ["-c", "exec \"$0\" check metrics < \"$1\"", try path(), file])
        return (r.status, r.stdoutText + r.stderr)
    }

    /// Why promtool could not be used.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }
}
