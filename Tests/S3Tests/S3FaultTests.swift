import Foundation
import GBSnapTestSupport
@testable import S3
import Testing

/// A client through a fault-injecting proxy in front of moto, and one straight to moto to check what is visible.
private func withProxy(_ plan: @escaping @Sendable (Int, String, String) -> FaultProxy.Fault?, configure: (inout S3Configuration) -> Void = { _ in },
                       _ body: (_ proxied: S3Client, _ direct: S3Client, _ proxy: FaultProxy, _ bucket: String) async throws -> Void) async throws {
    let moto = try await MotoServer.shared.value
    let proxy = try FaultProxy(upstreamPort: moto.port, plan: plan)
    let proxied = try S3Client(configuration: moto.configuration(port: proxy.port, configure))
    let direct = try S3Client(configuration: moto.configuration())
    let bucket = uniqueBucket("faults")
    do {
        try await direct.createBucket(bucket)
        try await body(proxied, direct, proxy, bucket)
    } catch {
        Issue.record("\(error)")
    }
    await proxied.shutdown()
    await direct.shutdown()
    proxy.stop()
}

/// A thread-safe count of the requests a plan has matched.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    /// Counts one more and returns the count before it.
    func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
}

@Suite("S3 client: retries, storms and dropped connections", .serialized)
struct S3FaultTests {
    @Test("503 SlowDown three times, then the request goes through")
    func slowDownThenSuccess() async throws {
        try await withProxy({ index, _, _ in index < 3 ? .slowDown : nil }) { proxied, direct, proxy, bucket in
            let result = try await proxied.putObject(bucket: bucket, key: "snapshots/a.tar.gz", bytes: Array("payload".utf8))
            #expect(result.etag != nil)
            #expect(proxy.log.filter { $0.hasSuffix("-> 503") }.count == 3)
            #expect(try await direct.getObject(bucket: bucket, key: "snapshots/a.tar.gz").bytes == Array("payload".utf8))
        }
    }

    @Test("a connection dropped in the middle of a single PUT and of an upload part: retried, the bytes arrive whole")
    func droppedMidUpload() async throws {
        let dropped = Counter()
        try await withProxy({ _, method, target in
            let isPart2 = target.contains("partNumber=2&")
            let isSmall = method == "PUT" && target.hasSuffix("/small.bin")
            return (isPart2 || isSmall) && dropped.next() < 2 ? .dropMidBody : nil
        }, configure: { $0.multipartThreshold = 5 << 20; $0.partSize = 5 << 20 }) { proxied, direct, proxy, bucket in
            let small = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            _ = try await proxied.putObject(bucket: bucket, key: "small.bin", bytes: small)
            #expect(try await direct.getObject(bucket: bucket, key: "small.bin").bytes == small)

            let tmp = TemporaryDirectory("s3-drop")
            defer { tmp.cleanup() }
            let bytes = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 7) }
            let path = tmp.file("big.bin", bytes: bytes)
            let result = try await proxied.uploadFile(bucket: bucket, key: "big.bin", path: path)
            #expect(result.etag?.hasSuffix("-3\"") == true)
            #expect(try await direct.getObject(bucket: bucket, key: "big.bin").bytes == bytes)
            #expect(proxy.log.filter { $0.hasSuffix("-> dropped") }.count == 2)
            #expect(try await direct.listMultipartUploads(bucket: bucket).isEmpty)
        }
    }

    @Test("a permanent storm on upload parts fails with one sentence, aborts the upload, and leaves nothing visible")
    func permanentStormOnParts() async throws {
        try await withProxy({ _, method, target in method == "PUT" && target.contains("partNumber=") ? .slowDown : nil },
                            configure: { $0.multipartThreshold = 5 << 20; $0.partSize = 5 << 20 }) { proxied, direct, proxy, bucket in
            let tmp = TemporaryDirectory("s3-storm")
            defer { tmp.cleanup() }
            let path = tmp.file("big.bin", bytes: [UInt8](repeating: 7, count: 11 << 20))
            let error = try #require(await thrown { _ = try await proxied.uploadFile(bucket: bucket, key: "snapshots/storm.tar.gz", path: path) })
            #expect(error.reason == .unavailable)
            #expect(error.attempts == 5)
            #expect(error.message.hasPrefix("S3 at http://127.0.0.1:\(proxy.port): PUT s3://\(bucket)/snapshots/storm.tar.gz (upload part 1): HTTP 503 SlowDown: "))
            #expect(error.message.hasSuffix("the endpoint is overloaded or failing; try again later or lower the request rate (5 attempts)"))
            #expect(try await direct.headObject(bucket: bucket, key: "snapshots/storm.tar.gz") == nil)
            #expect(try await direct.listMultipartUploads(bucket: bucket).isEmpty, "the failed upload was aborted")
            #expect(try await direct.listAllObjects(bucket: bucket).isEmpty)
        }
    }

    @Test("a storm on every request: a single PUT gives up after its attempts and writes nothing")
    func permanentStorm() async throws {
        try await withProxy({ _, _, _ in .slowDown }) { proxied, direct, proxy, bucket in
            let error = try #require(await thrown { _ = try await proxied.putObject(bucket: bucket, key: "k", bytes: [1, 2, 3]) })
            #expect(error.message == "S3 at http://127.0.0.1:\(proxy.port): PUT s3://\(bucket)/k: HTTP 503 SlowDown: the endpoint is overloaded or failing; try again later or lower the request rate (5 attempts)")
            #expect(proxy.log.count == 5)
            #expect(try await direct.headObject(bucket: bucket, key: "k") == nil)
        }
    }

    @Test("no answer within the request timeout: a timeout that names the endpoint and the operation")
    func timeout() async throws {
        try await withProxy({ _, _, _ in .blackHole }, configure: { $0.requestTimeout = .milliseconds(300); $0.maxAttempts = 2 }) { proxied, _, proxy, bucket in
            let error = try #require(await thrown { _ = try await proxied.getObject(bucket: bucket, key: "snapshots/x.tar.gz") })
            #expect(error.reason == .timeout)
            #expect(error.message == "S3 at http://127.0.0.1:\(proxy.port): GET s3://\(bucket)/snapshots/x.tar.gz: no complete answer within 0.3 seconds (2 attempts)")
        }
    }

    @Test("a refused connection says so, after its attempts")
    func refused() async throws {
        let moto = try await MotoServer.shared.value
        let proxy = try FaultProxy(upstreamPort: moto.port) { _, _, _ in nil }
        let port = proxy.port
        proxy.stop() // nothing listens there now
        let client = try S3Client(configuration: moto.configuration(port: port))
        let error = try #require(await thrown { _ = try await client.headObject(bucket: "gbsnap-any", key: "k") })
        await client.shutdown()
        #expect(error.reason == .connection)
        #expect(error.message == "S3 at http://127.0.0.1:\(port): HEAD s3://gbsnap-any/k: the connection was refused: is the endpoint right and the server running? (5 attempts)")
    }
}

/// The `S3Error` that `body` throws, or nil.
func thrown(_ body: () async throws -> Void) async -> S3Error? {
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
