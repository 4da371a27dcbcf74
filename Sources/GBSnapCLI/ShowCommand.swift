import ArgumentParser
import BucketStore
import Foundation
import SnapshotStore
import Units

extension GBSnapCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a snapshot's manifest, and the summary of its execution trace if it holds one.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Snapshot selector: id, id prefix, TARGET@latest, TARGET@latest~N, TARGET@TIME or archive path.")
        var selector: String
        @Flag(help: "Print the manifest as JSON.") var json = false

        /// A signal's value as people read it: sizes for byte signals, else the number.
        static func signalValue(_ v: Double, signal: String) -> String {
            if signal.hasSuffix("bytes") || signal == "alloc_bytes_per_second", v.isFinite, abs(v) < 9e18 {
                return ValueFormatter.format(Int64(v), unit: "bytes") + (signal == "alloc_bytes_per_second" ? "/s" : "")
            }
            return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.4g", v)
        }

        func run() async throws {
            try await reportingFailures {
                try await storeOptions.withSnapshot(selector) { fetched in try show(fetched) }
            }
        }

        func show(_ fetched: FetchedSnapshot) throws {
            let store = fetched.store, snapshot = fetched.snapshot
            let m = snapshot.manifest
            if json {
                try Console.printJSON(m)
                return
            }
            print("snapshot   \(m.id)")
            print("target     \(m.target.name)\(m.target.url.map { "  \($0)" } ?? "")")
            if !m.target.labels.isEmpty {
                print("labels     \(m.target.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
            }
            print("schedule   \(m.schedule)\(m.scheduledAt.map { " (planned \($0))" } ?? "")")
            print("taken      \(m.startedAt) .. \(m.finishedAt) on \(m.host)")
            print("status     \(m.status.rawValue)")
            if let t = m.trigger {
                let value = { (v: Double) in Self.signalValue(v, signal: t.signal) }
                print("trigger    \(t.rule): \(t.signal) \(value(t.observed)) from \(t.source) at \(t.polledAt); \(t.reason)")
                print("           baseline \(value(t.baseline)); samples \(t.samples.map(value).joined(separator: " "))")
                if let before = t.previousSnapshot { print("           before: \(before)  (gbsnap diff \(before) \(m.id))") }
            }
            print("archive    \(fetched.archiveName)")
            print("")
            let rows = m.artifacts.map { a in
                [a.name, a.kind, a.member ?? "-", a.member == nil ? "-" : ValueFormatter.format(a.bytes, unit: "bytes"), a.status.rawValue,
                 [a.endpoint.map { $0 + (a.query.map { q in q.isEmpty ? "" : "?" + q } ?? "") }, a.httpStatus.map { "HTTP \($0)" },
                  a.error, a.note].compactMap { $0 }.joined(separator: "  ")]
            }
            print(Console.table(["ARTIFACT", "KIND", "MEMBER", "SIZE", "STATUS", "DETAIL"], rows))
            // Execution traces: their summary (docs/traces.md), or the one sentence why there is none.
            for record in m.artifacts where record.kind == "trace" && record.status == .ok {
                guard let member = record.member else { continue }
                let bytes = try store.readArtifact(snapshot, member: member, limit: 1 << 30)
                print("")
                print(TraceSummaryText.render(name: member, bytes: bytes))
            }
        }
    }
}
