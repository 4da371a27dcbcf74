import AsyncHTTPClient
import Foundation
import GBSnapCore
import Logging
import NIOCore
import NIOHTTP1
import Profiles

/// A complete body in the temporary directory.
struct StoredBody: Sendable {
    var path: String
    var bytes: Int64
    var sha256: String
}

/// What one fetch produced, before it becomes a `CapturedArtifact`.
struct FetchOutcome: Sendable {
    enum Result: Sendable {
        case stored(StoredBody)
        /// The first line of the body (governor mode).
        case firstLine(Substring)
        /// A 404 where the plan says it means "not supported".
        case notFound
        case failed(CaptureFailure)
        /// A 2xx body that is not what the endpoint serves: the failure, and the body's first bytes.
        case rejected(CaptureFailure, StoredBody)
    }

    var result: Result
    var httpStatus: Int?
    var contentType: String?
    var attempts: Int
    var startedAt: Date
    var duration: Duration
}

/// One failed attempt, classified.
struct AttemptFailure: Error {
    var reason: CaptureFailure.Reason
    /// The problem, as the end of a sentence (no target or endpoint).
    var detail: String
    /// Safe to retry given what may have reached the target.
    var retryable: Bool
    var httpStatus: Int?
    var contentType: String?
    /// The deadline passed before this attempt could send its request (after earlier attempts).
    var neverSent = false
    /// The first bytes of a rejected 2xx body, kept for the archive.
    var rejected: StoredBody?
}

/// Byte count shared between the body-reading task and the task that reports a deadline.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 0
    var bytes: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// Fetches planned endpoints of one prepared target: retries, deadlines, streaming to temp files.
struct ArtifactFetcher: Sendable {
    /// How a 2xx body is consumed.
    enum BodyMode: Sendable {
        /// Streamed into a new file in `directory`, hashed, capped at the target's byte limit.
        case file(directory: String)
        /// Only the first line (at most `firstLineLimit` bytes) is read, then the request is cancelled.
        case firstLine
    }

    static let maxAttempts = 3
    static let firstBackoff: Duration = .milliseconds(200)
    static let errorBodyLimit = 4096
    static let firstLineLimit = 4096

    let client: HTTPClient
    let target: PreparedTarget
    let logger: Logger

