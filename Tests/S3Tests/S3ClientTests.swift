import Crypto
import Foundation
import GBSnapTestSupport
import NIOCore
@testable import S3
import SigV4
import Testing

/// A client for the shared moto server, shut down after `body`.
private func withClient<T>(_ change: (inout S3Configuration) -> Void = { _ in }, _ body: (S3Client, MotoServer) async throws -> T) async throws -> T {
    let moto = try await MotoServer.shared.value
    let client = try S3Client(configuration: moto.configuration(change))
    do {
        let result = try await body(client, moto)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}

/// The error `body` throws, which must be an `S3Error`.
private func s3Error(_ body: () async throws -> Void) async -> S3Error? {
    do {
        try await body()
        return nil
    } catch let error as S3Error {
        return error
    } catch {
        Issue.record("expected an S3Error, got \(error)")
        return nil
    }
}

/// A file of `size` bytes of a repeatable pseudo-random pattern, written in 1 MiB chunks; its SHA-256.
private func patternFile(_ path: String, size: Int) throws -> String {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var hasher = SHA256()
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var written = 0
    while written < size {
        let n = min(1 << 20, size - written)
        var chunk = [UInt8](repeating: 0, count: n)
        for i in stride(from: 0, to: n, by: 8) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            withUnsafeBytes(of: state) { for j in 0..<min(8, n - i) { chunk[i + j] = $0[j] } }
        }
        hasher.update(data: chunk)
        try handle.write(contentsOf: Data(chunk))
        written += n
    }
    return SigV4.hex(hasher.finalize())
}

/// SHA-256 of a file, read 1 MiB at a time.
func sha256(ofFile path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    return SigV4.hex(hasher.finalize())
}

