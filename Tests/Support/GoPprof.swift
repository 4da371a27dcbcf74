import Foundation

/// `go tool pprof`, the oracle the profile and diff tests compare against. A missing `go` is a
/// failure, not a skip: CI installs Go precisely so these checks run.
public enum GoPprof {
    /// What one `go tool pprof` run printed.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// pprof's `-top` table: the profile type, the total, and flat/cum per node name.
    public struct Top: Sendable {
        public var type: String
        public var total: Int64
        public var rows: [String: (flat: Int64, cum: Int64)]
    }

    /// Why the oracle could not answer.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The `go` executable: on `PATH`, or where Debian's golang-go puts it.
    public static func goBinary() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/go" } + ["/usr/bin/go", "/usr/local/go/bin/go", "/usr/lib/go/bin/go"]
        guard let go = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "`go` is not on PATH (\(path)); install Go (apt-get install golang-go) so `go tool pprof` can check the results")
        }
        return go
    }

    /// Runs `go tool pprof ARGUMENTS`, draining both pipes so a chatty run cannot block.
    public static func run(_ arguments: [String]) async throws -> Output {
        let r = try await Subprocess.run(try goBinary(), ["tool", "pprof"] + arguments, environment: ["PPROF_TMPDIR": NSTemporaryDirectory()])
        return Output(status: r.status, stdout: r.stdoutText, stderr: r.stderr)
    }

    /// Standard output of a run that must succeed.
    public static func output(_ arguments: [String]) async throws -> String {
        let r = try await run(arguments)
        guard r.status == 0 else {
            throw Failure(description: "go tool pprof \(arguments.joined(separator: " ")) failed: \(r.stderr)")
        }
        return r.stdout
    }

    /// `-top` with no node dropped and no symbolization, parsed. `(inline)` markers are removed
    /// and rows of the same name summed, as pprof's node table would for function-level rows.
    public static func top(_ arguments: [String]) async throws -> Top {
        let text = try await output(["-top", "-nodecount=0", "-nodefraction=0", "-edgefraction=0", "-symbolize=none"] + arguments)
        var table = Top(type: "", total: 0, rows: [:])
        var inRows = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Type: ") { table.type = String(line.dropFirst(6)) }
            if line.hasPrefix("Showing nodes accounting for"), let of = line.range(of: " of "), let end = line.range(of: " total") {
                table.total = number(line[of.upperBound..<end.lowerBound])
            }
            if line.contains("flat%") && line.contains("cum%") { inRows = true; continue }
            guard inRows else { continue }
            let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard parts.count == 6 else { continue }
            var name = parts[5].drop(while: { $0 == " " })
            for suffix in [" (inline)", " (partial-inline)"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
            let previous = table.rows[String(name)] ?? (0, 0)
            table.rows[String(name)] = (previous.flat + number(parts[0]), previous.cum + number(parts[3]))
        }
        return table
    }

    /// `13943462B` → 13943462, `-7ns` → -7, `32` → 32.
    public static func number(_ text: Substring) -> Int64 {
        Int64(String(text.trimmingCharacters(in: .whitespaces).prefix { $0 == "-" || $0.isNumber })) ?? Int64.min
    }
}
