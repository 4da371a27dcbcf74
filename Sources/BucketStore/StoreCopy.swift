import Foundation
import GBSnapCore
import S3
import SnapshotStore

/// What `gbsnap copy` did.
public struct CopyReport: Sendable, Codable, Hashable {
    /// One snapshot's fate.
    public struct Item: Sendable, Codable, Hashable {
        public var id: String
        public var target: String
        /// `copied` or `skipped` (already on the destination).
        public var action: String
        public var bytes: Int64
    }

    public var from: String
    public var to: String
    /// Snapshots copied.
    public var copied: Int
    /// Bytes of the archives copied.
    public var bytes: Int64
    /// Snapshots the destination already had.
    public var skipped: Int
    public var snapshots: [Item]
    /// Problems after the copy that did not undo it (a compaction that failed), one sentence each.
    public var warnings: [String] = []
}

/// Copies snapshots between stores (`gbsnap copy`): a local store to a bucket and back, and also local to local or
/// bucket to bucket. Each archive is checked against its catalog entry (the whole file's size and SHA-256) and its
/// manifest (every member's SHA-256) before the destination records it; on a bucket the record is written after the
/// archive, on disk the archive is renamed in from `.tmp` before its catalog line, so a copy that fails leaves nothing
/// listed half-done, and a re-run copies what is missing. Snapshots the destination already lists are skipped.
public enum StoreCopy {
    /// The log objects a bucket target's catalog may gather before a copy into it compacts it.
    public static let compactionThreshold = 256

    /// Copies the snapshots `selectors` name (every one of the source when empty). A bucket destination's targets
    /// whose log then holds `compactThreshold` objects or more are compacted.
    public static func copy(from source: AnyStore, to destination: AnyStore, selectors: [String],
                            progress: StoreProgress? = nil, compactThreshold: Int = compactionThreshold) async throws -> CopyReport {
        let selected: [CatalogEntry]
        if selectors.isEmpty {
            selected = try await source.list()
        } else {
            var seen = Set<String>()
            var list: [CatalogEntry] = []
            for s in selectors {
                let e = try await source.resolveEntry(s)
                if seen.insert(e.id).inserted { list.append(e) }
            }
            selected = list
        }
        var report = CopyReport(from: source.name, to: destination.name, copied: 0, bytes: 0, skipped: 0, snapshots: [])
        var present: [String: Set<String>] = [:]
        for (i, entry) in selected.enumerated() {
            progress?(i, selected.count, entry.id)
            if present[entry.target] == nil {
                present[entry.target] = Set(try await destination.entries(target: entry.target).map(\.id))
            }
            let copied = present[entry.target]!.contains(entry.id) ? false : try await copyOne(entry, from: source, to: destination)
            report.snapshots.append(CopyReport.Item(id: entry.id, target: entry.target, action: copied ? "copied" : "skipped", bytes: entry.bytes))
            if copied {
                report.copied += 1
                report.bytes += entry.bytes
            } else {
                report.skipped += 1
            }
        }
        progress?(selected.count, selected.count, "")
        if case .bucket(let b) = destination {
            for target in Set(report.snapshots.filter { $0.action == "copied" }.map(\.target)).sorted() {
                // The copy is complete either way: an uncompacted log only makes reads longer.
                do { try await b.compact(target: target, minLogObjects: compactThreshold) } catch {
                    report.warnings.append("\(error)")
                }
            }
        }
        return report
    }

    /// Copies one snapshot; false when the destination turned out to have it already. The archive is made a local
    /// file first (a bucket's is fetched: into the destination's `.tmp` when that is local, so it is renamed into
    /// place), checked, then written to the destination.
    static func copyOne(_ entry: CatalogEntry, from source: AnyStore, to destination: AnyStore) async throws -> Bool {
        var scratch: String?
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        func scratchFolder() throws -> String {
            if case .local(let to) = destination { scratch = try to.makeTemporaryDirectory(); return scratch! }
            let dir = NSTemporaryDirectory() + "gbsnap-copy-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
            do { try SystemIO.makeDirectories(dir) } catch {
                throw StoreError(.io, "cannot create the temp folder \(dir) for the archive of \(entry.id): \(error)", input: .path(dir), underlying: error)
            }
            scratch = dir
            return dir
        }
        var path: String
        let origin: String
        switch source {
        case .local(let from):
            path = from.path(forKey: entry.key)
            origin = path
            guard SystemIO.fileSize(path) != nil else {
                throw StoreError(.missingArchive, "snapshot \(entry.id) is in the catalog of \(from.root) but its archive \(path) is missing; run `gbsnap verify` there", input: .path(path))
            }
        case .bucket(let from):
            path = "\(try scratchFolder())/\(entry.id).tar.gz"
            origin = from.url(entry.key)
            try await from.downloadArchive(entry, to: path)
        }
        if let problem = SnapshotStore.checkArchiveFile(path, against: entry) {
            throw StoreError(.corruptArchive, "snapshot \(entry.id) was not copied: its archive \(origin) is damaged (\(problem.message))", input: .snapshot(entry.id))
        }
        switch destination {
        case .bucket(let to):
            return try await to.put(archiveAt: path, entry: entry) == .stored
        case .local(let to):
            if case .local = source {
                let copy = "\(try scratchFolder())/\(entry.id).tar.gz"
                do { try FileManager.default.copyItem(atPath: path, toPath: copy) } catch {
                    throw StoreError(.io, "cannot copy \(path) into \(to.root): \(error)", input: .path(path), underlying: error)
                }
                // Checked again: the copy is what gets recorded.
                if let problem = SnapshotStore.checkArchiveFile(copy, against: entry) {
                    throw StoreError(.corruptArchive, "snapshot \(entry.id) was not copied: the copy in \(to.root) is damaged (\(problem.message))", input: .snapshot(entry.id))
                }
                path = copy
            }
            return try to.add(archiveAt: path, entry: entry)
        }
    }
}
