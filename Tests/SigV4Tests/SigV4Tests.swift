import Foundation
import SigV4
import Testing

/// The suite's directory of vectors, beside this file.
private let vectorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors").path

/// A `.req` of the test suite, parsed into what the signer takes.
private struct SuiteRequest {
    var request: SigV4Request
    var body: [UInt8]
    var amzDate: String
    var sessionToken: String?

    /// Reads `METHOD PATH HTTP/1.1`, headers (a line starting with whitespace continues the previous value),
    /// a blank line and the body. `X-Amz-Date` and `X-Amz-Security-Token` become signer inputs.
    init(_ text: String) throws {
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let first = requestLine.firstIndex(of: " ")!, last = requestLine.range(of: " HTTP/", options: .backwards)!.lowerBound
        let method = String(requestLine[..<first])
        let target = String(requestLine[requestLine.index(after: first)..<last])
        let (rawPath, rawQuery) = target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) } ?? (target, "")
        let query = rawQuery.isEmpty ? [] : rawQuery.split(separator: "&").map { pair -> SigV4QueryItem in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return SigV4QueryItem(String(parts[0]).removingPercentEncoding!, parts.count > 1 ? String(parts[1]).removingPercentEncoding! : "")
        }
        var headers: [(name: String, value: String)] = []
        while !lines.isEmpty {
            let line = lines.removeFirst()
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            let colon = line.firstIndex(of: ":")!
            headers.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
        }
        amzDate = try #require(headers.first { $0.name.lowercased() == "x-amz-date" }?.value)
        sessionToken = headers.first { $0.name.lowercased() == "x-amz-security-token" }?.value
        headers.removeAll { ["x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        body = Array(lines.joined(separator: "\n").utf8)
        request = SigV4Request(method: method, path: rawPath, query: query, headers: headers)
    }
}

/// Every case directory under Vectors.
private let suiteCases: [String] = (try? FileManager.default.contentsOfDirectory(atPath: vectorsDirectory))?
    .filter { !$0.contains(".") && $0 != "LICENSE" && $0 != "NOTICE" }.sorted() ?? []

private func read(_ name: String, _ ext: String) throws -> String {
    try String(contentsOfFile: "\(vectorsDirectory)/\(name)/\(name).\(ext)", encoding: .utf8)
}

@Suite("Signature Version 4: AWS's test suite")
struct SigV4SuiteTests {
    static let date = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z

    @Test("the vectors are present")
    func vectorsPresent() {
        #expect(suiteCases.count == 27)
        #expect(suiteCases.contains("get-vanilla") && suiteCases.contains("get-utf8") && suiteCases.contains("get-space"))
    }

    @Test("canonical request, string to sign and Authorization match the suite", arguments: suiteCases)
    func suiteCase(_ name: String) throws {
        let parsed = try SuiteRequest(try read(name, "req"))
        #expect(parsed.amzDate == SigV4.timestamps(Self.date).amzDate)
        let creq = try read(name, "creq")
        // The suite passes this case's token out of band; its canonical request shows it.
        let token = parsed.sessionToken ?? creq.components(separatedBy: "\n")
            .first { $0.hasPrefix("x-amz-security-token:") }.map { String($0.dropFirst("x-amz-security-token:".count)) }
        let signer = SigV4Signer(
            credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token),
            region: "us-east-1", service: "service")
        let signed = signer.sign(parsed.request, payload: .hashing(parsed.body), at: Self.date, contentSHA256Header: false)
        #expect(signed.canonicalRequest == creq)
        #expect(signed.stringToSign == (try read(name, "sts")))
        #expect(signed.authorization == (try read(name, "authz")))
        #expect(signed.headers.last.map { $0.name == "authorization" && $0.value == signed.authorization } == true)
    }
}

