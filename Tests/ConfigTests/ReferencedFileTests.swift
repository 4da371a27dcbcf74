import Foundation
import GBSnapCore
import Testing
@testable import Config

/// `config check` names credential and CA files that cannot be read, where the config names them.
@Suite struct ReferencedFileTests {
    @Test func everyCredentialAndCAFileIsRememberedWithItsPosition() throws {
        let yaml = """
        defaults:
          auth: {bearer_token_file: /secrets/all.token}
        targets:
          - name: a
            url: https://a:1
            tls: {ca_file: ca.pem, cert_file: /tls/c.pem, key_file: /tls/k.pem}
          - name: b
            url: http://b:1
            auth:
              basic: {username: u, password_file: /secrets/b.password}
        """
        let config = try ConfigFile.parse(yaml: yaml, fileName: "g.yaml")
        #expect(config.referencedFiles.map { "\($0.line):\($0.column) \($0.path)" } == [
            "2:29 /secrets/all.token", "6:20 ca.pem", "6:39 /tls/c.pem", "6:61 /tls/k.pem", "10:43 /secrets/b.password",
        ])
        let problems = config.fileProblems { $0 == "ca.pem" ? nil : ($0.hasSuffix(".password") ? "is not readable (Permission denied)" : "does not exist") }
        #expect(problems.map(\.description).first == "g.yaml:2:29: warning: defaults: auth bearer_token_file /secrets/all.token does not exist; every capture of the target would fail")
        #expect(problems.map(\.description).last == "g.yaml:10:43: warning: target \"b\": auth basic password_file /secrets/b.password is not readable (Permission denied); every capture of the target would fail")
        #expect(problems.count == 4)
    }

    @Test func unreadableReasonsAreTheFileSystemsAnswer() throws {
        let dir = NSTemporaryDirectory() + "gbsnap-files-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: "\(dir)/ok", contents: Data("x".utf8))
        #expect(SystemIO.unreadableReason("\(dir)/ok") == nil)
        #expect(SystemIO.unreadableReason("\(dir)/missing") == "does not exist")
        #expect(SystemIO.unreadableReason(dir) == "is a directory, not a file")
    }
}
