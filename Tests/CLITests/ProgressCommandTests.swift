import Foundation
import GBSnapTestSupport
import Testing

/// "Long work shows progress": verify, reindex, prune and cpu/trace captures draw a one-line counter on stderr when
/// it is a terminal, erase it when done, and say nothing of it in pipes or under --json.
@Suite struct ProgressCommandTests {
    /// A store of four snapshots of `svc` made from the real samples, a day apart.
    static func storeOfFour() async throws -> DiffFixture {
        let f = DiffFixture()
        for day in 1...4 {
            _ = try await f.importSnapshot([Samples.path("go1.19/heap-a.pb.gz"), Samples.path("go1.19/vars-a.json")],
                                     target: "svc", takenAt: "2026-11-2\(day)T02:00:00Z")
        }
        return f
    }

    static let erase = "\r\u{1B}[2K"

    @Test("verify of the whole store counts its snapshots on a terminal, erases the count, then prints the verdict")
    func verifyOnATerminal() async throws {
        let f = try await Self.storeOfFour(); defer { f.tmp.cleanup() }
        let shown = try await onTerminal(["verify"], store: f.store)
        #expect(shown.contains("gbsnap verify: checking 0/4 (0%) 20261121T020000Z-svc-"), "\(shown)")
        #expect(shown.contains("gbsnap verify: checking 4/4 (100%)"), "\(shown)")
        #expect(shown.contains(Self.erase + "verified 4 snapshot(s): all good"), "\(shown)")
        #expect(shown.contains("[exit 0]"))
    }

    @Test("verify of several selectors counts them too")
    func verifySelectorsOnATerminal() async throws {
        let f = try await Self.storeOfFour(); defer { f.tmp.cleanup() }
        let shown = try await onTerminal(["verify", "svc@latest", "svc@latest~1"], store: f.store)
        #expect(shown.contains("gbsnap verify: checking 2/2 (100%)"), "\(shown)")
        #expect(shown.contains("verified 2 snapshot(s): all good"), "\(shown)")
    }

    @Test("reindex counts the archives it reads on a terminal")
    func reindexOnATerminal() async throws {
        let f = try await Self.storeOfFour(); defer { f.tmp.cleanup() }
        let shown = try await onTerminal(["reindex"], store: f.store)
        #expect(shown.contains("gbsnap reindex: reading 0/4 (0%) snapshots/svc/2026/11/21/"), "\(shown)")
        #expect(shown.contains(Self.erase + "reindexed 4 snapshot(s) of 1 target(s)"), "\(shown)")
    }

    @Test("prune counts the snapshots it removes on a terminal; a dry run removes nothing and shows no count")
    func pruneOnATerminal() async throws {
        let f = try await Self.storeOfFour(); defer { f.tmp.cleanup() }
        let dry = try await onTerminal(["prune", "--keep-last", "1", "--dry-run"], store: f.store)
        #expect(dry.contains("would remove 3 snapshots"), "\(dry)")
        #expect(!dry.contains("gbsnap prune:"), "\(dry)")

        let shown = try await onTerminal(["prune", "--keep-last", "1"], store: f.store)
        #expect(shown.contains("gbsnap prune: removing 0/3 (0%) 20261123T020000Z-svc-"), "\(shown)")
        #expect(shown.contains("gbsnap prune: removing 3/3 (100%)"), "\(shown)")
        #expect(shown.contains("removed 3 snapshots"), "\(shown)")
    }

    @Test("under --json a terminal shows only the JSON")
    func quietUnderJSON() async throws {
        let f = try await Self.storeOfFour(); defer { f.tmp.cleanup() }
        for args in [["verify", "--json"], ["reindex", "--json"], ["prune", "--keep-last", "1", "--json"]] {
            let shown = try await onTerminal(args, store: f.store)
            #expect(!shown.contains("gbsnap \(args[0]):"), "\(args): \(shown)")
            #expect(!shown.contains("\u{1B}[2K"), "\(args): \(shown)")
            #expect(shown.contains("[exit 0]"), "\(args): \(shown)")
        }
    }

    @Test("when stderr is a pipe there is no progress line, only the results")
    func quietInAPipe() async throws {
        let f = try await Self.storeOfFour(); defer { f.tmp.cleanup() }
        for args in [["verify"], ["reindex"], ["prune", "--keep-last", "1"]] {
            let r = try await gbsnap(args, store: f.store)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stderr.isEmpty, "\(args): \(r.stderr)")
            #expect(!r.stdout.contains("\u{1B}"), "\(args): \(r.stdout)")
        }
    }

    @Test("a cpu capture counts its seconds on a terminal, then prints the snapshot id; quiet under --json and in a pipe")
    func cpuCaptureCountsDown() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        let tmp = TemporaryDirectory("gbsnap-cli-progress"); defer { tmp.cleanup() }
        let store = "\(tmp.path)/store"
        let args = ["capture", "--url", fixture.baseURL, "--name", "fx", "--kinds", "cpu", "--seconds", "2"]

        let shown = try await onTerminal(args, store: store)
        #expect(shown.contains("gbsnap capture: cpu 0s of 2s"), "\(shown)")
        #expect(shown.contains(Self.erase), "\(shown)")
        #expect(shown.contains("[exit 0]"), "\(shown)")
        // The id comes after the erased line, on a clean line of its own.
        #expect(shown.range(of: NSRegularExpression.escapedPattern(for: Self.erase) + "\\d{8}T\\d{6}Z-fx-", options: .regularExpression) != nil, "\(shown)")

        let json = try await onTerminal(args + ["--json"], store: store)
        #expect(!json.contains("gbsnap capture:"), "\(json)")
        #expect(json.contains("[exit 0]"), "\(json)")

        let piped = try await gbsnap(args, store: store)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stderr.contains("gbsnap capture:"), "\(piped.stderr)")
    }

    @Test("a capture without cpu or trace waits for nothing and shows no count")
    func quickCaptureIsQuiet() async throws {
        let fixture = try await GoFixture.start()
        defer { _ = fixture.stop() }
        let tmp = TemporaryDirectory("gbsnap-cli-progress"); defer { tmp.cleanup() }
        let shown = try await onTerminal(["capture", "--url", fixture.baseURL, "--name", "fx", "--kinds", "heap,vars"], store: "\(tmp.path)/store")
        #expect(!shown.contains("gbsnap capture:"), "\(shown)")
        #expect(shown.contains("[exit 0]"), "\(shown)")
    }
}