    /// Runs `fetch` with retries inside its deadline (total timeout plus its extra seconds).
    func run(_ fetch: PlannedFetch, mode: BodyMode) async -> FetchOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let startedAt = Date()
        let budget = target.totalTimeout + .seconds(fetch.extraSeconds)
        let deadline = start + budget
        var attempts = 0
        var backoff = Self.firstBackoff
        var previous: AttemptFailure?
        while true {
            attempts += 1
            do {
                let (result, status, contentType) = try await attempt(fetch, mode: mode, deadline: deadline, budget: budget)
                return FetchOutcome(
                    result: result, httpStatus: status, contentType: contentType, attempts: attempts,
                    startedAt: startedAt, duration: clock.now - start)
            } catch {
                let canRetry = error.retryable && attempts < Self.maxAttempts && !Task.isCancelled
                    && clock.now + backoff < deadline
                if canRetry {
                    logger.debug("retrying after a connection error", metadata: [
                        "target": "\(target.redacted)", "endpoint": "\(fetch.pathAndQuery)", "problem": "\(error.detail)",
                    ])
                    try? await Task.sleep(for: backoff)
                    backoff *= 2
                    previous = error
                    continue
                }
                var error = error
                var suffix = attempts > 1 ? " (\(attempts) attempts)" : ""
                if error.neverSent, var cause = previous {
                    // Report what went wrong, not that time ran out before asking again.
                    cause.detail += " (\(attempts - 1) attempt\(attempts == 2 ? "" : "s"); the deadline of \(format(budget)) passed before another)"
                    error = cause
                    suffix = ""
                }
                let failure = CaptureFailure(reason: error.reason, message: message(fetch, error.detail + suffix))
                return FetchOutcome(
                    result: error.rejected.map { .rejected(failure, $0) } ?? .failed(failure), httpStatus: error.httpStatus, contentType: error.contentType,
                    attempts: attempts, startedAt: startedAt, duration: clock.now - start)
            }
        }
    }

    /// One sentence naming target, endpoint and problem.
    func message(_ fetch: PlannedFetch, _ detail: String) -> String {
        "target \"\(target.name)\" at \(target.redacted): GET \(fetch.pathAndQuery): \(detail)"
    }

    // MARK: - One attempt

    private func attempt(_ fetch: PlannedFetch, mode: BodyMode, deadline: ContinuousClock.Instant, budget: Duration)
        async throws(AttemptFailure) -> (FetchOutcome.Result, Int?, String?)
    {
        var request = HTTPClientRequest(url: target.origin + fetch.pathAndQuery)
        request.method = .GET
        for (name, value) in target.headers { request.headers.add(name: name, value: value) }
        request.tlsConfiguration = target.tls

        let remaining = ContinuousClock().now.duration(to: deadline)
        guard remaining > .zero else {
            throw AttemptFailure(reason: .deadlineExceeded, detail: "the deadline of \(format(budget)) passed before the request could be sent",
                                 retryable: false, neverSent: true)
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .now() + .nanoseconds(remaining.totalNanoseconds), logger: logger)
        } catch {
            throw classifyHeadError(error, fetch: fetch, budget: budget)
        }

        let status = Int(response.status.code)
        let contentType = response.headers.first(name: "content-type")
        let contentLength = response.headers.first(name: "content-length").flatMap { Int64($0) }
        func failure(_ reason: CaptureFailure.Reason, _ detail: String, retryable: Bool = false) -> AttemptFailure {
            AttemptFailure(reason: reason, detail: detail, retryable: retryable, httpStatus: status, contentType: contentType)
        }

        guard (200..<300).contains(status) else {
            if status == 404 && fetch.notFoundMeansUnsupported {
                return (.notFound, status, contentType)
            }
            if (300..<400).contains(status) {
                let location = response.headers.first(name: "location").map { URLRedaction.redact($0) } ?? "an unnamed location"
                throw failure(.redirect, "HTTP \(status) redirect to \(location), and redirects are never followed")
            }
            let text = await readErrorBody(response.body, deadline: deadline)
            throw classifyStatus(status, body: text, fetch: fetch, failure: failure)
        }

        switch mode {
        case .firstLine:
            let progress = ProgressCounter()
            let body = response.body
            let line: Substring?
            do {
                line = try await Self.withDeadline(deadline) { try await Self.readFirstLine(body, limit: Self.firstLineLimit, progress: progress) }
            } catch {
                throw classifyBodyError(error, fetch: fetch, bytes: progress.bytes, contentLength: contentLength, status: status, contentType: contentType)
            }
            guard let line else {
                throw failure(.deadlineExceeded, "the first line of the body had not arrived when the deadline of \(format(budget)) passed")
            }
            return (.firstLine(line), status, contentType)

        case .file(let directory):
            if let contentLength, contentLength > target.maxBytes {
                throw failure(.tooLarge, "the announced body of \(contentLength) bytes exceeds the limit of \(target.maxBytes) bytes")
            }
            let stem = "\(UInt64.random(in: .min ... .max).hexPadded)-\(fetch.name)"
            let partPath = (directory as NSString).appendingPathComponent(stem + ".part")
            let finalPath = (directory as NSString).appendingPathComponent(stem)
            var kept = false
            defer { if !kept { try? SystemIO.unlinkIfPresent(partPath) } }
            let progress = ProgressCounter()
            let body = response.body
            let limit = target.maxBytes
            let stored: StoredBody?
            let expected = fetch.expected
            do {
                stored = try await Self.withDeadline(deadline) {
                    try await Self.streamToFile(body, path: partPath, limit: limit, progress: progress, expected: expected, contentType: contentType)
                }
            } catch BodyError.rejected(let mismatch, let head) {
                throw rejection(mismatch, head: head, fetch: fetch, path: finalPath + ".rejected", status: status, contentType: contentType)
            } catch {
                throw classifyBodyError(error, fetch: fetch, bytes: progress.bytes, contentLength: contentLength, status: status, contentType: contentType)
            }
            guard var stored else {
                throw failure(.deadlineExceeded, "the body was incomplete after \(progress.bytes) bytes when the deadline of \(format(budget)) passed")
            }
            if let contentLength, stored.bytes != contentLength {
                throw failure(.truncated, "the body ended after \(stored.bytes) of the \(contentLength) bytes announced by Content-Length")
            }
            do {
                try SystemIO.rename(partPath, finalPath)
            } catch {
                throw failure(.localIO, "could not rename the temporary file: \(error)")
            }
            kept = true
            stored.path = finalPath
            return (.stored(stored), status, contentType)
        }
    }

    // MARK: - Body readers (run as child tasks so a deadline can cancel them)

    /// Runs `operation`, returning nil if `deadline` passes first (the operation is then cancelled
    /// and awaited, so it has cleaned up when this returns).
    static func withDeadline<T: Sendable>(
        _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return nil }
            return first
        }
    }

    enum BodyError: Error {
        case tooLarge(limit: Int64)
        case localIO(String)
        /// The body's first bytes are not the expected format.
        case rejected(BodyMismatch, [UInt8])
    }

    /// Streams `body` into a new file at `path`, hashing it. With `expected`, its first
    /// `ArtifactSniffer.prefixBytes` are checked as soon as they (or the whole shorter body) have
    /// arrived, and a body that is something else stops the transfer.
    static func streamToFile(
        _ body: HTTPClientResponse.Body, path: String, limit: Int64, progress: ProgressCounter,
        expected: GoFormat? = nil, contentType: String? = nil
    ) async throws -> StoredBody {
        let fd: Int32
        do {
            fd = try SystemIO.createExclusive(path, mode: 0o600)
        } catch {
            throw BodyError.localIO("could not create a temporary file: \(error)")
        }
        var complete = false
        defer {
            SystemIO.close(fd)
            if !complete { try? SystemIO.unlinkIfPresent(path) }
        }
        var hasher = SHA256Hasher()
        var total: Int64 = 0
        var head: [UInt8] = []
        var checked = expected == nil
        func check() throws {
            checked = true
            if let expected, let mismatch = ArtifactSniffer.mismatch(head, expected: expected, contentType: contentType) {
                throw BodyError.rejected(mismatch, head)
            }
        }
        for try await chunk in body {
            total += Int64(chunk.readableBytes)
            progress.bytes = total
            if !checked {
                head.append(contentsOf: chunk.readableBytesView.prefix(ArtifactSniffer.prefixBytes - head.count))
                if head.count >= ArtifactSniffer.prefixBytes { try check() }
            }
            if total > limit { throw BodyError.tooLarge(limit: limit) }
            try chunk.withUnsafeReadableBytes { raw in
                hasher.update(raw)
                do {
                    try SystemIO.writeAll(fd, raw, path: path)
                } catch {
                    throw BodyError.localIO("could not write the temporary file: \(error)")
                }
            }
        }
        try Task.checkCancellation()
        if !checked { try check() }
        complete = true
        return StoredBody(path: path, bytes: total, sha256: hasher.finalizeHex())
    }

    /// Reads until the first newline or `limit` bytes, then stops (dropping the iterator cancels the request).
    static func readFirstLine(_ body: HTTPClientResponse.Body, limit: Int, progress: ProgressCounter) async throws -> Substring {
        var collected: [UInt8] = []
        for try await chunk in body {
            collected.append(contentsOf: chunk.readableBytesView)
            progress.bytes = Int64(collected.count)
            if let newline = collected.firstIndex(of: UInt8(ascii: "\n")) {
                return Substring(decoding: collected[..<newline], as: UTF8.self)
            }
            if collected.count >= limit { break }
        }
        return Substring(decoding: collected.prefix(limit), as: UTF8.self)
    }

    /// First `errorBodyLimit` bytes of an error body as one trimmed line; "" if it does not arrive in time.
    private func readErrorBody(_ body: HTTPClientResponse.Body, deadline: ContinuousClock.Instant) async -> String {
        let limit = Self.errorBodyLimit
        let text: String?? = try? await Self.withDeadline(deadline) { () async throws -> String in
            var collected: [UInt8] = []
            for try await chunk in body {
                collected.append(contentsOf: chunk.readableBytesView.prefix(limit - collected.count))
                if collected.count >= limit { break }
            }
            return String(decoding: collected, as: UTF8.self)
        }
        return Self.oneLine((text ?? nil) ?? "")
    }

    /// Collapses a server message into one printable line of at most 200 characters.
    static func oneLine(_ text: String) -> String {
        let printable = text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
        let collapsed = printable.split(whereSeparator: { $0 == " " }).joined(separator: " ")
        return collapsed.count > 200 ? String(collapsed.prefix(200)) + "…" : collapsed
    }

    // MARK: - Classification

    /// The failure for a 2xx body that is not what the endpoint serves, keeping its first bytes
    /// at `path` for the archive (without them if they cannot be written).
    private func rejection(_ mismatch: BodyMismatch, head: [UInt8], fetch: PlannedFetch, path: String, status: Int, contentType: String?)
        -> AttemptFailure
    {
        var failure = AttemptFailure(reason: .unexpectedBody, detail: mismatch.description, retryable: false,
                                     httpStatus: status, contentType: contentType)
        guard !head.isEmpty else { return failure }
        do {
            try SystemIO.writeFileAtomically(path, bytes: head)
            var hasher = SHA256Hasher()
            hasher.update(head)
            failure.rejected = StoredBody(path: path, bytes: Int64(head.count), sha256: hasher.finalizeHex())
            failure.detail += " (its first \(head.count) bytes are kept as \(CapturedArtifact.rejectedMemberName(fetch.name)))"
        } catch {
            logger.warning("could not keep the start of a rejected body", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        return failure
    }

    private func classifyStatus(
        _ status: Int, body: String, fetch: PlannedFetch,
        failure: (CaptureFailure.Reason, String, Bool) -> AttemptFailure
    ) -> AttemptFailure {
        let lowered = body.lowercased()
        if status == 500, lowered.contains("already in use") || lowered.contains("already enabled") {
            let what = fetch.kind == .trace || lowered.contains("tracing") || lowered.contains("tracer")
                ? "another execution trace is already running on \(target.redacted)"
                : "another CPU profile is already running on \(target.redacted)"
            return failure(.profilerBusy, "\(what) (HTTP 500: \(body))", false)
        }
        if status == 401 || status == 403 {
            return failure(.unauthorized, "HTTP \(status): the target refused the request's credentials", false)
        }
        let said = body.isEmpty ? "" : ": \(body)"
        return failure(.httpStatus, "HTTP \(status)\(said)", false)
    }

    private func classifyHeadError(_ error: any Error, fetch: PlannedFetch, budget: Duration) -> AttemptFailure {
        let connect = format(target.connectTimeout)
        switch ErrorClass(error) {
        case .refused:
            return AttemptFailure(reason: .connectionRefused, detail: "connection refused", retryable: true)
        case .dns:
            return AttemptFailure(reason: .dnsFailure, detail: "the host name could not be resolved", retryable: true)
        case .connectTimeout:
            return AttemptFailure(reason: .connectTimeout, detail: "no connection within the connect timeout of \(connect)", retryable: true)
        case .deadline:
            return AttemptFailure(reason: .deadlineExceeded, detail: "no response headers within the deadline of \(format(budget))", retryable: false)
        case .closed:
            return AttemptFailure(
                reason: .connectionLost, detail: "the connection was closed or reset before the response headers arrived",
                retryable: !fetch.mayStartProfile)
        case .tls(let detail):
            return AttemptFailure(reason: .tlsFailure, detail: "TLS failed: \(detail)", retryable: false)
        case .clientCertificateRefused(let alert):
            return AttemptFailure(reason: .tlsFailure, detail: "TLS failed: \(clientCertificateRefusal(alert))", retryable: false)
        case .cancelled:
            return AttemptFailure(reason: .cancelled, detail: "the capture was cancelled", retryable: false)
        case .protocolError(let detail):
            return AttemptFailure(reason: .protocolError, detail: "the response is not valid HTTP (\(detail))", retryable: false)
        case .other(let detail):
            return AttemptFailure(reason: .connectionFailed, detail: "the request failed: \(detail)", retryable: false)
        }
    }

    /// Why the server refused the handshake, naming the configured client certificate if any.
    private func clientCertificateRefusal(_ alert: String) -> String {
        guard let certificate = target.clientCertificateFile else {
            return "the server requires a client certificate and none is configured (it refused the handshake with TLS alert \(alert))"
        }
        return "the server refused the client certificate \"\(certificate)\" (TLS alert \(alert)); it accepts only certificates signed by a CA it trusts, unexpired and unrevoked"
    }

    private func classifyBodyError(
        _ error: any Error, fetch: PlannedFetch, bytes: Int64, contentLength: Int64?, status: Int, contentType: String?
    ) -> AttemptFailure {
        func failure(_ reason: CaptureFailure.Reason, _ detail: String, retryable: Bool = false) -> AttemptFailure {
            AttemptFailure(reason: reason, detail: detail, retryable: retryable, httpStatus: status, contentType: contentType)
        }
        switch error {
        case BodyError.tooLarge(let limit):
            return failure(.tooLarge, "the body exceeded the limit of \(limit) bytes and was discarded")
        case BodyError.localIO(let detail):
            return failure(.localIO, detail)
        default:
            break
        }
        switch ErrorClass(error) {
        case .cancelled:
            return failure(.cancelled, "the capture was cancelled after \(bytes) bytes of the body")
        case .tls(let detail):
            return failure(.tlsFailure, "TLS failed after \(bytes) bytes of the body: \(detail)")
        case .clientCertificateRefused(let alert):
            return failure(.tlsFailure, "TLS failed after \(bytes) bytes of the body: \(clientCertificateRefusal(alert))")
        default:
            if let contentLength, bytes < contentLength {
                return failure(.truncated, "the body ended after \(bytes) of the \(contentLength) bytes announced by Content-Length")
            }
            return failure(.connectionLost, "the connection was closed or reset after \(bytes) bytes of the body", retryable: !fetch.mayStartProfile)
        }
    }
}

/// Coarse classes of the errors AsyncHTTPClient and NIO throw.
enum ErrorClass {
    case refused, dns, connectTimeout, deadline, closed, cancelled
    case tls(String)
    /// The server refused the client certificate, or its absence, with this TLS alert.
    case clientCertificateRefused(alert: String)
    case protocolError(String)
    case other(String)

    init(_ error: any Error) {
        self = ErrorClassifier.classify(error)
    }
}

extension Duration {
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : nanos &+ attoseconds / 1_000_000_000
    }
}

/// `30s`, `1.5s`, `250ms`.
func format(_ duration: Duration) -> String {
    let ms = duration.totalNanoseconds / 1_000_000
    if ms < 1000 { return "\(ms)ms" }
    if ms % 1000 == 0 { return "\(ms / 1000)s" }
    return String(format: "%.1fs", Double(ms) / 1000)
}

extension UInt64 {
    var hexPadded: String {
        let s = String(self, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
