import Foundation
import GBSnapTestSupport
@testable import S3
import SigV4
import Testing

@Suite("S3 locations, configuration and answers, without a server")
struct S3UnitTests {
    @Test("s3://BUCKET[/PREFIX] parses; a trailing slash is dropped; keys map under the prefix")
    func locations() throws {
        let plain = try S3Location(parsing: "s3://gbsnap-archive")
        #expect(plain == S3Location(bucket: "gbsnap-archive", prefix: ""))
        #expect(plain.key("snapshots/a.tar.gz") == "snapshots/a.tar.gz")
        let prefixed = try S3Location(parsing: "s3://gbsnap.archive-1/teams/payments/")
        #expect(prefixed.bucket == "gbsnap.archive-1" && prefixed.prefix == "teams/payments")
        #expect(prefixed.description == "s3://gbsnap.archive-1/teams/payments")
        #expect(prefixed.key("catalog.json") == "teams/payments/catalog.json")
        #expect(prefixed.relativeKey("teams/payments/catalog.json") == "catalog.json")
        #expect(prefixed.relativeKey("teams/paymentsX/catalog.json") == nil)
    }

    @Test("bad locations are refused with a sentence that names the input", arguments: [
        ("gbsnap-archive", "store \"gbsnap-archive\" does not start with s3:// (write s3://BUCKET or s3://BUCKET/PREFIX)"),
        ("s3://", "store \"s3://\" has no bucket name after s3://"),
        ("s3://ab", "store \"s3://ab\" has bucket name \"ab\", which must be 3 to 63 characters long"),
        ("s3://Archive", "store \"s3://Archive\" has bucket name \"Archive\", which may hold only lowercase letters, digits, '.' and '-'"),
        ("s3://-archive", "store \"s3://-archive\" has bucket name \"-archive\", which must start and end with a letter or digit"),
        ("s3://my..archive", "store \"s3://my..archive\" has bucket name \"my..archive\", which must not hold two dots in a row"),
        ("s3://archive/a//b", "store \"s3://archive/a//b\" has an empty segment in prefix \"a//b\" (two slashes in a row)"),
    ])
    func badLocations(_ text: String, _ message: String) {
        #expect(throws: S3LocationError.self) { try S3Location(parsing: text) }
        do { _ = try S3Location(parsing: text) } catch { #expect(error.description == message) }
    }

    @Test("the environment is read the way AWS tools read it, and wins over the config file")
    func environment() throws {
        let tmp = TemporaryDirectory("s3-config")
        defer { tmp.cleanup() }
        let secretFile = tmp.file("secret", "file-secret\n")
        let file = S3Configuration.FileSettings(endpoint: "https://minio.internal:9000", region: "eu-west-1", accessKeyID: "FILEKEY",
                                                secretAccessKeyFile: secretFile, addressing: .virtualHosted)
        let fromFile = try S3Configuration.resolve(environment: [:], file: file)
        #expect(fromFile.credentials == SigV4Credentials(accessKeyID: "FILEKEY", secretAccessKey: "file-secret"))
        #expect(fromFile.endpoint.description == "https://minio.internal:9000" && fromFile.region == "eu-west-1")
        #expect(fromFile.addressing == .virtualHosted)

        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_DEFAULT_REGION": "ap-south-1", "AWS_ACCESS_KEY_ID": "ENVKEY",
                   "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok"]
        let fromEnv = try S3Configuration.resolve(environment: env, file: file)
        #expect(fromEnv.credentials == SigV4Credentials(accessKeyID: "ENVKEY", secretAccessKey: "env-secret", sessionToken: "tok"))
        #expect(fromEnv.endpoint == S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000))
        #expect(fromEnv.region == "ap-south-1")
        var withRegion = env
        withRegion["AWS_REGION"] = "us-west-2"
        #expect(try S3Configuration.resolve(environment: withRegion).region == "us-west-2")

        // No endpoint: AWS's regional endpoint, virtual-hosted.
        let aws = try S3Configuration.resolve(environment: ["AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S"])
        #expect(aws.endpoint.description == "https://s3.eu-central-1.amazonaws.com" && aws.addressing == .virtualHosted)
        // A private endpoint without a say: path-style.
        #expect(try S3Configuration.resolve(environment: env).addressing == .path)
    }

