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
            With one argument (`gbsnap diff order-api`, or a selector for B) it compares the newest snapshot with the \
            newest earlier one that shares a diffable kind. TARGET@latest, TARGET@latest~N and TARGET@TIME count only \
            snapshots with data that hold a kind diff compares, narrowed by --kind and --schedule (failed captures \
            never count; ids and paths name one snapshot as given). \
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
        @Argument(help: "Snapshot A (the base): id, id prefix, TARGET@latest[~N], TARGET@TIME or archive path; alone, a TARGET (or B) to compare with the snapshot before it.")
        var a: String
        @Argument(help: "Snapshot B.") var b: String?
        @Option(help: "Compare only this kind (repeatable): a pprof kind, stacks, goroutine-text or vars; TARGET@latest~N then counts only snapshots holding it.",
                transform: CaptureKind.parse)
        var kind: [CaptureKind] = []
        @Option(help: "TARGET@latest~N and TARGET@TIME count only snapshots of this schedule, or of those a glob matches (nightly, manual, 'trigger/*').")
        var schedule: String?
        @Option(name: .customLong("sample-index"), help: "Sample type to compare (name or index; default as go tool pprof).")
        var sampleIndex: String?
        @Option(help: "Rows per function or per source line: functions (default) or lines.", transform: ProfileDiffGranularity.parse)
        var granularity: ProfileDiffGranularity = .functions
        @Option(help: "Output format: text, markdown, json, html, folded, folded-delta, pprof.") var format: Format = .text
        @Option(name: [.short, .long], help: "Write the output to this file instead of stdout.") var output: String?
        @Option(name: .customLong("fail-on"), help: "Exit 3 when this holds, e.g. goroutines.delta>100 (repeatable).",
                transform: FailOnGate.parse)
        var failOn: [FailOnGate] = []
        @Option(help: "Rows per table (0 = all; default 20, 100 in html).") var limit: Int?
        @Flag(help: "Also show rows whose deltas are zero and unchanged goroutine groups.") var all = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit \(limit) must be 0 (all rows) or more") }
            if format.isBinary && output == nil && SystemIO.isTerminal(1) {
                throw ValidationError("--format \(format.rawValue) writes a binary profile; give --output FILE or redirect stdout (> diff.pb.gz)")
            }
            let comparable = SnapshotDiff.comparableKinds
            for k in kind where !comparable.contains(k) {
                throw ValidationError("--kind \(k) cannot be diffed; diffable kinds: \(comparable.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let requested = kind.isEmpty ? nil : Set(kind)
            let scratch = NSTemporaryDirectory() + "gbsnap-mirror-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let result: SnapshotDiffResult = try await reportingFailures {
                // A bucket's catalog of the targets named is mirrored into a scratch store, and only the two
                // archives compared are fetched into it; the diff then reads them as on disk.
                let store = try await storeOptions.openOrMirror(selectors: [a] + (b.map { [$0] } ?? []), scratch: scratch) { mirror in
                    try DiffSelection(store: mirror, requested: requested, schedule: schedule).entries(a, b)
                }
                let selection = DiffSelection(store: store, requested: requested, schedule: schedule)
                let (snapshotA, snapshotB) = try selection.pair(a, b)
                let input = SnapshotDiffInput(
                    a: Self.side(snapshotA, store: store), b: Self.side(snapshotB, store: store),
                    kinds: requested, sampleIndex: sampleIndex.map(SampleIndexSelector.init),
                    granularity: granularity, gates: failOn)
                do {
                    return try SnapshotDiff.compute(input)
                } catch let e as GateError {
                    // The expression parsed but names a metric this diff lacks: a usage error.
                    throw ValidationError(e.description)
                } catch let e as SnapshotDiffError {
                    guard case .noCommonKind = e else { throw e }
                    throw selection.explainNoCommonKind(e, snapshotA, snapshotB)
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
                        let kinds = result.profiles.map(\.kind.rawValue)
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

        var textStyle: TextStyle { OutputFile.textStyle(output: output) }

        /// Writes to `--output` or stdout.
        func emit(_ bytes: [UInt8]) throws {
            try OutputFile.write(bytes, to: output)
        }

        /// A loader over the store for one resolved snapshot; only `ok` artifacts with a member count.
        static func side(_ snapshot: ResolvedSnapshot, store: SnapshotStore) -> SnapshotDiffInput.Side {
            let (members, names) = ArtifactMembers.of(snapshot.manifest) { _ in true }
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

/// Which two snapshots `gbsnap diff` compares: the selectors as given, or for one argument the
/// newest snapshot and the newest earlier one that shares a diffable kind.
struct DiffSelection {
    var store: SnapshotStore
    /// Kinds the diff compares (`--kind`, else every diffable kind), as the catalog names them.
    var comparable: Set<String>
    var filter: SelectorFilter

    init(store: SnapshotStore, requested: Set<CaptureKind>?, schedule: String?) {
        self.store = store
        comparable = Set((requested ?? Set(SnapshotDiff.comparableKinds)).map(\.rawValue))
        filter = SelectorFilter(kinds: comparable, schedule: schedule, kindsLabel: requested == nil ? "a kind diff compares" : nil)
    }

    func pair(_ a: String, _ b: String?) throws -> (ResolvedSnapshot, ResolvedSnapshot) {
        if let b { return (try store.resolve(a, filter: filter), try store.resolve(b, filter: filter)) }
        let (older, newer) = try pairEntries(a)
        return (try store.resolve(older), try store.resolve(newer))
    }

    /// The catalog entries ``pair(_:_:)`` would compare, without opening an archive (nil for an archive path
    /// selector): what a bucket's diff fetches.
    func entries(_ a: String, _ b: String?) throws -> [CatalogEntry] {
        if let b { return [try store.entry(for: a, filter: filter), try store.entry(for: b, filter: filter)].compactMap { $0 } }
        if !a.contains("@"), try !store.targets().contains(a), try store.entry(for: a, filter: filter) == nil { return [] }
        let (older, newer) = try pairEntries(a)
        return [older, newer]
    }

    /// The pair for one argument: a target name, or a selector for B.
    func pairEntries(_ a: String) throws -> (CatalogEntry, CatalogEntry) {
        // One argument: a target name, or a selector for B.
        let entries: [CatalogEntry]
        let newer: CatalogEntry
        if !a.contains("@"), try store.targets().contains(a) {
            entries = try store.entries(ofTarget: a, input: "gbsnap diff \(a)")
            guard let found = SnapshotPairing.newest(in: entries, comparable: comparable, filter: filter) else {
                throw DiffSelectionError(message: "gbsnap diff \(a): target \"\(a)\" has no snapshot\(filter.description) "
                    + "(gbsnap list --target \(a) shows what it has)")
            }
            newer = found
        } else {
            guard let entry = try store.entry(for: a, filter: filter) ?? store.resolve(a, filter: filter).entry else {
                throw DiffSelectionError(message: "gbsnap diff \(a): the archive is not in the catalog, so there is no earlier snapshot to compare it with; give two snapshots")
            }
            entries = try store.entries(ofTarget: entry.target, input: "gbsnap diff \(a)")
            newer = entry
        }
        guard let older = SnapshotPairing.base(for: newer, in: entries, comparable: comparable, filter: filter) else {
            let alternative = SnapshotPairing.newestPair(in: entries, comparable: comparable, filter: filter)
                .map { "; the newest pair that compares is: gbsnap diff \($0.a.id) \($0.b.id)" }
                ?? "; take another with gbsnap capture \(newer.target)"
            throw DiffSelectionError(message: "gbsnap diff \(a): snapshot \(newer.id) (\(newer.kinds.joined(separator: ", "))) has no earlier "
                + "snapshot\(filter.description) that shares a kind with it\(alternative)")
        }
        return (older, newer)
    }

    /// The no-common-kind error, with the nearest pairs that would compare.
    func explainNoCommonKind(_ error: SnapshotDiffError, _ a: ResolvedSnapshot, _ b: ResolvedSnapshot) -> any Error {
        guard let ea = a.entry, let eb = b.entry,
              let entriesA = try? store.entries(ofTarget: ea.target, input: ea.target),
              let entriesB = ea.target == eb.target ? entriesA : try? store.entries(ofTarget: eb.target, input: eb.target)
        else { return error }
        let pairs = SnapshotPairing.nearest(a: ea, b: eb, entriesA: entriesA, entriesB: entriesB, comparable: comparable, filter: filter)
        let nearest = pairs.isEmpty
            ? "; no nearby snapshot shares a diffable kind with either"
            : "; nearest pairs that compare: " + pairs.map { p in
                "gbsnap diff \(p.a.id) \(p.b.id) (\(SnapshotPairing.shared(p.a, p.b, comparable: comparable).sorted().joined(separator: ", ")))"
            }.joined(separator: "; ")
        return DiffSelectionError(message: "\(error)\(nearest)")
    }
}

/// The snapshots to compare could not be chosen; the message names the selector and what would work.
struct DiffSelectionError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
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
    var kind: CaptureKind
    var description: String { "snapshot \(snapshot) has no \(kind) artifact" }
}

/// The archive member and the name messages use per kind of a manifest's `ok` artifacts (the first of each kind;
/// kinds this version does not know are left out), for the diff's and the trend's loaders.
enum ArtifactMembers {
    static func of(_ manifest: Manifest, admit: (CaptureKind) -> Bool) -> (members: [CaptureKind: String], names: [CaptureKind: String]) {
        var members: [CaptureKind: String] = [:]
        var names: [CaptureKind: String] = [:]
        for record in manifest.artifacts where record.status == .ok {
            guard let kind = record.captureKind, let member = record.member, members[kind] == nil, admit(kind) else { continue }
            members[kind] = member
            names[kind] = record.name == record.kind ? member : "\(record.name) (\(member))"
        }
        return (members, names)
    }
}
