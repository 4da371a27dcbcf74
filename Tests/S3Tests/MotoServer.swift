import AsyncHTTPClient
import Foundation
import GBSnapTestSupport
import NIOCore
import NIOSSL
import S3
import SigV4

/// A running moto server that checks every signature, with an IAM user allowed `s3:*`.
final class MotoServer: Sendable {
    let process: Process
    let port: Int
    let scheme: String
    /// The IAM user's real key pair.
    let credentials: SigV4Credentials
    let log: String

    /// The one plain-HTTP server of the test process, started on first use.
    static let shared = Task { try await MotoServer.start() }

    /// Starts moto (HTTPS with `tls`: a certificate, its key and the CA that signed it), waits for its port, and creates the IAM user with
    /// the server's first three calls, the only ones it lets through unauthenticated.
    static func start(tls: (cert: String, key: String, ca: String)? = nil) async throws -> MotoServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("moto-server.py").path
        let log = NSTemporaryDirectory() + "moto-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + (tls.map { [$0.cert, $0.key] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let line = await readLine(stdout.fileHandleForReading)
        guard let port = Int(line) else {
            process.terminate()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw MotoError(message: "moto did not start (is moto[server] installed? scripts/setup installs it): \(text.suffix(2000))")
        }
        let scheme = tls == nil ? "http" : "https"
        let credentials = try await createUser(scheme: scheme, port: port, caFile: tls?.ca)
        return MotoServer(process: process, port: port, scheme: scheme, credentials: credentials, log: log)
    }

    private init(process: Process, port: Int, scheme: String, credentials: SigV4Credentials, log: String) {
        self.process = process
        self.port = port
        self.scheme = scheme
        self.credentials = credentials
        self.log = log
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// A configuration for this server with the user's keys, small backoffs, and `change` applied.
    func configuration(port: Int? = nil, caFile: String? = nil, _ change: (inout S3Configuration) -> Void = { _ in }) -> S3Configuration {
        var c = S3Configuration(endpoint: S3Endpoint(scheme: scheme, host: "127.0.0.1", port: port ?? self.port), region: "us-east-1",
                                credentials: credentials, addressing: .path, caFile: caFile)
        c.firstBackoff = .milliseconds(5)
        c.maxBackoff = .milliseconds(40)
        change(&c)
        return c
    }

    /// CreateUser, CreateAccessKey and PutUserPolicy over IAM's query API; moto routes by the signature's scope,
    /// so these are signed (with made-up keys, which moto does not check yet).
    private static func createUser(scheme: String, port: Int, caFile: String?) async throws -> SigV4Credentials {
        var configuration = HTTPClient.Configuration()
        if let caFile {
            var tls = NIOSSL.TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.tlsConfiguration = tls
        }
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        defer { http.shutdown { _ in } }
        let signer = SigV4Signer(credentials: SigV4Credentials(accessKeyID: "bootstrap", secretAccessKey: "bootstrap"), region: "us-east-1", service: "iam")
        func call(_ form: String) async throws -> String {
            let body = Array(form.utf8)
            let host = "127.0.0.1:\(port)"
            let signed = signer.sign(SigV4Request(method: "POST", path: "/", headers: [
                (name: "host", value: host), (name: "content-type", value: "application/x-www-form-urlencoded"),
            ]), payload: .hashing(body), at: Date())
            var request = HTTPClientRequest(url: "\(scheme)://\(host)/")
            request.method = .POST
            for (name, value) in signed.headers { request.headers.replaceOrAdd(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await http.execute(request, timeout: .seconds(60))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            guard response.status == .ok else { throw MotoError(message: "IAM call \(form) failed: \(response.status) \(text)") }
            return text
        }
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        _ = try await call("Action=CreateUser&UserName=gbsnap&Version=2010-05-08")
        let key = try await call("Action=CreateAccessKey&UserName=gbsnap&Version=2010-05-08")
        _ = try await call("Action=PutUserPolicy&UserName=gbsnap&PolicyName=s3&Version=2010-05-08&PolicyDocument="
            + SigV4.uriEncode(policy, encodeSlash: true))
        func element(_ name: String) throws -> String {
            guard let start = key.range(of: "<\(name)>"), let end = key.range(of: "</\(name)>", range: start.upperBound..<key.endIndex) else {
                throw MotoError(message: "CreateAccessKey answered without \(name): \(key)")
            }
            return String(key[start.upperBound..<end.lowerBound])
        }
        return SigV4Credentials(accessKeyID: try element("AccessKeyId"), secretAccessKey: try element("SecretAccessKey"))
    }

    /// The first line of `handle`, read on its own thread.
    private static func readLine(_ handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            Thread {
                var bytes: [UInt8] = []
                while true {
                    let data = handle.readData(ofLength: 1)
                    if data.isEmpty || data.first == UInt8(ascii: "\n") { break }
                    bytes += data
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }.start()
        }
    }
}

struct MotoError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A bucket name no other test uses.
func uniqueBucket(_ label: String) -> String {
    "gbsnap-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
}
