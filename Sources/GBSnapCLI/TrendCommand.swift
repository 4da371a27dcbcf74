import ArgumentParser
import Diff
import Foundation
import GBSnapCore
import SnapshotStore
import Trend
import Units

extension GBSnapCommand {
    struct Trend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find what grew steadily across many snapshots of a target: leaks, not spikes.",
            discussion: """
            Reads every snapshot of TARGET with data in the window, oldest first, one at a time: per kind the \
            total, per function the flat and cum value (sample type as go tool pprof picks it, or --sample-index), \
            per goroutine group the count, and heap, objects, GC and goroutine figures from vars. A grower rises \
            in most steps and by a meaningful amount (Theil–Sen slope, Mann–Kendall consistency); sawtooths and \
            spikes are not growers. Restarts of the target split the series; growth across a restart never counts. \
            The default window is the 24 hours up to the newest snapshot. \
            Formats: text (growers first, sparklines), json (docs/trend-json.md), html (a self-contained report \
            with a chart per grower). Exit status: 0 ok, 1 failure, 2 usage error, 3 a --fail-on gate tripped. \
            See docs/trend.md.
            """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json, html
        }

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The target whose snapshots to read.") var target: String
        @Option(help: "Start of the window: an ISO 8601 time, or a duration back from now such as 6h or 7d (default: 24 h before the newest snapshot).",
                transform: WindowBound.parse)
        var since: WindowBound?
        @Option(help: "End of the window: an ISO 8601 time, or a duration back from now.", transform: WindowBound.parse)
        var until: WindowBound?
        @Option(help: "Only the newest N snapshots of the window.") var last: Int?
        @Option(help: "Read only this kind (repeatable): a pprof kind, stacks, goroutine-text or vars.", transform: CaptureKind.parse)
        var kind: [CaptureKind] = []
        @Option(help: "Only snapshots of this schedule, or of the schedules a glob matches (nightly, manual, import, 'trigger/*').") var schedule: String?
        @Option(name: .customLong("sample-index"), help: "Sample type of the function series (name or index; default as go tool pprof).")
        var sampleIndex: String?
        @Option(help: "Output format: text, json, html.") var format: Format = .text
        @Option(name: [.short, .long], help: "Write the output to this file instead of stdout.") var output: String?
        @Option(name: .customLong("fail-on"), help: "Exit 3 when this holds, e.g. growers.count>0 or goroutines.slope_per_hour>100 (repeatable).",
                transform: FailOnGate.parse)
        var failOn: [FailOnGate] = []
        @Option(help: "Growers listed, and function and group series kept per kind besides the growers (0 = all; default 20).")
        var limit: Int = 20

        func validate() throws {
            if let last, last < 1 { throw ValidationError("--last \(last) must be 1 or more") }
            if limit < 0 { throw ValidationError("--limit \(limit) must be 0 (all) or more") }
            let readable = TrendBuilder.readableKinds
            for k in kind where !readable.contains(k) {
                throw ValidationError("--kind \(k) is not read by trend; it reads \(readable.map(\.rawValue).joined(separator: ", "))")
            }
            let now = Date()
            if let s = since?.date(now: now), let u = until?.date(now: now), s > u {
                throw ValidationError("--since \(since?.text ?? "") is after --until \(until?.text ?? ""); the window would be empty")
            }
        }

        func run() async throws {
            let requested = kind.isEmpty ? nil : Set(kind)
            let gates = failOn
            let scratch = NSTemporaryDirectory() + "gbsnap-mirror-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let report: TrendReport = try await reportingFailures {
                let now = Date()
                let (since, until) = (self.since?.date(now: now), self.until?.date(now: now))
                // On a bucket: the target's catalog mirrored into a scratch store, and the archives in the window fetched.
                let store = try await storeOptions.openOrMirror(target: target, input: "gbsnap trend \(target)", scratch: scratch) { mirror in
                    try TrendSelection.select(store: mirror, target: target, since: since, until: until, last: last, kinds: requested,
                                              schedule: schedule).entries
                }
                let selection = try TrendSelection.select(
                    store: store, target: target, since: since, until: until, last: last, kinds: requested, schedule: schedule)
                var builder = TrendBuilder(plannedSnapshots: selection.entries.count, kinds: requested,
                                           sampleIndex: sampleIndex.map(SampleIndexSelector.init))
                var progress = TerminalProgress("gbsnap trend: reading snapshot", total: selection.entries.count, quiet: format == .json && output == nil)
                for (i, entry) in selection.entries.enumerated() {
                    progress.update(i, detail: entry.id)
                    try builder.add(try TrendSelection.snapshot(entry, store: store, kinds: requested))
                }
                progress.finish()
                do {
                    return try builder.finish(
                        target: target, window: .init(since: selection.since, until: until, last: last),
                        options: TrendOptions(limit: limit == 0 ? nil : limit, gates: gates))
                } catch let e as GateError {
                    throw ValidationError(e.description)
                }
            }
            if format != .text || output != nil {
                for warning in report.warnings { Console.warning(warning) }
            }
            try await reportingFailures {
                let bytes: [UInt8]
                switch format {
                case .text:
                    bytes = Array(TrendRender.text(report, bounds: TableBounds(limit: limit == 0 ? nil : limit), style: textStyle).utf8)
                case .json: bytes = Array(try report.jsonData()) + [0x0A]
                case .html: bytes = Array(TrendHTML.render(report).utf8)
                }
                try OutputFile.write(bytes, to: output)
                if format == .html, let output { FileHandle.standardError.write(Data("gbsnap: wrote the report to \(output)\n".utf8)) }
            }
            let tripped = report.gates.filter(\.tripped)
            if !tripped.isEmpty {
                for gate in tripped { Console.error(gate.message) }
                throw ExitCode(3)
            }
        }

        var textStyle: TextStyle { OutputFile.textStyle(output: output) }
    }
}

