import Foundation
import GBSnapTestSupport
import Testing

/// `gbsnap capture` through the real binary: what it says when a capture goes wrong.
@Suite struct CaptureCommandTests {
    @Test("a login page in front of the target: exit 1, the HTML sentence per kind, the page kept as a rejected member that verify accepts")
    func htmlLoginPage() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        let tmp = TemporaryDirectory("gbsnap-cli-capture"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let r = try await gbsnap(["capture", "--url", fixture.baseURL + "/fault/html", "--name", "behind-login", "--kinds", "heap,vars"], store: store)
        #expect(r.status == 1)
        #expect(r.stderr.contains("heap failed: target \"behind-login\""))
        #expect(r.stderr.contains("the target answered with an HTML page, not a profile: check the URL and pprof prefix, or whether a login sits in front of it"))
        #expect(r.stderr.contains("vars failed: "))
        #expect(r.stderr.contains("failed: no artifact was captured"))

        let list = try await gbsnap(["list", "--json"], store: store)
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(entries.first?["kinds"] as? [String] == [])
        // A failed capture is named by its id (TARGET@latest means the latest with data).
        let id = try #require(entries.first?["id"] as? String)
        let show = try await gbsnap(["show", id, "--json"], store: store)
        let manifest = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(manifest["status"] as? String == "failed")
        let artifacts = try #require(manifest["artifacts"] as? [[String: Any]])
        #expect(artifacts.map { $0["member"] as? String } == ["heap.pb.gz.rejected", "vars.json.rejected"])
        #expect(artifacts.map { $0["status"] as? String } == ["failed", "failed"])

        let verify = try await gbsnap(["verify"], store: store)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let out = "\(tmp.path)/out"
        #expect(try await gbsnap(["export", id, "--output", out], store: store).status == 0)
        #expect(try String(contentsOfFile: "\(out)/heap.pb.gz.rejected", encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
    }

    @Test("every artifact failing prints each reason, then the summary")
    func everyReason() async throws {
        let tmp = TemporaryDirectory("gbsnap-cli-capture"); defer { tmp.cleanup() }
        let r = try await gbsnap(["capture", "--url", "http://127.0.0.1:1", "--name", "down", "--kinds", "heap,vars", "--timeout", "2s"],
                           store: "\(tmp.path)/store")
        #expect(r.status == 1)
        #expect(r.stderr.contains("heap failed: target \"down\" at http://127.0.0.1:1: GET /debug/pprof/heap?gc=1: connection refused"))
        #expect(r.stderr.contains("vars failed: target \"down\" at http://127.0.0.1:1: GET /debug/vars: connection refused"))
        #expect(r.stderr.contains("snapshot ") && r.stderr.contains(" of down failed: no artifact was captured (the reason for each is above"))
    }

    @Test("a URL without a scheme is told to add http://; one ending in the pprof prefix, to drop it", arguments: [
        ("127.0.0.1:2379", "base URL \"127.0.0.1:2379\" has no scheme: add http:// (http://127.0.0.1:2379) or https://"),
        ("http://127.0.0.1:6060/debug/pprof/", "base URL \"http://127.0.0.1:6060/debug/pprof/\" ends with the pprof prefix /debug/pprof, which gbsnap adds to the base URL itself: give the URL without it (http://127.0.0.1:6060)"),
    ])
    func urlHints(url: String, message: String) async throws {
        let tmp = TemporaryDirectory("gbsnap-cli-capture"); defer { tmp.cleanup() }
        let r = try await gbsnap(["capture", "--url", url, "--name", "etcd"], store: "\(tmp.path)/store")
        #expect(r.status == 1)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("an archive whose catalog line was lost is adopted by the next capture of its target")
    func adoptsLostSnapshot() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        let tmp = TemporaryDirectory("gbsnap-cli-capture"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let imported = try await gbsnap(["import", Samples.path("go1.27/vars-a.json"), "--target", "svc", "--taken-at", "2026-11-26T02:00:00Z"], store: store)
        let id = imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // What a crash between the archive's rename and its catalog line leaves.
        try FileManager.default.removeItem(atPath: "\(store)/catalog/svc.jsonl")
        #expect(try await gbsnap(["list", "--target", "svc"], store: store).stdout.contains(id) == false)

        let r = try await gbsnap(["capture", "--url", fixture.baseURL, "--name", "svc", "--kinds", "vars"], store: store)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("adopted snapshot \(id) into the catalog: its archive snapshots/svc/2026/11/26/\(id).tar.gz was stored but its catalog entry was not"))
        let list = try await gbsnap(["list", "--target", "svc", "--json"], store: store)
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(entries.count == 2)
        #expect(entries.first?["id"] as? String == id)
    }
}