/// Against moto started with authentication on: every request below is signature-checked.
@Suite("S3 client against moto", .serialized)
struct S3ClientTests {
    @Test("a wrong secret gets 403 SignatureDoesNotMatch, and the sentence names the key id and what to check")
    func wrongSecret() async throws {
        let moto = try await MotoServer.shared.value
        let bucket = uniqueBucket("auth")
        try await withClient { client, _ in try await client.createBucket(bucket) }
        var bad = moto.configuration()
        bad.credentials.secretAccessKey = "not-the-secret"
        let client = try S3Client(configuration: bad)
        defer { Task { await client.shutdown() } }
        let error = try #require(await s3Error { _ = try await client.listObjects(bucket: bucket) })
        #expect(error.reason == .signatureMismatch)
        #expect(error.httpStatus == 403)
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.message == "S3 at http://127.0.0.1:\(moto.port): GET s3://\(bucket) (list): HTTP 403: the signature does not match for access key \(moto.credentials.accessKeyID): check that the secret access key belongs to that key id, and that this machine's clock is right")
        #expect(!error.message.contains("not-the-secret") && !error.message.contains(moto.credentials.secretAccessKey))
        // Nothing was written under the wrong secret.
        let put = try #require(await s3Error { _ = try await client.putObject(bucket: bucket, key: "x", bytes: [1]) })
        #expect(put.reason == .signatureMismatch)
        let left = try await withClient { client, _ in try await client.headObject(bucket: bucket, key: "x") }
        #expect(left == nil)
    }

    @Test("an access key the endpoint does not know gets its own sentence")
    func unknownKey() async throws {
        let moto = try await MotoServer.shared.value
        let client = try S3Client(configuration: moto.configuration { $0.credentials = SigV4Credentials(accessKeyID: "AKIANOTAKEY", secretAccessKey: "x") })
        defer { Task { await client.shutdown() } }
        let error = try #require(await s3Error { _ = try await client.listObjects(bucket: "gbsnap-any") })
        #expect(error.reason == .unknownAccessKey)
        #expect(error.message.hasSuffix("HTTP 403: the endpoint does not know access key AKIANOTAKEY: check AWS_ACCESS_KEY_ID (or access_key_id) and the endpoint"))
    }

    @Test("a missing bucket is a 404 that names the bucket")
    func missingBucket() async throws {
        try await withClient { client, moto in
            let error = try #require(await s3Error { _ = try await client.getObject(bucket: "gbsnap-no-such-bucket", key: "snapshots/a.tar.gz") })
            #expect(error.reason == .noSuchBucket)
            #expect(error.message == "S3 at http://127.0.0.1:\(moto.port): GET s3://gbsnap-no-such-bucket/snapshots/a.tar.gz: HTTP 404: bucket \"gbsnap-no-such-bucket\" does not exist at this endpoint: check the bucket name, the endpoint and the region, or create it")
            #expect(error.attempts == 1)
        }
    }

    @Test("put, get, head, ranged get, download and delete, with keys that need encoding")
    func objectRoundTrip() async throws {
        try await withClient { client, moto in
            let bucket = uniqueBucket("objects")
            try await client.createBucket(bucket)
            try await client.createBucket(bucket) // already ours: not an error
            let bytes = Array("0123456789abcdefghij".utf8)
            for key in ["snapshots/order-api/2026/12/02/20261202T020000Z-1a2b.tar.gz", "odd keys/a b$c=d,e;f@g:h(1).tar.gz", "unicode/ü€.bin"] {
                let written = try await client.putObject(bucket: bucket, key: key, bytes: bytes)
                let etag = try #require(written.etag)
                #expect(etag == "\"\(SigV4.hex(Insecure.MD5.hash(data: bytes)))\"")
                let whole = try await client.getObject(bucket: bucket, key: key)
                #expect(whole.bytes == bytes && whole.etag == etag && whole.totalSize == 20)
                let ranged = try await client.getObject(bucket: bucket, key: key, range: S3ByteRange(2...5))
                #expect(ranged.bytes == Array("2345".utf8))
                #expect(ranged.totalSize == 20)
                let tail = try await client.getObject(bucket: bucket, key: key, range: S3ByteRange(from: 17))
                #expect(tail.bytes == Array("hij".utf8))
                let info = try #require(try await client.headObject(bucket: bucket, key: key))
                #expect(info.size == 20 && info.etag == etag)
                let listed = try await client.listAllObjects(bucket: bucket, prefix: key)
                #expect(listed.map(\.key) == [key] && listed.first?.size == 20 && listed.first?.etag == etag)
            }
            let tmp = TemporaryDirectory("s3-download")
            defer { tmp.cleanup() }
            let target = tmp.path + "/out.bin"
            let (etag, count) = try await client.downloadObject(bucket: bucket, key: "odd keys/a b$c=d,e;f@g:h(1).tar.gz", to: target)
            #expect(count == 20 && etag.hasPrefix("\""))
            #expect(FileManager.default.contents(atPath: target) == Data(bytes))
            #expect(!FileManager.default.fileExists(atPath: target + ".part"))

            let collected = Collected()
            let streamedETag = try await client.streamObject(bucket: bucket, key: "unicode/ü€.bin", range: S3ByteRange(from: 10)) { collected.append($0) }
            #expect(collected.bytes == Array("abcdefghij".utf8) && streamedETag.hasPrefix("\""))

            try await client.deleteObject(bucket: bucket, key: "unicode/ü€.bin")
            try await client.deleteObject(bucket: bucket, key: "unicode/ü€.bin") // gone already: still fine
            #expect(try await client.headObject(bucket: bucket, key: "unicode/ü€.bin") == nil)
            let missing = try #require(await s3Error { _ = try await client.getObject(bucket: bucket, key: "unicode/ü€.bin") })
            #expect(missing.reason == .noSuchKey)
            #expect(missing.message == "S3 at http://127.0.0.1:\(moto.port): GET s3://\(bucket)/unicode/ü€.bin: HTTP 404: there is no object s3://\(bucket)/unicode/ü€.bin")
            let past = try #require(await s3Error { _ = try await client.getObject(bucket: bucket, key: "odd keys/a b$c=d,e;f@g:h(1).tar.gz", range: S3ByteRange(from: 100)) })
            #expect(past.reason == .invalidRange)
        }
    }

    @Test("listing 2,500 keys page by page with continuation tokens, a delimiter, and batch deletes")
    func listing() async throws {
        try await withClient { client, _ in
            let bucket = uniqueBucket("list")
            try await client.createBucket(bucket)
            let keys = (0..<2500).map { i in "snapshots/t\(i % 5)/2026/12/\(String(format: "%02d", i % 28 + 1))/id-\(String(format: "%05d", i)).tar.gz" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for start in stride(from: 0, to: keys.count, by: 313) {
                    group.addTask {
                        for key in keys[start..<min(start + 313, keys.count)] { _ = try await client.putObject(bucket: bucket, key: key, bytes: Array(key.utf8)) }
                    }
                }
                try await group.waitForAll()
            }
            var pages = 0
            var seen: [String] = []
            var token: String?
            repeat {
                let page = try await client.listObjects(bucket: bucket, prefix: "snapshots/", continuationToken: token, maxKeys: 300)
                #expect(page.objects.count <= 300)
                seen += page.objects.map(\.key)
                token = page.nextContinuationToken
                pages += 1
            } while token != nil
            #expect(pages == 9)
            #expect(seen == keys.sorted())
            #expect(try await client.listAllObjects(bucket: bucket, prefix: "snapshots/t3/").count == 500)

            let top = try await client.listObjects(bucket: bucket, prefix: "snapshots/", delimiter: "/")
            #expect(top.objects.isEmpty)
            #expect(top.commonPrefixes == (0..<5).map { "snapshots/t\($0)/" })

            for start in stride(from: 0, to: keys.count, by: 1000) {
                let failed = try await client.deleteObjects(bucket: bucket, keys: Array(keys[start..<min(start + 1000, keys.count)]))
                #expect(failed.isEmpty)
            }
            #expect(try await client.listAllObjects(bucket: bucket).isEmpty)
        }
    }

    // Memory is measured on `gbsnap copy` in a child process (BucketStoreMotoTests.largeArchive): this process's
    // resident set is shared with every test running beside this one.
    @Test("a file above the threshold goes up in parts: same bytes back")
    func multipart() async throws {
        try await withClient({ $0.multipartThreshold = 8 << 20; $0.partSize = 5 << 20 }) { client, _ in
            let bucket = uniqueBucket("multipart")
            try await client.createBucket(bucket)
            let tmp = TemporaryDirectory("s3-multipart")
            defer { tmp.cleanup() }
            let size = 96 << 20 + 12345
            let source = tmp.path + "/artifact.bin"
            let digest = try patternFile(source, size: size)

            let clock = ContinuousClock()
            let started = clock.now
            let result = try await client.uploadFile(bucket: bucket, key: "snapshots/big.tar.gz", path: source)
            let uploadTime = clock.now - started
            let etag = try #require(result.etag)
            #expect(etag.hasSuffix("-20\""), "20 parts of 5 MiB: \(etag)")

            let info = try #require(try await client.headObject(bucket: bucket, key: "snapshots/big.tar.gz"))
            #expect(info.size == Int64(size))
            let back = tmp.path + "/back.bin"
            let downloadStarted = clock.now
            _ = try await client.downloadObject(bucket: bucket, key: "snapshots/big.tar.gz", to: back)
            let downloadTime = clock.now - downloadStarted
            // The figures for docs (no limit is asserted on time): moto on loopback, a debug build.
            func rate(_ d: Duration) -> String { String(format: "%.1f MiB/s", Double(size) / 1_048_576 / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)) }
            print("S3 figure: \(size >> 20) MiB to moto in 5 MiB parts: upload \(rate(uploadTime)), download \(rate(downloadTime))")
            #expect(try sha256(ofFile: back) == digest)
            let head = try await client.getObject(bucket: bucket, key: "snapshots/big.tar.gz", range: S3ByteRange(0...1023))
            #expect(head.bytes.count == 1024 && head.totalSize == Int64(size))
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        }
    }

    @Test("conditional writes: If-None-Match on an existing key and If-Match with a stale ETag are refused with 412")
    func conditionalWrites() async throws {
        try await withClient({ $0.multipartThreshold = 5 << 20; $0.partSize = 5 << 20 }) { client, _ in
            let bucket = uniqueBucket("conditional")
            try await client.createBucket(bucket)
            let key = "catalog/order-api.json"
            let first = try await client.putObject(bucket: bucket, key: key, bytes: Array("v1".utf8), condition: .ifNoneMatch)
            let v1 = try #require(first.etag)
            #expect(try await client.putObject(bucket: bucket, key: key, bytes: Array("other".utf8), condition: .ifNoneMatch) == .preconditionFailed)
            let second = try await client.putObject(bucket: bucket, key: key, bytes: Array("v2".utf8), condition: .ifMatch(v1))
            let v2 = try #require(second.etag)
            #expect(v2 != v1)
            #expect(try await client.putObject(bucket: bucket, key: key, bytes: Array("v3".utf8), condition: .ifMatch(v1)) == .preconditionFailed)
            #expect(try await client.getObject(bucket: bucket, key: key).bytes == Array("v2".utf8))

            // The same for a multipart upload: refused at completion, and the upload is aborted.
            let tmp = TemporaryDirectory("s3-conditional")
            defer { tmp.cleanup() }
            let path = tmp.path + "/big.bin"
            _ = try patternFile(path, size: 11 << 20)
            #expect(try await client.uploadFile(bucket: bucket, key: key, path: path, condition: .ifNoneMatch) == .preconditionFailed)
            #expect(try await client.getObject(bucket: bucket, key: key).bytes == Array("v2".utf8))
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
            let fresh = try await client.uploadFile(bucket: bucket, key: "fresh.bin", path: path, condition: .ifNoneMatch)
            #expect(fresh.etag?.hasSuffix("-3\"") == true)
        }
    }
}

/// Bytes gathered by a streaming reader.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []
    var bytes: [UInt8] { lock.withLock { storage } }
    func append(_ chunk: ByteBuffer) { lock.withLock { storage += chunk.readableBytesView } }
}