/// A `--since`/`--until` of `gbsnap trend`: an ISO 8601 time, or a duration back from now (`7d`).
struct WindowBound: ArgumentValue {
    var text: String
    var time: TimeArgument?
    var ago: Duration?

    static func parse(_ text: String) throws(ArgumentValueError) -> WindowBound {
        if let d = DurationParser.parse(text.trimmingCharacters(in: .whitespaces)) { return WindowBound(text: text, ago: d) }
        guard let t = try? TimeArgument.parse(text) else {
            throw ArgumentValueError(value: text, problem: .invalid(
                "is neither an ISO 8601 time such as 2026-11-26T02:00:00Z nor a duration back from now such as 6h or 7d"))
        }
        return WindowBound(text: text, time: t)
    }

    func date(now: Date) -> Date {
        if let ago {
            let (s, atto) = ago.components
            return now.addingTimeInterval(-(Double(s) + Double(atto) / 1e18))
        }
        return time?.date() ?? now
    }
}

/// Which snapshots a trend reads: those of the target with data, in the window, narrowed by kind and schedule.
struct TrendSelection {
    var entries: [CatalogEntry]
    /// The window's effective start (the default is 24 h before the newest snapshot).
    var since: Date?

    static let defaultSpan: TimeInterval = 86_400

    static func select(store: SnapshotStore, target: String, since: Date?, until: Date?, last: Int?,
                       kinds: Set<CaptureKind>?, schedule: String?) throws -> TrendSelection {
        let all = try store.entries(ofTarget: target, input: "gbsnap trend \(target)")
        let readable = Set((kinds ?? Set(TrendBuilder.readableKinds)).map(\.rawValue))
        let filter = SelectorFilter(kinds: readable, schedule: schedule, kindsLabel: kinds == nil ? "a kind trend reads" : nil)
        let admitted = all.filter(filter.admits).sorted { $0.takenAt < $1.takenAt }
        guard let newest = admitted.last(where: { e in until.map { e.takenAt <= $0 } ?? true }) else {
            let bound = until.map { " up to \(SnapshotDiffReport.formatTime($0))" } ?? ""
            throw TrendSelectionError(message: "gbsnap trend \(target): target \"\(target)\" has no snapshot\(filter.description)\(bound) "
                + "(gbsnap list --target \(target) shows what it has)")
        }
        let start = since ?? newest.takenAt.addingTimeInterval(-defaultSpan)
        var entries = admitted.filter { e in e.takenAt >= start && (until.map { e.takenAt <= $0 } ?? true) }
        if let last, entries.count > last { entries = Array(entries.suffix(last)) }
        guard !entries.isEmpty else {
            throw TrendSelectionError(message: "gbsnap trend \(target): no snapshot\(filter.description) from \(SnapshotDiffReport.formatTime(start))"
                + (until.map { " to \(SnapshotDiffReport.formatTime($0))" } ?? "")
                + "; the newest is \(newest.id) at \(SnapshotDiffReport.formatTime(newest.takenAt)) (widen --since)")
        }
        return TrendSelection(entries: entries, since: start)
    }

    /// A snapshot for the builder: the manifest and every wanted member, in one pass over the archive.
    static func snapshot(_ entry: CatalogEntry, store: SnapshotStore, kinds: Set<CaptureKind>?) throws -> TrendBuilder.Snapshot {
        var members: [CaptureKind: String] = [:]
        var names: [CaptureKind: String] = [:]
        let read: (snapshot: ResolvedSnapshot, members: [String: [UInt8]])
        do {
            read = try store.readSnapshot(entry) { manifest in
                (members, names) = ArtifactMembers.of(manifest) { TrendBuilder.readableKinds.contains($0) && (kinds?.contains($0) ?? true) }
                return Set(members.values)
            }
        } catch {
            // One bad archive stops the trend (a series with a silent hole would mislead); say how to get past it.
            throw TrendSelectionError(message: "gbsnap trend: snapshot \(entry.id) cannot be read: \(error) (gbsnap verify \(entry.id) "
                + "checks it, gbsnap rm \(entry.id) drops it, --since/--until or --last leave it out)")
        }
        let (resolved, bytes) = read
        return TrendBuilder.Snapshot(
            id: resolved.id, target: resolved.manifest.target.name, takenAt: resolved.takenAt,
            kinds: members.keys.sorted(), artifactNames: names,
            load: { [members] kind in
                guard let member = members[kind], let data = bytes[member] else { throw MissingArtifact(snapshot: resolved.id, kind: kind) }
                return data
            })
    }
}

/// The snapshots of a trend could not be chosen; the message names the target and what would work.
struct TrendSelectionError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
