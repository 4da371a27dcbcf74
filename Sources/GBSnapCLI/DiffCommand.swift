import ArgumentParser
import Diff
import Foundation
import GBSnapCore
import Profiles
import SnapshotStore

extension GBSnapCommand {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what grew between two snapshots: profiles, goroutines, runtime stats.",
            discussion: """
            Compares every pprof kind both snapshots hold (heap, allocs, cpu, block, mutex, goroutine, \
            goroutineleak, threadcreate), goroutine growth (from stacks, else goroutine-text, else the goroutine \
            profile) and runtime stats (vars). Per-function numbers equal \
            `go tool pprof -top -nodecount=0 -sample_index=X -diff_base=A B`. \
            The text output starts with a headline (what grew, one line per kind), then bounded tables \
            (--limit, --all). Formats: text, markdown (pull requests, CI summaries), json, html (a self-contained \
            report with differential flame graphs), folded (`stack count_a count_b`, for flamegraph.pl), \
            folded-delta, pprof (the diff profile; to a file or a pipe). \
            Exit status: 0 ok, 1 failure, 2 usage error, 3 a --fail-on gate tripped. See docs/diff.md.
            """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, markdown, json, html, folded, pprof
            case foldedDelta = "folded-delta"

            /// Binary formats never go to a terminal.
            var isBinary: Bool { self == .pprof }
            /// Documents for people that show the warnings in their own block (else they go to stderr).
            var carriesWarnings: Bool { [.text, .markdown, .html].contains(self) }
        }

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot A (the base): id, id prefix, TARGET@latest[~N], TARGET@TIME or archive path.") var a: String
        @Argument(help: "Snapshot B.") var b: String
        @Option(help: "Compare only this kind (repeatable): a pprof kind, stacks, goroutine-text or vars.") var kind: [String] = []
        @Option(name: .customLong("sample-index"), help: "Sample type to compare (name or index; default as go tool pprof).")
        var sampleIndex: String?
        @Option(help: "Rows per function or per source line (functions|lines).") var granularity: String = "functions"
        @Option(help: "Output format: text, markdown, json, html, folded, folded-delta, pprof.") var format: Format = .text
        @Option(name: [.short, .long], help: "Write the output to this file instead of stdout.") var output: String?
        @Option(name: .customLong("fail-on"), help: "Exit 3 when this holds, e.g. goroutines.delta>100 (repeatable).")
        var failOn: [String] = []
        @Option(help: "Rows per table (0 = all; default 20, 100 in html).") var limit: Int?
        @Flag(help: "Also show rows whose deltas are zero and unchanged goroutine groups.") var all = false

        func validate() throws {
            guard ProfileDiffGranularity(rawValue: granularity) != nil else {
                throw ValidationError("--granularity \"\(granularity)\" must be functions or lines")
            }
            if let limit, limit < 0 { throw ValidationError("--limit \(limit) must be 0 (all rows) or more") }
            if format.isBinary && output == nil && SystemIO.isTerminal(1) {
                throw ValidationError("--format \(format.rawValue) writes a binary profile; give --output FILE or redirect stdout (> diff.pb.gz)")
            }
            for k in kind { _ = try Self.kindName(k) }
            for expression in failOn {
                do { _ = try FailOnGate(parsing: expression) } catch { throw ValidationError("\(error)") }
            }
        }

        static func kindName(_ text: String) throws -> String {
            let name = try CLIParsing.kindName(text)
            let comparable = SnapshotDiff.comparableKinds
            guard comparable.contains(name) else {
                throw ValidationError("--kind \(name) cannot be diffed; diffable kinds: \(comparable.joined(separator: ", "))")
            }
            return name
        }

        func run() async throws {
            let requested = kind.isEmpty ? nil : Set(try kind.map(Self.kindName))
            let gates = try failOn.map { expression in
                do { return try FailOnGate(parsing: expression) } catch { throw ValidationError("\(error)") }
            }
            let result: SnapshotDiffResult = try await reportingFailures {
                let store = try storeOptions.open(create: false)
                let snapshotA = try store.resolve(a)
                let snapshotB = try store.resolve(b)
                let input = SnapshotDiffInput(
                    a: Self.side(snapshotA, store: store), b: Self.side(snapshotB, store: store),
                    kinds: requested, sampleIndex: sampleIndex.map(SampleIndexSelector.init),
                    granularity: ProfileDiffGranularity(rawValue: granularity) ?? .functions, gates: gates)
                do {
                    return try SnapshotDiff.compute(input)
                } catch let e as GateError {
                    // The expression parsed but names a metric this diff lacks: a usage error.
                    throw ValidationError(e.description)
                }
            }
            if !format.carriesWarnings || output != nil {
                for warning in result.report.warnings { Console.warning(warning) }
            }

            try await reportingFailures {
                switch format {
                case .text: try emit(Array(SnapshotDiffRender.text(result, bounds: bounds(default: 20), style: textStyle).utf8))
                case .markdown: try emit(Array(SnapshotDiffRender.markdown(result, bounds: bounds(default: 20)).utf8))
                case .html:
                    try emit(Array(try HTMLReport.render(result, options: HTMLReport.Options(bounds: bounds(default: 100))).utf8))
                    if let output { FileHandle.standardError.write(Data("gbsnap: wrote the report to \(output)\n".utf8)) }
                case .json: try emit(Array(try result.report.jsonData()) + [0x0A])
                case .folded: try emit(Array(try SnapshotDiffRender.folded(result, values: .pair).utf8))
                case .foldedDelta: try emit(Array(try SnapshotDiffRender.folded(result, values: .delta).utf8))
                case .pprof:
                    guard result.profiles.count == 1, let only = result.profiles.first else {
                        let kinds = result.profiles.map(\.kind)
                        throw ValidationError(kinds.isEmpty
                            ? "--format pprof needs a pprof kind both snapshots hold; they share none"
                            : "--format pprof writes one kind but \(kinds.count) are compared (\(kinds.joined(separator: ", "))); choose one with --kind")
                    }
                    let merged = try DiffProfileBuilder.build(base: only.base, current: only.current)
                    try emit(try ProfileEncoder.encode(merged))
                    if output != nil {
                        FileHandle.standardError.write(Data("gbsnap: wrote the \(only.kind) diff profile; open it with: go tool pprof -top \(output ?? "")\n".utf8))
                    }
                }
            }
            let tripped = result.tripped
            if !tripped.isEmpty {
                for outcome in tripped { Console.error(outcome.message) }
                throw ExitCode(3)
            }
        }

        /// Table bounds from `--limit` (0 = all) and `--all`.
        func bounds(default rows: Int) -> TableBounds {
            let limit = self.limit ?? rows
            return TableBounds(limit: limit == 0 ? nil : limit, all: all)
        }

        /// Colour and shortening only for a terminal on stdout, and no colour when NO_COLOR is set (no-color.org).
        var textStyle: TextStyle {
            guard output == nil, SystemIO.isTerminal(1) else { return .plain }
            let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
            return TextStyle(color: !noColor, width: SystemIO.terminalColumns(1))
        }

        /// Writes to `--output` or stdout.
        func emit(_ bytes: [UInt8]) throws {
            if let output {
                do {
                    try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw DiffOutputError(path: output, reason: "\(error.localizedDescription)")
                }
            } else {
                var out = FileOutput.standardOutput
                out.buffer = bytes
                out.flush()
            }
        }

        /// A loader over the store for one resolved snapshot; only `ok` artifacts with a member count.
        static func side(_ snapshot: ResolvedSnapshot, store: SnapshotStore) -> SnapshotDiffInput.Side {
            var members: [String: String] = [:]
            var names: [String: String] = [:]
            for record in snapshot.manifest.artifacts where record.status == .ok {
                guard let member = record.member, members[record.kind] == nil else { continue }
                members[record.kind] = member
                names[record.kind] = record.name == record.kind ? member : "\(record.name) (\(member))"
            }
            return SnapshotDiffInput.Side(
                id: snapshot.id, target: snapshot.manifest.target.name, takenAt: snapshot.takenAt,
                kinds: members.keys.sorted(), artifactNames: names,
                load: { kind in
                    guard let member = members[kind] else { throw MissingArtifact(snapshot: snapshot.id, kind: kind) }
                    return try store.readArtifact(snapshot, member: member, limit: 1 << 30)
                })
        }
    }
}

/// The diff output could not be written.
struct DiffOutputError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot write \(path): \(reason)" }
}

/// A kind the loader was asked for that the snapshot does not hold (the planner never asks for one).
struct MissingArtifact: Error, CustomStringConvertible {
    var snapshot: String
    var kind: String
    var description: String { "snapshot \(snapshot) has no \(kind) artifact" }
}
