/// A failed S3 operation, with one sentence that names the endpoint, the operation and what to do.
public struct S3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// 403 SignatureDoesNotMatch: wrong secret (or a signing bug).
        case signatureMismatch = "signature-mismatch"
        /// 403 InvalidAccessKeyId: the endpoint does not know the key.
        case unknownAccessKey = "unknown-access-key"
        /// 403 RequestTimeTooSkewed: this machine's clock is off.
        case clockSkew = "clock-skew"
        /// 400/403 ExpiredToken, InvalidToken: the session token is stale or wrong.
        case invalidToken = "invalid-token"
        /// 403 AccessDenied and other refusals: the key's policy does not allow the operation.
        case accessDenied = "access-denied"
        /// 404 NoSuchBucket.
        case noSuchBucket = "no-such-bucket"
        /// 404 NoSuchKey (or a 404 without a body).
        case noSuchKey = "no-such-key"
        /// 404 NoSuchUpload: the multipart upload is gone.
        case noSuchUpload = "no-such-upload"
        /// 301/307 PermanentRedirect, AuthorizationHeaderMalformed about the region: the bucket is elsewhere.
        case wrongRegion = "wrong-region"
        /// 416: the range starts past the object's end.
        case invalidRange = "invalid-range"
        /// 500/503/SlowDown or dropped connections until the attempts ran out.
        case unavailable
        /// No answer within the request timeout.
        case timeout
        /// The endpoint cannot be reached (refused, DNS, TLS).
        case connection
        /// A 2xx answer that is not what S3 sends (bad XML, missing ETag).
        case invalidResponse = "invalid-response"
        /// A local file to upload or download to cannot be read or written.
        case localFile = "local-file"
        /// Any other S3 error answer.
        case other
    }

    /// The class of problem.
    public var reason: Reason
    /// The sentence: `S3 at ENDPOINT: OPERATION: problem`.
    public var message: String
    /// The HTTP status, when there was an answer.
    public var httpStatus: Int?
    /// S3's error code (`NoSuchBucket`, …), when the answer had one.
    public var code: String?
    /// How many attempts were made.
    public var attempts: Int

    /// Creates an error.
    public init(reason: Reason, message: String, httpStatus: Int? = nil, code: String? = nil, attempts: Int = 1) {
        self.reason = reason
        self.message = message
        self.httpStatus = httpStatus
        self.code = code
        self.attempts = attempts
    }

    /// The sentence.
    public var description: String { message }
}
