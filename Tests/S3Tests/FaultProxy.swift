#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A loopback HTTP/1.1 proxy in front of moto that injects faults: it answers `503 SlowDown`, or reads half a
/// request's body and drops the connection, as `plan` says per request; every other request is forwarded whole.
/// One request per connection (it tells moto `Connection: close`). Plain sockets on its own threads.
final class FaultProxy: @unchecked Sendable {
    enum Fault: Sendable {
        case slowDown
        case dropMidBody
        /// Reads the request and never answers (until the client gives up and closes).
        case blackHole
    }

    /// What the proxy saw: `METHOD TARGET -> forwarded|503|dropped`.
    var log: [String] { lock.withLock { entries } }
    let port: Int

    private let upstreamPort: Int
    private let plan: @Sendable (_ index: Int, _ method: String, _ target: String) -> Fault?
    private let listener: Int32
    private let lock = NSLock()
    private var entries: [String] = []
    private var count = 0

    init(upstreamPort: Int, plan: @escaping @Sendable (_ index: Int, _ method: String, _ target: String) -> Fault?) throws {
        self.upstreamPort = upstreamPort
        self.plan = plan
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw MotoError(message: "the proxy cannot listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting; connections in flight finish on their own.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var buffer: [UInt8] = []
        guard let headEnd = readUntilHeadEnd(client, &buffer) else { return }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        let method = String(requestLine[0]), target = String(requestLine[1])
        let length = lines.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
        }.first ?? 0
        var body = Array(buffer[(headEnd + 4)...])
        let index = lock.withLock { defer { count += 1 }; return count }
        let fault = plan(index, method, target)
        if fault == .dropMidBody {
            _ = readBody(client, &body, upTo: length / 2)
            record("\(method) \(target) -> dropped")
            var linger = linger(l_onoff: 1, l_linger: 0) // RST, as a reset connection looks
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            return
        }
        guard readBody(client, &body, upTo: length) else { return }
        if fault == .blackHole {
            record("\(method) \(target) -> no answer")
            var byte: UInt8 = 0
            _ = recv(client, &byte, 1, 0) // returns when the client closes
            return
        }
        if fault == .slowDown {
            let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            let answer = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: \(xml.utf8.count)\r\nConnection: close\r\n\r\n\(xml)"
            send(client, Array(answer.utf8))
            record("\(method) \(target) -> 503")
            return
        }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = Self.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return }
        let kept = lines.filter { !$0.lowercased().hasPrefix("connection:") && !$0.isEmpty }
        let newHead = ([requestLine.joined(separator: " ")] + kept + ["Connection: close", "", ""]).joined(separator: "\r\n")
        send(upstream, Array(newHead.utf8) + body)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(upstream, &chunk, chunk.count, 0)
            if n <= 0 { break }
            send(client, Array(chunk[0..<n]))
        }
        record("\(method) \(target) -> forwarded")
    }

    private func record(_ entry: String) { lock.withLock { entries.append(entry) } }

    private func readUntilHeadEnd(_ fd: Int32, _ buffer: inout [UInt8]) -> Int? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = find(buffer, [13, 10, 13, 10]) { return end }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    private func readBody(_ fd: Int32, _ body: inout [UInt8], upTo length: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while body.count < length {
            let n = recv(fd, &chunk, min(chunk.count, length - body.count), 0)
            if n <= 0 { return false }
            body += chunk[0..<n]
        }
        return true
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