@Suite("Signature Version 4: the S3 examples of AWS's documentation")
struct SigV4S3ExampleTests {
    static let signer = SigV4Signer(
        credentials: SigV4Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
    static let host = (name: "host", value: "examplebucket.s3.amazonaws.com")

    @Test("GET Object with a Range header")
    func getObject() {
        let signed = Self.signer.sign(
            SigV4Request(method: "GET", path: "/test.txt", headers: [Self.host, (name: "Range", value: "bytes=0-9")]),
            payload: .empty, at: Self.date)
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("PUT Object: a signed payload, a storage class, and a key whose $ is encoded")
    func putObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let payload = SigV4Payload.hashing(body)
        #expect(payload == .sha256("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"))
        let signed = Self.signer.sign(
            SigV4Request(method: "PUT", path: "/test$file.text", headers: [
                Self.host, (name: "Date", value: "Fri, 24 May 2013 00:00:00 GMT"), (name: "x-amz-storage-class", value: "REDUCED_REDUNDANCY"),
            ]),
            payload: payload, at: Self.date)
        #expect(signed.encodedPath == "/test%24file.text")
        #expect(signed.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET Bucket Lifecycle: a bare query name is signed as name=")
    func lifecycle() {
        let signed = Self.signer.sign(
            SigV4Request(method: "GET", path: "/", query: [SigV4QueryItem("lifecycle")], headers: [Self.host]), payload: .empty, at: Self.date)
        #expect(signed.encodedQuery == "lifecycle=")
        #expect(signed.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("GET Bucket (List Objects): the query is sorted whatever order it is given in")
    func listObjects() {
        let signed = Self.signer.sign(
            SigV4Request(method: "GET", path: "/", query: [SigV4QueryItem("prefix", "J"), SigV4QueryItem("max-keys", "2")], headers: [Self.host]),
            payload: .empty, at: Self.date)
        #expect(signed.encodedQuery == "max-keys=2&prefix=J")
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }
}

@Suite("Signature Version 4: S3 rules")
struct SigV4RuleTests {
    static let signer = SigV4Signer(credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "eu-west-1")
    static let date = Date(timeIntervalSince1970: 1_709_251_199) // 2024-02-29T23:59:59Z

    @Test("S3 paths are encoded once and never normalized (the suite's normalize-path cases do not apply)",
          arguments: ["//", "//example//", "/example/..", "/example1/example2/../..", "/./", "/./example"])
    func noNormalization(_ path: String) {
        let signed = Self.signer.sign(SigV4Request(method: "GET", path: path, headers: [(name: "host", value: "h")]), payload: .empty, at: Self.date)
        #expect(signed.encodedPath == path)
        #expect(signed.canonicalRequest.components(separatedBy: "\n")[1] == path)
    }

    @Test("keys are encoded byte by byte with uppercase hex; only unreserved characters and path slashes stay")
    func encoding() {
        #expect(SigV4.uriEncode("snapshots/order-api/2026/12/02/20261202T023000Z-ab12.tar.gz", encodeSlash: false)
            == "snapshots/order-api/2026/12/02/20261202T023000Z-ab12.tar.gz")
        #expect(SigV4.uriEncode("a b/ü+c=d&e%f*'", encodeSlash: false) == "a%20b/%C3%BC%2Bc%3Dd%26e%25f%2A%27")
        #expect(SigV4.uriEncode("a/b", encodeSlash: true) == "a%2Fb")
        #expect(SigV4.canonicalQuery([SigV4QueryItem("prefix", "snapshots/x y"), SigV4QueryItem("list-type", "2")])
            == "list-type=2&prefix=snapshots%2Fx%20y")
    }

    @Test("timestamps are UTC, zero-padded, and right on a leap day")
    func timestamps() {
        #expect(SigV4.timestamps(Self.date) == (amzDate: "20240229T235959Z", dateStamp: "20240229"))
        #expect(SigV4.timestamps(Date(timeIntervalSince1970: 0)) == (amzDate: "19700101T000000Z", dateStamp: "19700101"))
    }

    @Test("an unsigned streamed payload is sent and signed as UNSIGNED-PAYLOAD")
    func unsignedPayload() {
        let signed = Self.signer.sign(SigV4Request(method: "PUT", path: "/k", headers: [(name: "host", value: "h")]), payload: .unsigned, at: Self.date)
        #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(signed.headers.contains { $0.name == "x-amz-content-sha256" && $0.value == "UNSIGNED-PAYLOAD" })
        #expect(signed.authorization.contains("/20240229/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "))
    }

    @Test("a session token is sent and signed; the secret and the token never show in the credentials' description")
    func sessionToken() {
        let credentials = SigV4Credentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "very-secret", sessionToken: "token-123")
        let signed = SigV4Signer(credentials: credentials, region: "us-east-1")
            .sign(SigV4Request(method: "GET", path: "/", headers: [(name: "host", value: "h"), (name: "X-Amz-Security-Token", value: "stale")]),
                  payload: .empty, at: Self.date)
        #expect(signed.headers.filter { $0.name.lowercased() == "x-amz-security-token" }.map(\.value) == ["token-123"])
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect("\(credentials)" == "access key ASIAEXAMPLE")
        #expect(!String(reflecting: credentials.description).contains("secret"))
    }

    @Test("a different secret, region or second gives a different signature")
    func sensitivity() {
        let request = SigV4Request(method: "GET", path: "/k", headers: [(name: "host", value: "h")])
        let base = Self.signer.sign(request, payload: .empty, at: Self.date).signature
        var other = Self.signer
        other.credentials.secretAccessKey = "secreT"
        #expect(other.sign(request, payload: .empty, at: Self.date).signature != base)
        other = Self.signer
        other.region = "eu-west-2"
        #expect(other.sign(request, payload: .empty, at: Self.date).signature != base)
        #expect(Self.signer.sign(request, payload: .empty, at: Self.date + 1).signature != base)
    }
}
