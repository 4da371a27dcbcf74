import Foundation
import GBSnapCore

/// Everything one capture of one target should fetch.
public struct CaptureRequest: Sendable, Hashable {
    /// The Go service to capture from.
    public var target: TargetSpec
    /// Kinds to capture, in order (duplicates are taken once). `custom` stands for every entry of
    /// `parameters.customEndpoints`.
    public var kinds: [CaptureKind]
    /// Per-kind knobs (cpu/trace seconds, heap gc, stacks governor, custom endpoints).
    public var parameters: CaptureParameters

    /// Creates a request.
    public init(target: TargetSpec, kinds: [CaptureKind], parameters: CaptureParameters = CaptureParameters()) {
        self.target = target
        self.kinds = kinds
        self.parameters = parameters
    }
}

/// The result of one requested kind (or one custom endpoint): what the snapshot manifest records.
///
/// No field ever holds a credential: `endpoint` and `query` are the path and query only, and
/// failure messages name the target by its redacted base URL.
public struct CapturedArtifact: Sendable, Hashable {
    /// Member file name in the archive, e.g. `heap.pb.gz`, or the custom endpoint's name.
    public var name: String
    /// Kind of the data in `file` (`goroutine-text` when a `stacks` request was downgraded).
    public var kind: CaptureKind
    /// Kind that was asked for.
    public var requestedKind: CaptureKind
    /// Path of the complete body in the capturer's temporary directory when the outcome stored
    /// data (`captured` or `downgraded`); for a body rejected as not what the endpoint serves
    /// (`failed` with reason `unexpected-body`), its first bytes, to be archived as
    /// ``rejectedMemberName(_:)``; else nil. The caller moves or deletes it.
    public var file: String?
    /// Size of `file` in bytes (0 when there is none).
    public var bytes: Int64
    /// SHA-256 of `file`, 64 lowercase hex digits.
    public var sha256: String?
    /// `Content-Type` of the response, if the target sent one.
    public var contentType: String?
    /// Path requested on the target, e.g. `/debug/pprof/heap` (no scheme, host or credentials).
    public var endpoint: String
    /// Query string asked for, without `?`, e.g. `gc=1`, `debug=2`, `seconds=10`.
    public var query: String
    /// HTTP status of the last response, if one arrived.
    public var httpStatus: Int?
    /// Goroutine count the safety governor read before a `stacks` dump.
    public var goroutineCount: Int?
    /// Requests sent for this artifact (more than 1 after retries on connection errors).
    public var attempts: Int
    /// When the first attempt started.
    public var startedAt: Date
    /// Time from the first attempt to the end of the last one.
    public var duration: Duration
    /// What happened.
    public var outcome: Outcome

    /// The archive member that keeps the first bytes of a rejected body of the artifact `name`
    /// (`heap.pb.gz` → `heap.pb.gz.rejected`).
    public static func rejectedMemberName(_ name: String) -> String { name + ".rejected" }

    /// Creates an artifact record (captures create these; the initializer exists for tests and importers).
    public init(
        name: String, kind: CaptureKind, requestedKind: CaptureKind? = nil, file: String? = nil, bytes: Int64 = 0,
        sha256: String? = nil, contentType: String? = nil, endpoint: String, query: String = "", httpStatus: Int? = nil,
        goroutineCount: Int? = nil, attempts: Int = 1, startedAt: Date, duration: Duration = .zero, outcome: Outcome
    ) {
        self.name = name
        self.kind = kind
        self.requestedKind = requestedKind ?? kind
        self.file = file
        self.bytes = bytes
        self.sha256 = sha256
        self.contentType = contentType
        self.endpoint = endpoint
        self.query = query
        self.httpStatus = httpStatus
        self.goroutineCount = goroutineCount
        self.attempts = attempts
        self.startedAt = startedAt
        self.duration = duration
        self.outcome = outcome
    }

    /// What happened to one requested artifact.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        /// The body is complete in `file`.
        case captured
        /// The safety governor took a cheaper kind instead (`file` holds it); `reason` says why.
        case downgraded(from: CaptureKind, reason: String)
        /// Deliberately not taken (e.g. by the governor); `reason` says why.
        case skipped(reason: String)
        /// The target does not serve this kind (e.g. `goroutineleak` on Go before 1.26). Not a failure.
        case notSupported(reason: String)
        /// The capture failed; nothing was stored.
        case failed(CaptureFailure)

        /// `captured`, `downgraded`, `skipped`, `not-supported` or `failed`, for manifests.
        public var status: String {
            switch self {
            case .captured: "captured"
            case .downgraded: "downgraded"
            case .skipped: "skipped"
            case .notSupported: "not-supported"
            case .failed: "failed"
            }
        }

        /// The explanation for every outcome except `captured`.
        public var message: String? {
            switch self {
            case .captured: nil
            case .downgraded(_, let reason), .skipped(let reason), .notSupported(let reason): reason
            case .failed(let failure): failure.message
            }
        }

        /// True when the snapshot should count this artifact as failed.
        public var isFailure: Bool {
            if case .failed = self { return true }
            return false
        }

        /// True when `file` holds data.
        public var hasData: Bool {
            switch self {
            case .captured, .downgraded: true
            default: false
            }
        }

        /// `status`, then `: message` when there is one.
        public var description: String {
            if let message { "\(status): \(message)" } else { status }
        }
    }
}

/// Why an artifact could not be captured, as one sentence naming target, endpoint and problem.
public struct CaptureFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem, stable for manifests and tests.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// Nothing listens on the port.
        case connectionRefused = "connection-refused"
        /// The host name does not resolve.
        case dnsFailure = "dns-failure"
        /// The TCP (or TLS) connection could not be opened within the connect timeout.
        case connectTimeout = "connect-timeout"
        /// Any other failure to reach the target.
        case connectionFailed = "connection-failed"
        /// The target closed or reset the connection before the response was complete.
        case connectionLost = "connection-lost"
        /// The body ended before its announced `Content-Length`.
        case truncated
        /// TLS handshake or certificate verification failed.
        case tlsFailure = "tls-failure"
        /// The artifact's deadline (total timeout, plus the seconds for cpu/trace) passed.
        case deadlineExceeded = "deadline-exceeded"
        /// A non-2xx status other than the ones below.
        case httpStatus = "http-status"
        /// 401 or 403: the target refused the credentials.
        case unauthorized
        /// Go answered 500 because another CPU profile or trace is running.
        case profilerBusy = "profiler-busy"
        /// The body is larger than the target's `maxArtifactBytes`.
        case tooLarge = "too-large"
        /// A 2xx body that is not what the endpoint serves (an HTML login page, a JSON error, noise).
        case unexpectedBody = "unexpected-body"
        /// The target answered with a redirect, which is never followed (credentials must not travel).
        case redirect
        /// The goroutine count could not be read, so the governor refused the `stacks` dump.
        case goroutineCountUnavailable = "goroutine-count-unavailable"
        /// The response violated HTTP.
        case protocolError = "protocol-error"
        /// Writing the temporary file failed.
        case localIO = "local-io"
        /// The capture was cancelled (e.g. shutdown).
        case cancelled
    }

    /// The class of problem.
    public var reason: Reason
    /// One sentence naming the target (redacted base URL), the endpoint and the problem.
    public var message: String

    /// Creates a failure.
    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
