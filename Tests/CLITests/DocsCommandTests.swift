import Foundation
import GBSnapTestSupport
import Testing

/// Every `gbsnap …` command that README.md and docs/*.md show in a ```sh or ```console block, run as written (through
/// /bin/sh, so `&&`, `;`, `>` and `>>` work as they would for a reader) against a fixture store, and checked to exit
/// with the status the docs imply. A new command in the docs is checked by default; the few that cannot run in a
/// test are in `DocsCommands.skipped`, each with its reason.
enum DocsCommands {
    /// The repository root, found from this file's own path (Tests/CLITests).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// README.md and every docs/*.md, relative to the root.
    static var documents: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
    }

    struct Line: CustomTestStringConvertible, Sendable, Hashable {
        var file: String
        var number: Int
        /// The command as a reader would type it: prompt and trailing comment removed.
        var command: String
        var testDescription: String { "\(file):\(number): \(command)" }
    }

    struct Block: Sendable {
        var file: String
        var number: Int
        var info: String
        var lines: [(number: Int, text: String)]
    }

    /// The fenced code blocks of a document, with their info strings.
    static func blocks(_ file: String) -> [Block] {
        guard let text = try? String(contentsOfFile: "\(root)/\(file)", encoding: .utf8) else { return [] }
        var result: [Block] = []
        var open: Block?
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                if let b = open {
                    result.append(b)
                    open = nil
                } else {
                    let info = line.trimmingCharacters(in: .whitespaces).dropFirst(3).trimmingCharacters(in: .whitespaces)
                    open = Block(file: file, number: i + 1, info: info, lines: [])
                }
            } else if open != nil {
                open!.lines.append((i + 1, line))
            }
        }
        return result
    }

    /// Removes a trailing `# comment` (a `#` after whitespace, outside quotes), as the shell would.
    static func stripComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        var end = line.endIndex
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#" && previous.isWhitespace {
                end = i
                break
            }
            previous = c
        }
        return line[..<end].trimmingCharacters(in: .whitespaces)
    }

    /// The `gbsnap` commands of one block: in `sh` blocks every line starting with `gbsnap `, in `console` blocks the
    /// `$ ` lines (the rest is output).
    static func commands(_ block: Block) -> [Line] {
        guard ["sh", "console", "shell", "bash"].contains(block.info) else { return [] }
        return block.lines.compactMap { number, text in
            var t = text.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("$ ") {
                t = String(t.dropFirst(2))
            } else if block.info == "console" {
                return nil
            }
            let command = stripComment(t)
            return command.hasPrefix("gbsnap ") ? Line(file: block.file, number: number, command: command) : nil
        }
    }

    static var all: [Line] { documents.flatMap { blocks($0).flatMap(commands) } }

    /// Commands the docs show that a test cannot run, and why. Each must still occur in the docs.
    static let skipped: [String: String] = [
        // A capture from a live Go service at a fixed port; CaptureCommandTests capture from the Go fixture service.
        "gbsnap capture --url http://127.0.0.1:6060 --name order-api --kinds heap,goroutine,stacks,vars":
            "needs a Go service serving net/http/pprof on 127.0.0.1:6060",
        // The daemon runs until stopped; DaemonTests run it against the Go fixture service.
        "gbsnap run --config /etc/gbsnap/gbsnap.yaml": "the daemon runs until it is stopped",
        "gbsnap run --config /etc/gbsnap/gbsnap.yaml --shard 0/3": "the daemon runs until it is stopped",
        // The docs' store holds no execution traces; DiffCommandTests diff real Go 1.27 traces with trace gates.
        "gbsnap diff svc@latest~1 svc@latest --kind trace --fail-on 'trace.stw.total_seconds>50ms'":
            "needs two snapshots of svc holding execution traces",
        // A bucket at an S3 endpoint; S3Tests (BucketStoreMotoTests) copy, list and show against moto.
        "gbsnap copy --from ./storage --to s3://gbsnap-archive/prod": "needs an S3 endpoint and credentials",
        "gbsnap list --store s3://gbsnap-archive/prod": "needs an S3 endpoint and credentials",
        "gbsnap list --store s3://gbsnap-archive/prod --target order-api": "needs an S3 endpoint and credentials",
        "gbsnap copy --from s3://gbsnap-archive/prod --to ./cache order-api@latest": "needs an S3 endpoint and credentials",
        "gbsnap prune --store s3://gbsnap-archive/prod --keep-daily 14 --dry-run": "needs an S3 endpoint and credentials",
        "gbsnap reindex --store s3://gbsnap-archive/prod": "needs an S3 endpoint and credentials",
        "gbsnap capture --url http://10.0.0.5:6060 --name order-api --store s3://gbsnap-archive/prod": "needs an S3 endpoint and credentials",
        // Placeholders for the two sides of whatever diff the paragraph is describing.
        "gbsnap export A --output a/ ; gbsnap export B --output b/":
            "A and B are placeholders for a diff's two sides, defined by the text around it",
    ]

    /// Exit statuses other than 0 that the docs imply for a command on the fixture store.
    static let expectedStatus: [String: Int32] = [
        // heap inuse_space grows +3058 % between the samples: the gate trips.
        "gbsnap diff base.tar.gz new.tar.gz --kind heap --fail-on 'heap.inuse_space.delta>20%'": 3,
        // 6 leak-suspect groups grow by 32 goroutines: the first gate trips.
        "gbsnap diff api --fail-on 'goroutines.suspects.delta>0' --fail-on 'gc.pause_max>50ms'": 3,
        // The samples gain 32 goroutines in 65 s, about 1,770 an hour: the first gate trips.
        "gbsnap trend order-api --fail-on 'goroutines.slope_per_hour>100' --fail-on 'heap.slope_per_hour>50MB'": 3,
        // The fixture's snapshots were imported days before the test runs: older than twice the schedule's period.
        "gbsnap status --config /etc/gbsnap/gbsnap.yaml": 1,
        "gbsnap status --config /etc/gbsnap/gbsnap.yaml --json": 1,
        // (The gates on goroutines.delta>100 hold on the samples, +32 goroutines, and alloc_rate>50MB/s too,
        // 274kB/s: both exit 0.)
    ]

    /// Targets the docs name, each holding the Go 1.27 sample pair.
    static let targets: [(name: String, takenAt: (a: String, b: String))] = [
        // README's order-api@2026-11-26T02:00 must pick the first of the pair.
        ("order-api", ("2026-11-26T02:00:00Z", "2026-11-26T02:01:05Z")),
        ("svc", ("2026-11-27T02:00:00Z", "2026-11-27T02:01:05Z")),
        ("api", ("2026-11-27T02:00:00Z", "2026-11-27T02:01:05Z")),
    ]

    /// Paths the docs use that exist only on a server, and what stands in for them in the fixture's working
    /// directory.
    static let substitutions: [(String, String)] = [
        ("/etc/gbsnap/gbsnap.yaml", "gbsnap.yaml"),
        ("/backups/copy.tar.gz", "backups/copy.tar.gz"),
        ("/tmp/snap", "snap"),
    ]

    /// The config that stands in for /etc/gbsnap/gbsnap.yaml: the fixture's targets, one schedule, one retention rule.
    static let config = """
        store: ./storage   # GBSNAP_STORE, set by the test, overrides it
        targets:
          - name: order-api
            url: http://127.0.0.1:6060
          - name: svc
            url: http://127.0.0.1:6061
          - name: api
            url: http://127.0.0.1:6062
        schedules:
          - name: nightly
            cron: "0 2 * * *"
            targets: [order-api, svc, api]
            kinds: [heap, goroutine, stacks, vars]
        retention:
          rules:
            - keep_last: 3
              keep_daily: 7

        """
}

