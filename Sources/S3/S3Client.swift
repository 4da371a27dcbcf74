import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SigV4

/// An S3 client over AsyncHTTPClient: every request signed with SigV4, retried with backoff and full jitter on
/// 500/503/SlowDown and dropped connections, and failing with one sentence. Call `shutdown()` when done.
public final class S3Client: Sendable {
    /// The configuration it was made with.
    public let configuration: S3Configuration
    let http: HTTPClient
    let signer: SigV4Signer
    let logger: Logger
    /// The largest error or listing body read into memory.
    static let bodyLimit = 16 * 1024 * 1024

    /// Creates a client; reads the CA file when there is one.
    public init(configuration: S3Configuration, logger: Logger = Logger(label: "gbsnap.s3")) throws(S3Error) {
        self.configuration = configuration
        self.logger = logger
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw S3Error(reason: .localFile, message: "CA file \(caFile) does not hold PEM certificates: \(error)")
            }
        }
        var pool = HTTPClient.Configuration.ConnectionPool()
        // The client retries itself, knowing which requests are safe to repeat.
        pool.retryConnectionEstablishment = false
        var http = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(configuration.connectTimeout.nanoseconds)),
            connectionPool: pool, decompression: .disabled)
        http.httpVersion = .http1Only
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http, backgroundActivityLogger: logger)
    }

    /// Closes the connections.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: - Objects

    /// PUT one object from memory with its payload hash signed, under `condition`.
    public func putObject(bucket: String, key: String, bytes: [UInt8], contentType: String = "application/octet-stream",
                          condition: S3WriteCondition = .none) async throws(S3Error) -> S3WriteResult {
        try await putObject(bucket: bucket, key: key, body: ByteBuffer(bytes: bytes), contentType: contentType, condition: condition)
    }

    /// PUT one object from `body`, sent as it is (each attempt a copy-on-write view of it), under `condition`.
    func putObject(bucket: String, key: String, body: ByteBuffer, contentType: String,
                   condition: S3WriteCondition) async throws(S3Error) -> S3WriteResult {
        var call = Call(method: .PUT, bucket: bucket, key: key, body: body)
        call.headers = [("content-type", contentType)] + condition.headers
        call.acceptPreconditionFailed = condition != .none
        let response = try await perform(call)
        if response.status == 412 {
            // A retried conditional PUT may meet its own first attempt: the same bytes under the key count as written.
            if response.attempts > 1, case .ifNoneMatch = condition, let info = try await headObject(bucket: bucket, key: key),
               info.etag == "\"\(SigV4.hex(body.withUnsafeReadableBytes { Insecure.MD5.hash(data: $0) }))\"" {
                return .written(etag: info.etag)
            }
            return .preconditionFailed
        }
        return .written(etag: try etag(response, call))
    }

    /// Uploads the file at `path`: one PUT up to `multipartThreshold`, else a multipart upload whose parts are read
    /// from the file one at a time (memory stays at one part), each retried on its own. A failed multipart upload
    /// is aborted, so no half-written object is ever visible. `condition` applies to the final object.
    public func uploadFile(bucket: String, key: String, path: String, contentType: String = "application/octet-stream",
                           condition: S3WriteCondition = .none) async throws(S3Error) -> S3WriteResult {
        let size = try await Self.fileSize(path)
        if size <= configuration.multipartThreshold {
            let body = try await Self.readFile(path, offset: 0, count: Int(size))
            return try await putObject(bucket: bucket, key: key, body: body, contentType: contentType, condition: condition)
        }
        return try await multipartUpload(bucket: bucket, key: key, path: path, size: size, contentType: contentType, condition: condition)
    }

    /// GETs a whole object (or `range` of it) into memory; for small objects such as manifests, pins and leases.
    public func getObject(bucket: String, key: String, range: S3ByteRange? = nil) async throws(S3Error) -> S3ObjectData {
        var call = Call(method: .GET, bucket: bucket, key: key)
        if let range { call.headers.append(("range", range.description)) }
        let response = try await perform(call)
        let total = response.headers.first(name: "content-range").flatMap { $0.split(separator: "/").last.flatMap { Int64($0) } }
            ?? Int64(response.body.count)
        return S3ObjectData(bytes: response.body, etag: try etag(response, call), totalSize: total,
                            serverDate: response.headers.first(name: "date").flatMap(Self.parseHTTPDate))
    }

    /// The endpoint's clock: the `Date` header of a HEAD of the bucket. Leases judge expiry by it, so a host whose
    /// clock is off cannot take over a live lease.
    public func serverDate(bucket: String) async throws(S3Error) -> Date {
        let call = Call(method: .HEAD, bucket: bucket, key: nil)
        let response = try await perform(call)
        guard let date = response.headers.first(name: "date").flatMap(Self.parseHTTPDate) else {
            throw S3Error(reason: .invalidResponse, message: "\(prefix(call)): the answer has no Date header", httpStatus: response.status)
        }
        return date
    }

    /// An HTTP date (`Wed, 02 Dec 2026 17:39:59 GMT`, RFC 9110 IMF-fixdate).
    static func parseHTTPDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// GETs an object (or `range` of it) into the file at `path`, streamed; a retry starts the file again.
    /// Returns the object's ETag and the bytes written.
    @discardableResult
    public func downloadObject(bucket: String, key: String, to path: String, range: S3ByteRange? = nil) async throws(S3Error) -> (etag: String, bytes: Int64) {
        var call = Call(method: .GET, bucket: bucket, key: key)
        if let range { call.headers.append(("range", range.description)) }
        return try await withRetries(call) { response, attempt throws(AttemptFailure) in
            let writer: FileSink
            do { writer = try await FileSink(path: path) } catch {
                throw AttemptFailure(error: S3Error(reason: .localFile, message: "\(self.prefix(call)): cannot write \(path): \(error)"), retryable: false)
            }
            var written: Int64 = 0
            do {
                for try await chunk in response.body {
                    try await writer.write(chunk)
                    written += Int64(chunk.readableBytes)
                }
                try await writer.close()
            } catch let error as FileSinkError {
                await writer.abandon()
                throw AttemptFailure(error: S3Error(reason: .localFile, message: "\(self.prefix(call)): cannot write \(path): \(error.detail)"), retryable: false)
            } catch {
                await writer.abandon()
                throw self.transportFailure(error, call, attempt: attempt)
            }
            guard let etag = response.headers.first(name: "etag") else {
                throw AttemptFailure(error: S3Error(reason: .invalidResponse, message: "\(self.prefix(call)): the answer has no ETag"), retryable: false)
            }
            return (etag, written)
        }
    }

    /// GETs an object (or `range` of it) and hands its body to `consume` chunk by chunk as it arrives, in order.
    /// A failure before the first chunk is retried; after it, the error is thrown (the consumer has seen part of
    /// the body). Returns the object's ETag.
    @discardableResult
    public func streamObject(bucket: String, key: String, range: S3ByteRange? = nil,
                             _ consume: @Sendable (ByteBuffer) async throws -> Void) async throws(S3Error) -> String {
        var call = Call(method: .GET, bucket: bucket, key: key)
        if let range { call.headers.append(("range", range.description)) }
        return try await withRetries(call) { response, attempt throws(AttemptFailure) in
            guard let etag = response.headers.first(name: "etag") else {
                throw AttemptFailure(error: S3Error(reason: .invalidResponse, message: "\(self.prefix(call)): the answer has no ETag"), retryable: false)
            }
            var delivered = false
            do {
                for try await chunk in response.body {
                    delivered = true
                    do { try await consume(chunk) } catch {
                        throw AttemptFailure(error: S3Error(reason: .other, message: "\(self.prefix(call)): the reader stopped: \(error)"), retryable: false)
                    }
                }
            } catch let failure as AttemptFailure {
                throw failure
            } catch {
                var failure = self.transportFailure(error, call, attempt: attempt)
                failure.retryable = failure.retryable && !delivered
                throw failure
            }
            return etag
        }
    }

    /// HEADs an object: its size and ETag, or nil when there is no such key.
    public func headObject(bucket: String, key: String) async throws(S3Error) -> S3ObjectInfo? {
        var call = Call(method: .HEAD, bucket: bucket, key: key)
        call.acceptNotFound = true
        let response = try await perform(call)
        if response.status == 404 { return nil }
        let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
        return S3ObjectInfo(key: key, size: size, etag: try etag(response, call), lastModified: response.headers.first(name: "last-modified"))
    }

    /// DELETEs an object; deleting a key that does not exist succeeds (as in S3).
    public func deleteObject(bucket: String, key: String) async throws(S3Error) {
        _ = try await perform(Call(method: .DELETE, bucket: bucket, key: key))
    }

    /// Deletes up to 1,000 keys in one DeleteObjects request; returns the keys S3 could not delete, with its reason.
    public func deleteObjects(bucket: String, keys: [String]) async throws(S3Error) -> [(key: String, problem: String)] {
        precondition(keys.count <= 1000, "DeleteObjects takes at most 1,000 keys")
        if keys.isEmpty { return [] }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(Self.escapeXML(key))</Key></Object>" }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        var call = Call(method: .POST, bucket: bucket, key: nil, query: [SigV4QueryItem("delete")], body: ByteBuffer(bytes: body))
        call.headers = [("content-type", "application/xml"),
                        ("content-md5", Data(Insecure.MD5.hash(data: body)).base64EncodedString())]
        let response = try await perform(call)
        guard let root = XMLElement.parse(response.body) else { throw invalidXML(call) }
        return root.children("Error").map { (key: $0.value("Key") ?? "", problem: "\($0.value("Code") ?? "error"): \($0.value("Message") ?? "")") }
    }

    /// One page of ListObjectsV2 under `prefix`.
    public func listObjects(bucket: String, prefix: String = "", delimiter: String? = nil, continuationToken: String? = nil,
                            maxKeys: Int? = nil) async throws(S3Error) -> S3ListPage {
        var query = [SigV4QueryItem("list-type", "2")]
        if !prefix.isEmpty { query.append(SigV4QueryItem("prefix", prefix)) }
        if let delimiter { query.append(SigV4QueryItem("delimiter", delimiter)) }
        if let continuationToken { query.append(SigV4QueryItem("continuation-token", continuationToken)) }
        if let maxKeys { query.append(SigV4QueryItem("max-keys", String(maxKeys))) }
        let call = Call(method: .GET, bucket: bucket, key: nil, query: query)
        let response = try await perform(call)
        guard let root = XMLElement.parse(response.body), root.name == "ListBucketResult" else { throw invalidXML(call) }
        let objects = root.children("Contents").map {
            S3ObjectInfo(key: $0.value("Key") ?? "", size: Int64($0.value("Size") ?? "") ?? 0, etag: $0.value("ETag") ?? "",
                         lastModified: $0.value("LastModified"))
        }
        let truncated = root.value("IsTruncated") == "true"
        let token = truncated ? root.value("NextContinuationToken") : nil
        if truncated && token == nil { throw invalidXML(call, "a truncated listing without NextContinuationToken") }
        return S3ListPage(objects: objects, commonPrefixes: root.children("CommonPrefixes").compactMap { $0.value("Prefix") },
                          nextContinuationToken: token)
    }

    /// Every object under `prefix`, following continuation tokens page by page.
    public func listAllObjects(bucket: String, prefix: String = "", pageSize: Int? = nil) async throws(S3Error) -> [S3ObjectInfo] {
        var all: [S3ObjectInfo] = []
        var token: String?
        repeat {
            let page = try await listObjects(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            all += page.objects
            token = page.nextContinuationToken
        } while token != nil
        return all
    }

    /// Multipart uploads under `prefix` that were started and neither completed nor aborted (key, upload id).
    public func listMultipartUploads(bucket: String, prefix: String = "") async throws(S3Error) -> [(key: String, uploadID: String)] {
        var query = [SigV4QueryItem("uploads")]
        if !prefix.isEmpty { query.append(SigV4QueryItem("prefix", prefix)) }
        let call = Call(method: .GET, bucket: bucket, key: nil, query: query)
        let response = try await perform(call)
        guard let root = XMLElement.parse(response.body) else { throw invalidXML(call) }
        return root.children("Upload").map { (key: $0.value("Key") ?? "", uploadID: $0.value("UploadId") ?? "") }
    }

    // MARK: - Buckets

    /// Creates a bucket (tests and first-time setup); an existing bucket of one's own is not an error.
    public func createBucket(_ bucket: String) async throws(S3Error) {
        var body = ByteBuffer()
        if configuration.region != "us-east-1" {
            body = ByteBuffer(string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>")
        }
        var call = Call(method: .PUT, bucket: bucket, key: nil, body: body)
        call.acceptCodes = ["BucketAlreadyOwnedByYou"]
        _ = try await perform(call)
    }

    // MARK: - Multipart

    private func multipartUpload(bucket: String, key: String, path: String, size: Int64, contentType: String,
                                 condition: S3WriteCondition) async throws(S3Error) -> S3WriteResult {
        var create = Call(method: .POST, bucket: bucket, key: key, query: [SigV4QueryItem("uploads")])
        create.headers = [("content-type", contentType)]
        let created = try await perform(create)
        guard let uploadID = XMLElement.parse(created.body)?.value("UploadId") else { throw invalidXML(create, "no UploadId") }
        do throws(S3Error) {
            var parts: [(number: Int, etag: String)] = []
            var offset: Int64 = 0
            var number = 1
            while offset < size {
                let count = Int(min(Int64(configuration.partSize), size - offset))
                let body = try await Self.readFile(path, offset: offset, count: count)
                let call = Call(method: .PUT, bucket: bucket, key: key,
                                query: [SigV4QueryItem("partNumber", String(number)), SigV4QueryItem("uploadId", uploadID)], body: body)
                parts.append((number, try etag(try await perform(call), call)))
                offset += Int64(count)
                number += 1
            }
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for part in parts { xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(Self.escapeXML(part.etag))</ETag></Part>" }
            xml += "</CompleteMultipartUpload>"
            var complete = Call(method: .POST, bucket: bucket, key: key, query: [SigV4QueryItem("uploadId", uploadID)], body: ByteBuffer(string: xml))
            complete.headers = [("content-type", "application/xml")] + condition.headers
            complete.acceptPreconditionFailed = condition != .none
            let response: Response
            do throws(S3Error) {
                response = try await perform(complete)
            } catch where error.reason == .noSuchUpload && error.attempts > 1 {
                // The first attempt completed the upload but its answer was lost: the object is there.
                guard let info = try await headObject(bucket: bucket, key: key), info.size == size else { throw error }
                return .written(etag: info.etag)
            }
            if response.status == 412 {
                await abort(bucket: bucket, key: key, uploadID: uploadID)
                return .preconditionFailed
            }
            // CompleteMultipartUpload can fail after its 200 status line: the error is in the body.
            guard let root = XMLElement.parse(response.body) else { throw invalidXML(complete) }
            if root.name == "Error" {
                throw classify(status: 500, body: response.body, complete, attempts: response.attempts)
            }
            if let etag = root.value("ETag") { return .written(etag: etag) }
            return .written(etag: try etag(response, complete))
        } catch {
            await abort(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Aborts a multipart upload, best effort: a failure here leaves an invisible upload that a lifecycle rule reaps.
    private func abort(bucket: String, key: String, uploadID: String) async {
        let call = Call(method: .DELETE, bucket: bucket, key: key, query: [SigV4QueryItem("uploadId", uploadID)])
        do { _ = try await perform(call) } catch {
            logger.warning("could not abort a multipart upload", metadata: ["key": "\(key)", "upload": "\(uploadID)", "problem": "\(error)"])
        }
    }
}

// MARK: - Requests

extension S3Client {
    /// One S3 request, before signing.
    struct Call: Sendable {
        var method: HTTPMethod
        var bucket: String
        /// nil for bucket-level requests.
        var key: String?
        var query: [SigV4QueryItem] = []
        var headers: [(String, String)] = []
        /// Sent as it is: every attempt sends a copy-on-write view of the same buffer.
        var body = ByteBuffer()
        /// 412 is an answer, not an error.
        var acceptPreconditionFailed = false
        /// 404 is an answer (HEAD).
        var acceptNotFound = false
        /// Error codes that count as success.
        var acceptCodes: Set<String> = []
    }

    /// A complete answer.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var attempts: Int
    }

    /// An attempt's failure and whether another attempt may help.
    struct AttemptFailure: Error {
        var error: S3Error
        var retryable: Bool
    }

    /// `s3://bucket/key` for messages.
    func objectName(_ call: Call) -> String {
        call.key.map { "s3://\(call.bucket)/\($0)" } ?? "s3://\(call.bucket)"
    }

    /// `S3 at ENDPOINT: METHOD s3://bucket/key` — the start of every message.
    func prefix(_ call: Call) -> String {
        let sub = call.query.first { ["uploads", "uploadId", "delete", "list-type"].contains($0.name) }.map { name -> String in
            switch name.name {
            case "uploads": return " (start multipart upload)"
            case "uploadId": return call.query.contains { $0.name == "partNumber" } ? " (upload part \(call.query.first { $0.name == "partNumber" }!.value))"
                : call.method == .DELETE ? " (abort multipart upload)" : " (complete multipart upload)"
            case "delete": return " (delete objects)"
            default: return " (list)"
            }
        } ?? ""
        return "S3 at \(configuration.endpoint): \(call.method.rawValue) \(objectName(call))\(sub)"
    }

    /// Sends `call` with retries and reads the whole answer (at most `bodyLimit` bytes).
    func perform(_ call: Call) async throws(S3Error) -> Response {
        try await withRetries(call) { response, attempt throws(AttemptFailure) in
            var body: [UInt8] = []
            do {
                for try await chunk in response.body {
                    if body.count + chunk.readableBytes > Self.bodyLimit {
                        throw AttemptFailure(error: S3Error(reason: .invalidResponse, message: "\(self.prefix(call)): the answer is larger than \(Self.bodyLimit) bytes"), retryable: false)
                    }
                    body += chunk.readableBytesView
                }
            } catch let failure as AttemptFailure {
                throw failure
            } catch {
                throw self.transportFailure(error, call, attempt: attempt)
            }
            return Response(status: Int(response.status.code), headers: response.headers, body: body, attempts: attempt)
        }
    }

    /// Signs and sends `call` until it succeeds, a failure is final, or the attempts run out; `handle` reads a
    /// successful (or accepted) answer. Error answers are read and classified here.
    func withRetries<T>(_ call: Call, _ handle: (HTTPClientResponse, Int) async throws(AttemptFailure) -> T) async throws(S3Error) -> T {
        var attempt = 0
        var backoff = configuration.firstBackoff
        // Hashed once, in place, for every attempt's signature.
        let payload = SigV4Payload.sha256(SigV4.hex(call.body.withUnsafeReadableBytes { SHA256.hash(data: $0) }))
        while true {
            attempt += 1
            do throws(AttemptFailure) {
                return try await once(call, payload: payload, attempt: attempt, handle)
            } catch {
                var failure = error.error
                failure.attempts = attempt
                guard error.retryable, attempt < configuration.maxAttempts, !Task.isCancelled else {
                    if error.retryable, attempt > 1 { failure.message += " (\(attempt) attempts)" }
                    throw failure
                }
                let ceiling = min(backoff, configuration.maxBackoff)
                let delay = Duration.nanoseconds(Int64.random(in: 0...max(1, ceiling.nanoseconds)))
                logger.debug("retrying an S3 request", metadata: ["request": "\(prefix(call))", "problem": "\(failure.message)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: delay)
                backoff *= 2
            }
        }
    }

    private func once<T>(_ call: Call, payload: SigV4Payload, attempt: Int, _ handle: (HTTPClientResponse, Int) async throws(AttemptFailure) -> T) async throws(AttemptFailure) -> T {
        let endpoint = configuration.endpoint
        let (host, path) = target(bucket: call.bucket, key: call.key)
        let signed = signer.sign(SigV4Request(method: call.method.rawValue, path: path, query: call.query,
                                              headers: [(name: "host", value: host)] + call.headers.map { (name: $0.0, value: $0.1) }),
                                 payload: payload, at: Date())
        var url = "\(endpoint.scheme)://\(host)\(signed.encodedPath)"
        if !signed.encodedQuery.isEmpty { url += "?\(signed.encodedQuery)" }
        var request = HTTPClientRequest(url: url)
        request.method = call.method
        for (name, value) in signed.headers { request.headers.replaceOrAdd(name: name, value: value) }
        if call.body.readableBytes > 0 || call.method == .PUT || call.method == .POST {
            request.body = .bytes(call.body)
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .now() + .nanoseconds(configuration.requestTimeout.nanoseconds), logger: logger)
        } catch {
            throw transportFailure(error, call, attempt: attempt)
        }
        let status = Int(response.status.code)
        if (200..<300).contains(status) || (status == 412 && call.acceptPreconditionFailed) || (status == 404 && call.acceptNotFound) {
            return try await handle(response, attempt)
        }
        var body: [UInt8] = []
        do {
            for try await chunk in response.body where body.count < 64 * 1024 { body += chunk.readableBytesView }
        } catch {
            throw transportFailure(error, call, attempt: attempt)
        }
        if let code = XMLElement.parse(body)?.value("Code"), call.acceptCodes.contains(code) {
            return try await handle(HTTPClientResponse(status: .ok, headers: response.headers, body: .bytes(ByteBuffer())), attempt)
        }
        let error = classify(status: status, body: body, call, attempts: attempt)
        throw AttemptFailure(error: error, retryable: [500, 502, 503, 504].contains(status) || error.code == "SlowDown"
                             || error.code == "InternalError" || error.code == "RequestTimeout")
    }

    /// The `Host` header and the decoded path of a request: `/BUCKET/KEY` on the endpoint (path-style), or `/KEY`
    /// on `BUCKET.ENDPOINT` (virtual-hosted).
    func target(bucket: String, key: String?) -> (host: String, path: String) {
        let endpoint = configuration.endpoint
        switch configuration.addressing {
        case .path:
            return (endpoint.authority(), "/\(bucket)" + (key.map { "/\($0)" } ?? ""))
        case .virtualHosted:
            return (endpoint.authority(host: "\(bucket).\(endpoint.host)"), "/" + (key ?? ""))
        }
    }

    /// The sentence for an error answer.
    func classify(status: Int, body: [UInt8], _ call: Call, attempts: Int) -> S3Error {
        let xml = XMLElement.parse(body)
        let code = xml?.value("Code")
        let s3Message = xml?.value("Message").map { " (S3 says: \($0))" } ?? ""
        let key = configuration.credentials.accessKeyID
        let start = prefix(call)
        func error(_ reason: S3Error.Reason, _ problem: String) -> S3Error {
            S3Error(reason: reason, message: "\(start): \(problem)", httpStatus: status, code: code, attempts: attempts)
        }
        switch (status, code) {
        case (_, "SignatureDoesNotMatch"):
            return error(.signatureMismatch, "HTTP 403: the signature does not match for access key \(key): check that the secret access key belongs to that key id, and that this machine's clock is right")
        case (_, "InvalidAccessKeyId"):
            return error(.unknownAccessKey, "HTTP 403: the endpoint does not know access key \(key): check AWS_ACCESS_KEY_ID (or access_key_id) and the endpoint")
        case (_, "RequestTimeTooSkewed"):
            return error(.clockSkew, "HTTP 403: this machine's clock differs from the endpoint's by more than 15 minutes: fix the clock (NTP)")
        case (_, "ExpiredToken"), (_, "InvalidToken"), (_, "TokenRefreshRequired"):
            return error(.invalidToken, "HTTP \(status): the session token of access key \(key) is expired or invalid: get fresh temporary credentials")
        case (_, "NoSuchBucket"):
            return error(.noSuchBucket, "HTTP 404: bucket \"\(call.bucket)\" does not exist at this endpoint: check the bucket name, the endpoint and the region, or create it")
        case (_, "NoSuchKey"):
            return error(.noSuchKey, "HTTP 404: there is no object \(objectName(call))")
        case (_, "NoSuchUpload"):
            return error(.noSuchUpload, "HTTP 404: the multipart upload no longer exists (completed or aborted elsewhere)")
        case (_, "PermanentRedirect"), (_, "AuthorizationHeaderMalformed"), (301, _), (307, _):
            return error(.wrongRegion, "HTTP \(status): bucket \"\(call.bucket)\" is not in region \(configuration.region) or not at this endpoint\(s3Message): set AWS_REGION to the bucket's region")
        case (403, nil) where call.method == .HEAD:
            // A HEAD answer has no body, so no reason: a wrong secret looks like a refusal here.
            return error(.accessDenied, "HTTP 403: refused for access key \(key), without a reason (HEAD answers carry none): check that the secret access key belongs to that key id, and the key's policy for this bucket")
        case (403, _):
            return error(.accessDenied, "HTTP 403: access key \(key) is not allowed to do this\(s3Message): check the key's policy for this bucket")
        case (404, _):
            return call.key == nil || call.method == .HEAD
                ? error(.noSuchKey, "HTTP 404: \(objectName(call)) was not found")
                : error(.noSuchKey, "HTTP 404: there is no object \(objectName(call))")
        case (416, _):
            return error(.invalidRange, "HTTP 416: the range starts past the end of the object")
        case (500, _), (502, _), (503, _), (504, _), (_, "SlowDown"):
            let what = code.map { "HTTP \(status) \($0)" } ?? "HTTP \(status)"
            return error(.unavailable, "\(what): the endpoint is overloaded or failing; try again later or lower the request rate")
        default:
            return error(.other, "HTTP \(status)\(code.map { " \($0)" } ?? "")\(s3Message)")
        }
    }

    /// The failure for a thrown transport error: timeouts and dropped connections may be retried.
    func transportFailure(_ error: Error, _ call: Call, attempt: Int) -> AttemptFailure {
        let start = prefix(call)
        if error is CancellationError {
            return AttemptFailure(error: S3Error(reason: .other, message: "\(start): cancelled", attempts: attempt), retryable: false)
        }
        if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .writeTimeout {
            return AttemptFailure(error: S3Error(reason: .timeout, message: "\(start): no complete answer within \(configuration.requestTimeout)", attempts: attempt), retryable: true)
        }
        if (error as? HTTPClientError) == .connectTimeout || (error as? HTTPClientError) == .tlsHandshakeTimeout {
            return AttemptFailure(error: S3Error(reason: .timeout, message: "\(start): could not connect within \(configuration.connectTimeout)", attempts: attempt), retryable: true)
        }
        if let e = error as? NIOConnectionError {
            let refused = e.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            let problem = refused ? "the connection was refused: is the endpoint right and the server running?" : "cannot connect: \(e.connectionErrors.first.map { "\($0.error)" } ?? "\(e)")"
            return AttemptFailure(error: S3Error(reason: .connection, message: "\(start): \(problem)", attempts: attempt), retryable: true)
        }
        if error is NIOSSLError || error is BoringSSLError {
            return AttemptFailure(error: S3Error(reason: .connection, message: "\(start): TLS failed: \(error) (for a private CA, set AWS_CA_BUNDLE or ca_file)", attempts: attempt), retryable: false)
        }
        if (error as? IOError)?.errnoCode == ECONNREFUSED {
            return AttemptFailure(error: S3Error(reason: .connection, message: "\(start): the connection was refused: is the endpoint right and the server running?", attempts: attempt), retryable: true)
        }
        // Resets, closes and truncated answers: the connection dropped.
        return AttemptFailure(error: S3Error(reason: .unavailable, message: "\(start): the connection dropped (\(error))", attempts: attempt), retryable: true)
    }

    func etag(_ response: Response, _ call: Call) throws(S3Error) -> String {
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error(reason: .invalidResponse, message: "\(prefix(call)): the answer has no ETag", httpStatus: response.status)
        }
        return etag
    }

    func invalidXML(_ call: Call, _ what: String = "XML that does not parse") -> S3Error {
        S3Error(reason: .invalidResponse, message: "\(prefix(call)): the answer has \(what)")
    }

    static func escapeXML(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension S3WriteCondition {
    var headers: [(String, String)] {
        switch self {
        case .none: []
        case .ifNoneMatch: [("if-none-match", "*")]
        case .ifMatch(let etag): [("if-match", etag)]
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
