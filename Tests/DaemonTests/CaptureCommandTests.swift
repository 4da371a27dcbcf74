import GBSnapTestSupport
import Foundation
import SnapshotStore
import Testing

/// `gbsnap capture` against the real Go fixture.
@Suite("gbsnap capture")
struct CaptureCommandTests {
    static func entries(_ store: String) throws -> [CatalogEntry] { try SnapshotStore(root: store, create: false).list(ListFilter()) }

    @Test("a config target: prints the new snapshot id, stores it in the config's store with the requested kinds")
    func configTarget() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-capture-config")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let config = dir.file("gbsnap.yaml", """
            store: \(store)
            targets:
              - name: order-api
                url: \(fixture.baseURL)
                labels: { region: cn-east }
            schedules:
              - name: s
                cron: "@hourly"
                targets: [order-api]
                kinds: [heap, vars]
            """)
        let result = try await gbsnap(["capture", "order-api", "--config", config, "--kinds", "goroutine,vars"])
        #expect(result.status == 0, "\(result.stderr)")
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let entry = try #require(try Self.entries(store).first)
        #expect(entry.id == id)
        #expect(entry.target == "order-api")
        #expect(entry.schedule == "manual")
        #expect(entry.kinds.sorted() == ["goroutine", "vars"])
        #expect(entry.labels["region"] == "cn-east")
        #expect(entry.status == .complete)

        // Without --kinds, the kinds of the schedule that captures the target.
        let again = try await gbsnap(["capture", "order-api", "--config", config, "--json"])
        #expect(again.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect((json?["kinds"] as? [String])?.sorted() == ["heap", "vars"])
    }

    @Test("--url with credentials: used for the capture, never stored in the archive or the catalog")
    func urlCredentialsNeverStored() async throws {
        let fixture = try await GoFixture.start()
        defer { fixture.stop() }
        let dir = TemporaryDirectory("gbsnap-capture-url")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let url = "http://fixture-user:s3cr3t-passw0rd@\(fixture.address)"
        let result = try await gbsnap(["capture", "--url", url, "--name", "adhoc", "--kinds", "vars,goroutine", "--label", "env=test",
                                 "--timeout", "20s", "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("s3cr3t") && !result.stderr.contains("s3cr3t"))
        let entry = try #require(try Self.entries(store).first)
        #expect(entry.target == "adhoc" && entry.labels == ["env": "test"])
        for file in regularFiles(under: store) {
            let path = store + "/" + file
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(!String(decoding: bytes, as: UTF8.self).contains("s3cr3t"), "\(file) holds the password")
            if file.hasSuffix(".tar.gz") {
                let members = try await runCommand("/usr/bin/tar", ["-xzOf", path])
                #expect(members.status == 0)
                #expect(!members.stdout.contains("s3cr3t"), "\(file) holds the password in a member")
                #expect(!members.stdout.contains("fixture-user:"), "\(file) holds the user info")
            }
        }
    }

    @Test("an unreachable URL: the snapshot is recorded as failed, its id printed, the reason warned, exit 1")
    func unreachable() async throws {
        let dir = TemporaryDirectory("gbsnap-capture-down")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        let result = try await gbsnap(["capture", "--url", "http://127.0.0.1:1", "--name", "down", "--kinds", "vars", "--store", store])
        #expect(result.status == 1)
        let entry = try #require(try Self.entries(store).first)
        #expect(entry.status == .failed)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == entry.id)
        #expect(result.stderr.contains("vars failed"))
        #expect(result.stderr.contains("snapshot \(entry.id) of down failed"))
    }

    @Test("usage errors exit 2; an unknown config target exits 1 naming the known ones")
    func errors() async throws {
        let dir = TemporaryDirectory("gbsnap-capture-usage")
        defer { dir.cleanup() }
        let store = dir.path + "/store"
        #expect(try await gbsnap(["capture", "--store", store]).status == 2)
        #expect(try await gbsnap(["capture", "--url", "http://127.0.0.1:1", "--store", store]).status == 2)
        #expect(try await gbsnap(["capture", "x", "--store", store]).status == 2)
        let badKind = try await gbsnap(["capture", "--url", "http://127.0.0.1:1", "--name", "n", "--kinds", "heap,nope", "--store", store])
        #expect(badKind.status == 2)
        #expect(badKind.stderr.contains("unknown kind \"nope\""))
        #expect(try await gbsnap(["capture", "--url", "http://127.0.0.1:1", "--name", "n", "--timeout", "-3s", "--store", store]).status == 2)
        let config = dir.file("c.yaml", "targets:\n  - name: a\n    url: http://127.0.0.1:1\n")
        let unknown = try await gbsnap(["capture", "zzz", "--config", config, "--store", store])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("target \"zzz\" is not defined in \(config); known targets: a"))
    }
}
