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
            case .handshakeFailed(let inner): return .tls(tlsDetail(inner))
            default: return .tls(String(describing: e))
            }
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

    private static func tlsDetail(_ error: BoringSSLError) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") { return "the server certificate could not be verified" }
        return "handshake failed (\(text))"
    }
}
