import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Sorts the errors AsyncHTTPClient, NIO and NIOSSL throw into the few classes capture reports.
enum ErrorClassifier {
    static func classify(_ error: any Error) -> ErrorClass {
        if error is CancellationError { return .cancelled }
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded: return .deadline
            case .connectTimeout, .tlsHandshakeTimeout: return .connectTimeout
            case .remoteConnectionClosed: return .closed
            case .cancelled: return .cancelled
            default: return .other(e.description)
            }
        }
        if let e = error as? NIOConnectionError {
            let failures = e.connectionErrors.map(\.error)
            if failures.isEmpty, e.dnsAError != nil || e.dnsAAAAError != nil { return .dns }
            if failures.contains(where: isRefused) { return .refused }
            if failures.contains(where: isConnectTimeout) { return .connectTimeout }
            if let first = failures.first { return classify(first) }
            return .other("could not connect")
        }
        if isRefused(error) { return .refused }
        if isConnectTimeout(error) { return .connectTimeout }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNRESET, EPIPE, ECONNABORTED: return .closed
            case EHOSTUNREACH, ENETUNREACH: return .other("the host is unreachable")
            default: return .other("I/O error: \(String(cString: strerror(e.errnoCode)))")
            }
        }
        if let e = error as? ChannelError {
            switch e {
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return .closed
            default: return .other(String(describing: e))
            }
        }
        if let e = error as? NIOSSLError {
            switch e {
            case .uncleanShutdown: return .closed
            case .handshakeFailed(let inner):
                if let alert = clientCertificateAlert(inner) { return .clientCertificateRefused(alert: alert) }
                return .tls(tlsDetail(inner))
            default: return .tls(String(describing: e))
            }
        }
        // With TLS 1.3 the client finishes its side of the handshake before the server has checked
        // the client certificate, so the server's refusal arrives as a bare error on the first read.
        if let e = error as? BoringSSLError, let alert = clientCertificateAlert(e) {
            return .clientCertificateRefused(alert: alert)
        }
        if error is NIOSSLExtraError || error is BoringSSLError || error is NIOSSLCloseTimedOutError {
            return .tls(String(describing: error))
        }
        if let e = error as? HTTPParserError {
            if e == .invalidEOFState { return .closed }
            return .protocolError(String(describing: e))
        }
        return .other(String(describing: error))
    }

    private static func isRefused(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == ECONNREFUSED
    }

    private static func isConnectTimeout(_ error: any Error) -> Bool {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return true }
        return (error as? HTTPClientError) == .connectTimeout
    }

    /// BoringSSL's reason names for alerts a server sends when it rejects the client's certificate
    /// or its absence, with their RFC 8446 alert names (Go 1.19 sends `bad_certificate` for both;
    /// a TLS 1.3 server may send `certificate_required` when none was sent).
    private static let clientCertificateAlerts: [(reason: String, alert: String)] = [
        ("TLSV1_ALERT_CERTIFICATE_REQUIRED", "certificate_required"),
        ("SSLV3_ALERT_NO_CERTIFICATE", "no_certificate"),
        ("SSLV3_ALERT_BAD_CERTIFICATE", "bad_certificate"),
        ("SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", "unsupported_certificate"),
        ("SSLV3_ALERT_CERTIFICATE_REVOKED", "certificate_revoked"),
        ("SSLV3_ALERT_CERTIFICATE_EXPIRED", "certificate_expired"),
        ("SSLV3_ALERT_CERTIFICATE_UNKNOWN", "certificate_unknown"),
        ("TLSV1_ALERT_UNKNOWN_CA", "unknown_ca"),
    ]

    /// The alert name if `error` is the server refusing the client certificate (received alerts
    /// only: locally detected problems have other reason names).
    private static func clientCertificateAlert(_ error: BoringSSLError) -> String? {
        let text = String(describing: error)
        return clientCertificateAlerts.first { text.contains($0.reason) }?.alert
    }

    private static func tlsDetail(_ error: BoringSSLError) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") { return "the server certificate could not be verified" }
        return "handshake failed (\(text))"
    }
}
