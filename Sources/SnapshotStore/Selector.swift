import Foundation
import GBSnapCore

/// A snapshot found by a selector: its archive, manifest, and catalog entry if it has one.
public struct ResolvedSnapshot: Sendable {
    public var archivePath: String
    public var manifest: Manifest
    /// Nil for an archive file given by path that the catalog does not list.
    public var entry: CatalogEntry?

    public var id: String { manifest.id }
    public var takenAt: Date { manifest.takenAt }
}

extension SnapshotStore {
    /// Resolves a selector (DESIGN.md): a full id, a unique id prefix, `TARGET@latest`,
    /// `TARGET@latest~N`, `TARGET@<ISO 8601 time>` (the latest at or before it), or a path to an
    /// archive file.
    public func resolve(_ selector: String) throws -> ResolvedSnapshot {
        let entry = try resolveEntry(selector)
        if let entry {
            let path = path(forKey: entry.key)
            guard SystemIO.fileSize(path) != nil else {
                throw StoreError(.missingArchive, "snapshot \(entry.id) is in the catalog but its archive \(path) is missing; run `gbsnap verify`")
            }
            return ResolvedSnapshot(archivePath: path, manifest: try readManifest(archivePath: path), entry: entry)
        }
        // A path to an archive file.
        let manifest = try readManifest(archivePath: selector)
        let known = try? catalog.entries(target: manifest.target.name).first { $0.id == manifest.id }
        return ResolvedSnapshot(archivePath: selector, manifest: manifest, entry: known)
    }

    /// The catalog entry a selector names, or nil if the selector is an existing file path.
    func resolveEntry(_ selector: String) throws -> CatalogEntry? {
        if let at = selector.firstIndex(of: "@") {
            let target = String(selector[..<at])
            let spec = String(selector[selector.index(after: at)...])
            let entries = try catalog.entries(target: target)
            guard !entries.isEmpty else {
                throw StoreError(.unknownSelector, "selector \"\(selector)\": the store has no snapshots of target \"\(target)\"")
            }
            if spec == "latest" { return entries.last }
            if spec.hasPrefix("latest~") {
                guard let n = Int(spec.dropFirst(7)), n >= 0 else {
                    throw StoreError(.unknownSelector, "selector \"\(selector)\": expected latest~N with N a whole number")
                }
                guard n < entries.count else {
                    throw StoreError(.unknownSelector, "selector \"\(selector)\": target \"\(target)\" has only \(entries.count) snapshot(s)")
                }
                return entries[entries.count - 1 - n]
            }
            guard let time = Timestamp.parse(spec) else {
                throw StoreError(.unknownSelector, "selector \"\(selector)\": \"\(spec)\" is not latest, latest~N or an ISO 8601 time")
            }
            guard let found = entries.last(where: { $0.takenAt <= time }) else {
                throw StoreError(.unknownSelector, "selector \"\(selector)\": target \"\(target)\" has no snapshot at or before \(Timestamp.formatUTC(time)) (the oldest is \(Timestamp.formatUTC(entries[0].takenAt)))")
            }
            return found
        }
        if selector.contains("/") || selector.hasSuffix(".tar.gz") {
            guard SystemIO.fileSize(selector) != nil else {
                throw StoreError(.missingArchive, "archive \(selector) does not exist")
            }
            return nil
        }
        // An id or id prefix. Ids start with the time, so only scan targets whose name could match.
        var matches: [CatalogEntry] = []
        let all = try catalog.targets()
        let candidates = Self.targetFromID(selector).map { t in all.filter { $0 == t } } ?? all
        for target in candidates {
            matches += try catalog.entries(target: target).filter { $0.id.hasPrefix(selector) }
            if matches.count > 1 { break }
        }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            if SystemIO.fileSize(selector) != nil { return nil }
            throw StoreError(.unknownSelector, "no snapshot matches \"\(selector)\" (use an id, an id prefix, TARGET@latest, TARGET@latest~N, TARGET@TIME or an archive path)")
        }
        throw StoreError(.ambiguousSelector, "\"\(selector)\" matches several snapshots (\(matches.prefix(3).map(\.id).joined(separator: ", ")), ...); give more of the id")
    }

    /// `20261126T020000Z-order-api-7k3f` → `order-api`, when the selector is long enough to say.
    static func targetFromID(_ id: String) -> String? {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].count == 16, parts.last!.count == 4 else { return nil }
        return parts[1..<(parts.count - 1)].joined(separator: "-")
    }
}