    @Test("configuration problems are one sentence each, never with a secret", arguments: [
        (["AWS_ACCESS_KEY_ID": "K"], "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use the config file's credentials"),
        (["AWS_REGION": "eu-west-1"], "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or access_key_id and secret_access_key_file in the config"),
        (["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "topsecret"], "no S3 region: set AWS_REGION (or AWS_ENDPOINT_URL for a private endpoint)"),
        (["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "topsecret", "AWS_ENDPOINT_URL": "ftp://x"], "endpoint \"ftp://x\" must start with http:// or https://"),
        (["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "topsecret", "AWS_ENDPOINT_URL": "http://x:9000/bucket"],
         "endpoint \"http://x:9000/bucket\" must be only scheme, host and port, without a path, query or credentials"),
        (["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "topsecret", "AWS_REGION": "us-east-1", "AWS_CA_BUNDLE": "/nonexistent/ca.pem"],
         "CA file /nonexistent/ca.pem does not exist or cannot be read"),
    ])
    func configurationErrors(_ environment: [String: String], _ message: String) {
        do {
            _ = try S3Configuration.resolve(environment: environment)
            Issue.record("resolved")
        } catch {
            #expect(error.description == message)
            #expect(!error.description.contains("topsecret"))
        }
    }

    @Test("secret files: one line, trimmed; empty, missing and multi-line files are refused")
    func secretFiles() throws {
        let tmp = TemporaryDirectory("s3-secret")
        defer { tmp.cleanup() }
        func resolve(_ path: String) throws(S3ConfigurationError) -> S3Configuration {
            try S3Configuration.resolve(environment: ["AWS_REGION": "us-east-1"], file: .init(accessKeyID: "FK", secretAccessKeyFile: path))
        }
        #expect(try resolve(tmp.file("ok", "  s3cr3t  \n\n")).credentials.secretAccessKey == "s3cr3t")
        for (name, text, problem) in [("empty", "\n", "is empty"), ("two", "a\nb\n", "holds more than one line")] {
            let path = tmp.file(name, text)
            #expect(throws: S3ConfigurationError(problem: "secret access key file \(path) \(problem)")) { try resolve(path) }
        }
        #expect(throws: S3ConfigurationError(problem: "secret access key file \(tmp.path)/none does not exist or cannot be read")) { try resolve("\(tmp.path)/none") }
        #expect(throws: S3ConfigurationError(problem: "access key id FK is configured without secret_access_key_file: name the file that holds its secret")) {
            try S3Configuration.resolve(environment: ["AWS_REGION": "us-east-1"], file: .init(accessKeyID: "FK"))
        }
    }

    @Test("path-style and virtual-hosted requests name the bucket in the path or in the host")
    func addressing() async throws {
        var configuration = S3Configuration(endpoint: S3Endpoint(scheme: "https", host: "s3.eu-west-1.amazonaws.com"), region: "eu-west-1",
                                            credentials: SigV4Credentials(accessKeyID: "K", secretAccessKey: "S"), addressing: .virtualHosted)
        let virtual = try S3Client(configuration: configuration)
        #expect(virtual.target(bucket: "archive", key: "snapshots/a b.tar.gz") == ("archive.s3.eu-west-1.amazonaws.com", "/snapshots/a b.tar.gz"))
        #expect(virtual.target(bucket: "archive", key: nil) == ("archive.s3.eu-west-1.amazonaws.com", "/"))
        configuration.addressing = .path
        configuration.endpoint = S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000)
        let path = try S3Client(configuration: configuration)
        #expect(path.target(bucket: "archive", key: "snapshots/a.tar.gz") == ("127.0.0.1:9000", "/archive/snapshots/a.tar.gz"))
        #expect(path.target(bucket: "archive", key: nil) == ("127.0.0.1:9000", "/archive"))
        #expect(S3Endpoint(scheme: "https", host: "h", port: 443).authority() == "h")
        #expect(S3Endpoint(scheme: "http", host: "::1", port: 9000).authority() == "[::1]:9000")
        await virtual.shutdown()
        await path.shutdown()
    }

    @Test("S3's XML: entities, CDATA, namespaces, nesting; malformed documents are refused")
    func xml() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
              <Contents><Key>a &amp; b &lt;c&gt; &#233;&#x20AC;</Key><ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>
              <Contents><Key><![CDATA[x<y]]></Key><Owner><ID>1</ID></Owner></Contents>
              <IsTruncated>false</IsTruncated><Empty/>
            </ListBucketResult>
            """
        let root = try #require(XMLElement.parse(Array(text.utf8)))
        #expect(root.name == "ListBucketResult" && root.text == "")
        #expect(root.children("Contents").map { $0.value("Key") } == ["a & b <c> é€", "x<y"])
        #expect(root.child("Contents")?.value("ETag") == "\"abc\"")
        #expect(root.children("Contents")[1].child("Owner")?.value("ID") == "1")
        #expect(root.value("Empty") == "")
        for bad in ["<a><b></a>", "<a>", "<a>&bogus;</a>", "<a>&amp</a>", "", "<a></b>"] {
            #expect(XMLElement.parse(Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
