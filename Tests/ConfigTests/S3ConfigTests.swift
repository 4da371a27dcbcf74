import Foundation
import S3
import Testing
@testable import Config

@Suite("s3: in the config")
struct S3ConfigTests {
    @Test("the s3: block loads into the settings a bucket store resolves with; its files are checked like credential files")
    func loads() throws {
        let yaml = """
            store: s3://gbsnap-archive/prod
            s3:
              endpoint: https://minio.internal:9000
              region: eu-west-1
              access_key_id: AKIAEXAMPLE
              secret_access_key_file: /etc/gbsnap/s3-secret
              session_token_file: /etc/gbsnap/s3-token
              addressing: virtual
              ca_file: /etc/gbsnap/ca.pem

            """ + minimalTarget
        let config = try ConfigFile.parse(yaml: yaml, fileName: "gbsnap.yaml")
        #expect(config.store == "s3://gbsnap-archive/prod")
        let s3 = try #require(config.s3)
        #expect(s3 == S3Configuration.FileSettings(endpoint: "https://minio.internal:9000", region: "eu-west-1", accessKeyID: "AKIAEXAMPLE",
                                                   secretAccessKeyFile: "/etc/gbsnap/s3-secret", sessionTokenFile: "/etc/gbsnap/s3-token",
                                                   addressing: .virtualHosted, caFile: "/etc/gbsnap/ca.pem"))
        let warnings = config.fileProblems { $0 == "/etc/gbsnap/ca.pem" ? nil : "does not exist" }.map(\.description)
        #expect(warnings == [
            "gbsnap.yaml:6:27: warning: s3 secret_access_key_file /etc/gbsnap/s3-secret does not exist; no bucket request could be signed",
            "gbsnap.yaml:7:23: warning: s3 session_token_file /etc/gbsnap/s3-token does not exist; no bucket request could be signed",
        ])
        #expect(try ConfigFile.parse(yaml: minimalTarget, fileName: "gbsnap.yaml").s3 == nil)
    }

    @Test("a bad s3: block is an error at its line; a secret is never a value of the config")
    func invalid() {
        #expect(errors("s3: {addressing: dns}\n" + minimalTarget) == ["gbsnap.yaml:1:18: s3 addressing \"dns\" is not path or virtual"])
        #expect(errors("s3: {endpoint: \"minio:9000\"}\n" + minimalTarget).first?.contains("must start with http:// or https://") == true)
        #expect(errors("s3: {access_key_id: AKIA}\n" + minimalTarget)
            == ["gbsnap.yaml:1:5: s3 access_key_id needs secret_access_key_file, a file holding its secret (a secret is never written in the config)"])
        #expect(errors("s3: {secret_access_key_file: /x}\n" + minimalTarget)
            == ["gbsnap.yaml:1:5: s3 secret_access_key_file needs access_key_id, the key id the secret belongs to"])
        let inline = errors("s3: {access_key_id: AKIA, secret_access_key: hunter2}\n" + minimalTarget)
        #expect(inline.contains("gbsnap.yaml:1:27: unknown key \"secret_access_key\" in s3 (allowed: endpoint, region, access_key_id, secret_access_key_file, session_token_file, addressing, ca_file)"), "\(inline)")
        #expect(!inline.joined().contains("hunter2"))
    }
}
