/// `metrics_listen: HOST:PORT`: where the daemon serves `/metrics` and `/healthz`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, a host name, or an IPv6 address (written in brackets in the config, kept without them here).
    public var host: String
    /// 0 to 65535; 0 takes a free port (the daemon logs the one it got).
    public var port: Int

    /// Memberwise initializer.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `HOST:PORT` (`127.0.0.1:9464`, `localhost:9464`, `[::1]:9464`); the error says what is wrong. Pure.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.init("has \"[\" without \"]\" around an IPv6 address")) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(.init("needs \":PORT\" after the bracketed IPv6 address")) }
            portText = rest.dropFirst()
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return .failure(.init("has \"\(host)\" in brackets, which is not an IPv6 address"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.init("has no port; write HOST:PORT, e.g. 127.0.0.1:9464")) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return .failure(.init("has an IPv6 address without brackets; write [ADDRESS]:PORT")) }
            guard !host.isEmpty else { return .failure(.init("has no host; write HOST:PORT, e.g. 127.0.0.1:9464 (0.0.0.0 for every interface)")) }
            let allowed = host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" }
            guard allowed, !host.hasPrefix("-"), !host.hasPrefix(".") else {
                return .failure(.init("has \"\(host)\", which is not an IP address or a host name"))
            }
        }
        guard let port = Int(portText), portText.allSatisfy(\.isNumber), (0...65535).contains(port) else {
            return .failure(.init("has port \"\(portText)\"; a port is a number from 0 to 65535"))
        }
        return .success(ListenAddress(host: String(host), port: port))
    }
}

/// Why a `HOST:PORT` was refused: the reason, to follow "metrics_listen \"…\" ".
public struct ListenAddressError: Error, Sendable, Hashable {
    /// e.g. `has no port; write HOST:PORT, e.g. 127.0.0.1:9464`.
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}