/// A working directory as a reader of the docs would have it: a store with the sample pair under every target name
/// the docs use, the files the docs name (heap.pb.gz, goroutine.txt, base.tar.gz, new.tar.gz, a backup copy), a
/// config, and `schedules/` of the repository.
struct DocsFixture {
    let diff = DiffFixture()
    var work: String { "\(diff.tmp.path)/work" }

    init() async throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(work)/backups", withIntermediateDirectories: true)
        var svc: (a: String, b: String)?
        for t in DocsCommands.targets {
            let pair = try await diff.importPair("go1.27", target: t.name, takenAt: t.takenAt)
            if t.name == "svc" { svc = pair }
        }
        guard let svc else { throw CLITestError("no svc pair") }
        try fm.copyItem(atPath: Samples.path("go1.27/heap-gc-a.pb.gz"), toPath: "\(work)/heap.pb.gz")
        try fm.copyItem(atPath: Samples.path("go1.27/goroutine-a.debug2.txt"), toPath: "\(work)/goroutine.txt")
        try fm.copyItem(atPath: try archive(svc.a), toPath: "\(work)/base.tar.gz")
        try fm.copyItem(atPath: try archive(svc.b), toPath: "\(work)/new.tar.gz")
        try fm.copyItem(atPath: try archive(svc.b), toPath: "\(work)/backups/copy.tar.gz")
        try fm.createSymbolicLink(atPath: "\(work)/schedules", withDestinationPath: "\(DocsCommands.root)/schedules")
        try DocsCommands.config.write(toFile: "\(work)/gbsnap.yaml", atomically: true, encoding: .utf8)
    }

    /// The stored archive of a snapshot.
    func archive(_ id: String) throws -> String {
        let e = FileManager.default.enumerator(atPath: diff.store)
        while let rel = e?.nextObject() as? String {
            if rel.hasSuffix("\(id).tar.gz") { return "\(diff.store)/\(rel)" }
        }
        throw CLITestError("no archive of \(id) under \(diff.store)")
    }

    /// Runs a docs line through /bin/sh in the working directory, with the built gbsnap first on PATH.
    func run(_ command: String) async throws -> CLIResult {
        var line = command
        for (from, to) in DocsCommands.substitutions { line = line.replacingOccurrences(of: from, with: to) }
        let bin = URL(fileURLWithPath: GBSnapBinary.path).deletingLastPathComponent().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return try await shell(line, in: work, environment: [
            "PATH": "\(bin):\(path)", "GBSNAP_STORE": diff.store, "GITHUB_STEP_SUMMARY": "\(work)/summary.md",
        ])
    }
}

