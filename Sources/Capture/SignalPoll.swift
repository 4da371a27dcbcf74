import AsyncHTTPClient
import Foundation
import GBSnapCore
import NIOCore

/// A target made ready for cheap polls (a trigger's signal): credentials loaded and TLS built once,
/// so polling every few seconds reads no files. Never logged.
public struct PollTarget: Sendable {
    let prepared: PreparedTarget

    /// The target's name.
    public var name: String { prepared.name }
    /// The base URL without credentials, the only form of it that appears in messages.
    public var redactedURL: String { prepared.redacted }
    /// `basePath + pprofPrefix + "/"`: the pprof index page, which prints each profile's count.
    public var pprofIndexPath: String { prepared.basePath + prepared.pprofPrefix + "/" }
    /// The first line of `goroutine?debug=1` holds the goroutine count (the index page's fallback).
    public var goroutineDebug1Path: String { prepared.basePath + prepared.pprofPrefix + "/goroutine?debug=1" }
    /// The expvar endpoint.
    public var varsPath: String { prepared.basePath + prepared.varsPath }
    /// `path` (e.g. `/metrics`) under the target's base path.
    public func path(_ path: String) -> String { prepared.basePath + path }
}

/// What one poll returned.
public enum PollResult: Sendable {
    /// A 2xx body (at most the poll's byte limit; `truncated` when it was longer).
    case body(String, truncated: Bool)
    /// No answer, a non-2xx status (`httpStatus`) or a deadline passed; one sentence naming target, path and problem.
    case failed(String, httpStatus: Int?)
}

extension Capturer {
    /// Prepares `target` for polls; throws what `validate` throws.
    public static func pollTarget(_ target: TargetSpec) throws(CaptureConfigurationError) -> PollTarget {
        PollTarget(prepared: try PreparedTarget.prepare(CaptureRequest(target: target, kinds: [])))
    }

    /// One GET of `path` on `target` with a short `timeout` and no retry (the next poll is the retry),
    /// reading at most `limit` bytes. Never throws: failures are a `.failed` sentence.
    public func poll(_ target: PollTarget, path: String, timeout: Duration, limit: Int) async -> PollResult {
        let t = target.prepared
        func failed(_ detail: String, status: Int? = nil) -> PollResult {
            .failed("target \"\(t.name)\" at \(t.redacted): GET \(path): \(detail)", httpStatus: status)
        }
        guard let client = clients.client(connectTimeout: min(t.connectTimeout, timeout)) else {
            return failed("the daemon is shutting down")
        }
        var request = HTTPClientRequest(url: t.origin + path)
        request.method = .GET
        for (name, value) in t.headers { request.headers.add(name: name, value: value) }
        request.tlsConfiguration = t.tls
        let deadline = ContinuousClock().now + timeout
        let prepared = request
        do {
            let read: (status: UInt, body: [UInt8], truncated: Bool)? = try await ArtifactFetcher.withDeadline(deadline) {
                let response = try await client.execute(prepared, deadline: .now() + .nanoseconds(timeout.totalNanoseconds), logger: self.logger)
                var collected: [UInt8] = []
                var truncated = false
                for try await chunk in response.body {
                    collected.append(contentsOf: chunk.readableBytesView.prefix(limit - collected.count))
                    if collected.count >= limit { truncated = true; break }
                }
                return (response.status.code, collected, truncated)
            }
            guard let read else { return failed("no answer within \(format(timeout))") }
            guard (200..<300).contains(read.status) else { return failed("HTTP \(read.status)", status: Int(read.status)) }
            return .body(String(decoding: read.body, as: UTF8.self), truncated: read.truncated)
        } catch {
            return failed(ArtifactFetcher.oneLine("\(error)"))
        }
    }
}
