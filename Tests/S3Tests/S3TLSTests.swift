import Foundation
import GBSnapTestSupport
import S3
import Testing

/// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl.
private func makeCertificates(in dir: String) async throws -> (ca: String, cert: String, key: String) {
    func openssl(_ args: [String]) async throws {
        let result = try await Subprocess.run("/usr/bin/openssl", args)
        guard result.status == 0 else { throw MotoError(message: "openssl \(args.joined(separator: " ")) failed: \(result.stderr)") }
    }
    try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem", "-days", "2",
                 "-subj", "/CN=gbsnap test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr", "-subj", "/CN=127.0.0.1"])
    try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".write(toFile: "\(dir)/ext.cnf", atomically: true, encoding: .utf8)
    try await openssl(["x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key", "-CAcreateserial",
                 "-out", "\(dir)/server.pem", "-days", "2", "-extfile", "\(dir)/ext.cnf"])
    return ("\(dir)/ca.pem", "\(dir)/server.pem", "\(dir)/server.key")
}

@Suite("S3 client over TLS with a private CA")
struct S3TLSTests {
    @Test("with the CA file the bucket is reachable over HTTPS; without it the TLS failure says what to set")
    func privateCA() async throws {
        let tmp = TemporaryDirectory("s3-tls")
        defer { tmp.cleanup() }
        let files = try await makeCertificates(in: tmp.path)
        let moto = try await MotoServer.start(tls: (files.cert, files.key, files.ca))
        defer { moto.stop() }

        let trusted = try S3Client(configuration: moto.configuration(caFile: files.ca))
        let bucket = uniqueBucket("tls")
        try await trusted.createBucket(bucket)
        _ = try await trusted.putObject(bucket: bucket, key: "snapshots/a.tar.gz", bytes: Array("over tls".utf8))
        let back = try await trusted.getObject(bucket: bucket, key: "snapshots/a.tar.gz")
        await trusted.shutdown()
        #expect(back.bytes == Array("over tls".utf8))

        let untrusted = try S3Client(configuration: moto.configuration())
        let error = await thrown { _ = try await untrusted.headObject(bucket: bucket, key: "snapshots/a.tar.gz") }
        await untrusted.shutdown()
        let failure = try #require(error)
        #expect(failure.reason == .connection)
        #expect(failure.attempts == 1, "a certificate problem is not retried")
        #expect(failure.message.hasPrefix("S3 at https://127.0.0.1:\(moto.port): HEAD s3://\(bucket)/snapshots/a.tar.gz: TLS failed: "))
        #expect(failure.message.hasSuffix("(for a private CA, set AWS_CA_BUNDLE or ca_file)"))

        #expect(throws: S3Error.self) { try S3Client(configuration: moto.configuration(caFile: files.key)) }
    }
}