/// Runs `line` with /bin/sh in `dir`.
private func shell(_ line: String, in dir: String, environment: [String: String]) async throws -> CLIResult {
    let quoted = "'" + dir.replacingOccurrences(of: "'", with: "'\\''") + "'"
    return try await run("/bin/sh", ["-c", "cd \(quoted) && \(line)"], environment: environment)
}

@Suite struct DocsCommandTests {
    @Test(arguments: DocsCommands.all.filter { DocsCommands.skipped[$0.command] == nil })
    func docsCommandRuns(_ line: DocsCommands.Line) async throws {
        let fixture = try await DocsFixture()
        defer { fixture.diff.tmp.cleanup() }
        let r = try await fixture.run(line.command)
        let expected = DocsCommands.expectedStatus[line.command] ?? 0
        #expect(r.status == expected, """
            \(line.file):\(line.number): `\(line.command)` exited \(r.status), the docs imply \(expected)
            stderr: \(r.stderr.prefix(2000))
            """)
    }

    @Test func docsHaveCommandsAndTheListsAreCurrent() {
        let all = DocsCommands.all
        let commands = Set(all.map(\.command))
        #expect(all.count >= 30, "only \(all.count) docs commands found: is the extraction broken?")
        for skip in DocsCommands.skipped.keys {
            #expect(commands.contains(skip), "skip list names `\(skip)`, which no doc shows any more")
        }
        for command in DocsCommands.expectedStatus.keys {
            #expect(commands.contains(command), "expected status given for `\(command)`, which no doc shows any more")
        }
    }

    /// A command in an unlabelled block would escape the check: such blocks must say `sh` or `console` (or `text`
    /// for a synopsis that is not meant to run).
    @Test func everyCommandBlockIsLabelled() {
        for file in DocsCommands.documents {
            for block in DocsCommands.blocks(file) where block.info.isEmpty {
                for (number, text) in block.lines {
                    let t = text.trimmingCharacters(in: .whitespaces)
                    #expect(!(t.hasPrefix("gbsnap ") || t.hasPrefix("$ gbsnap ")),
                            "\(file):\(number): a gbsnap command in an unlabelled block (use ```sh, ```console or ```text)")
                }
            }
        }
    }
}
