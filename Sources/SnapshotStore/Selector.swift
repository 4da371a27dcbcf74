import Foundation
import GBSnapCore
import Retention

/// A snapshot found by a selector: its archive, manifest, and catalog entry if it has one.
public struct ResolvedSnapshot: Sendable {
    public var archivePath: String
    public var manifest: Manifest
    /// Nil for an archive file given by path that the catalog does not list.
    public var entry: CatalogEntry?

    public var id: String { manifest.id }
    public var takenAt: Date { manifest.takenAt }

    /// A snapshot whose archive is at `archivePath` (e.g. one fetched from a bucket into a temp file).
    public init(archivePath: String, manifest: Manifest, entry: CatalogEntry?) {
        self.archivePath = archivePath
        self.manifest = manifest
        self.entry = entry
    }
}

/// Which snapshots the relative selectors (`TARGET@latest`, `TARGET@latest~N`, `TARGET@TIME`)
/// count. Snapshots without data (failed captures) never count; ids, id prefixes and paths name
/// one snapshot and ignore the filter.
public struct SelectorFilter: Sendable, Equatable, CustomStringConvertible {
    /// Count only snapshots holding at least one of these kinds; nil counts every kind.
    public var kinds: Set<String>?
    /// Count only snapshots of this schedule (`manual`, `import`, `trigger/<rule>`, a schedule name),
    /// or of the schedules this glob matches (`trigger/*`).
    public var schedule: String? { didSet { schedulePattern = schedule.map(GlobPattern.init) } }
    private var schedulePattern: GlobPattern?
    /// How messages name `kinds` (e.g. `a kind diff compares`); nil lists them.
    public var kindsLabel: String?

    /// Creates a filter; the default counts every snapshot with data.
    public init(kinds: Set<String>? = nil, schedule: String? = nil, kindsLabel: String? = nil) {
        self.kinds = kinds
        self.schedule = schedule
        self.schedulePattern = schedule.map(GlobPattern.init)
        self.kindsLabel = kindsLabel
    }

    /// Whether a relative selector counts `entry`.
    public func admits(_ entry: CatalogEntry) -> Bool {
        guard entry.hasData else { return false }
        if let schedulePattern, !schedulePattern.matches(entry.schedule) { return false }
        if let kinds, !entry.kinds.contains(where: kinds.contains) { return false }
        return true
    }

    /// ` with data`, ` with data of schedule "nightly" holding heap or allocs`: what the filter counts, for messages.
    public var description: String {
        var text = " with data"
        if let schedule { text += " of schedule \"\(schedule)\"" }
        if let kinds { text += " holding " + (kindsLabel ?? kinds.sorted().joined(separator: " or ")) }
        return text
    }
}

extension SnapshotStore {
    /// Resolves a selector (DESIGN.md): a full id, a unique id prefix, `TARGET@latest`,
    /// `TARGET@latest~N`, `TARGET@<ISO 8601 time>` (the latest at or before it), or a path to an
    /// archive file. The relative forms count only the snapshots `filter` admits (never failed
    /// captures).
    public func resolve(_ selector: String, filter: SelectorFilter = SelectorFilter()) throws(StoreError) -> ResolvedSnapshot {
        if let entry = try resolveEntry(selector, filter: filter) {
            return try resolve(entry)
        }
        // A path to an archive file.
        let manifest = try readManifest(archivePath: selector)
        let known = try? catalog.entries(target: manifest.target.name).first { $0.id == manifest.id }
        return ResolvedSnapshot(archivePath: selector, manifest: manifest, entry: known)
    }

    /// The stored archive and manifest of a catalog entry.
    public func resolve(_ entry: CatalogEntry) throws(StoreError) -> ResolvedSnapshot {
        let path = path(forKey: entry.key)
        guard SystemIO.fileSize(path) != nil else {
            throw StoreError(.missingArchive, "snapshot \(entry.id) is in the catalog but its archive \(path) is missing; run `gbsnap verify`", input: .path(path))
        }
        return ResolvedSnapshot(archivePath: path, manifest: try readManifest(archivePath: path), entry: entry)
    }

    /// The targets the store has snapshots of, sorted.
    public func targets() throws(StoreError) -> [String] { try catalog.targets().sorted() }

    /// The catalog entries of one target, oldest first; an unknown target is an error that suggests
    /// the closest name the store has (or lists them).
    public func entries(ofTarget target: String, input: String) throws(StoreError) -> [CatalogEntry] {
        let entries = try catalog.entries(target: target)
        guard entries.isEmpty else { return entries }
        let hint = NameSuggestion.hint(target, in: try targets(), known: "the store has snapshots of")
        throw StoreError(.unknownSelector, "\(input): the store has no snapshots of target \"\(target)\"\(hint)", input: .target(target))
    }

    /// The catalog entry a selector names (not an archive path), or nil when the selector is an existing file path.
    public func entry(for selector: String, filter: SelectorFilter = SelectorFilter()) throws(StoreError) -> CatalogEntry? {
        try resolveEntry(selector, filter: filter)
    }

    /// The catalog entry a selector names, or nil if the selector is an existing file path.
    func resolveEntry(_ selector: String, filter: SelectorFilter = SelectorFilter()) throws(StoreError) -> CatalogEntry? {
        if selector.firstIndex(of: "@") == nil, selector.contains("/") || selector.hasSuffix(".tar.gz") {
            guard SystemIO.fileSize(selector) != nil else {
                throw StoreError(.missingArchive, "archive \(selector) does not exist", input: .path(selector))
            }
            return nil
        }
        return try Self.selectEntry(selector, targets: try catalog.targets(), entries: { (t) throws(StoreError) in try catalog.entries(target: t) },
                                    filter: filter, isFile: { SystemIO.fileSize($0) != nil })
    }

    /// The entry a selector that is not an archive path names, among `targets` whose entries (oldest first) `entries`
    /// gives; the same rules and messages for a local store and a bucket. `isFile` says whether an unmatched selector
    /// is a file after all (nil is then returned).
    public static func selectEntry(_ selector: String, targets all: [String], entries: (String) throws(StoreError) -> [CatalogEntry],
                                   filter: SelectorFilter = SelectorFilter(), isFile: (String) -> Bool = { _ in false }) throws(StoreError) -> CatalogEntry? {
        if let at = selector.firstIndex(of: "@") {
            let target = String(selector[..<at])
            let spec = String(selector[selector.index(after: at)...])
            let list = try entries(target)
            guard !list.isEmpty else {
                let hint = NameSuggestion.hint(target, in: all, known: "the store has snapshots of")
                throw StoreError(.unknownSelector, "selector \"\(selector)\": the store has no snapshots of target \"\(target)\"\(hint)", input: .target(target))
            }
            return try pick(spec, in: list, filter: filter, selector: selector, target: target)
        }
        // An id or id prefix. Ids start with the time, so only scan targets whose name could match.
        var matches: [CatalogEntry] = []
        let candidates = targetFromID(selector).map { t in all.filter { $0 == t } } ?? all
        for target in candidates {
            matches += try entries(target).filter { $0.id.hasPrefix(selector) }
            if matches.count > 1 { break }
        }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            if isFile(selector) { return nil }
            // A bare target name is the likeliest slip: point at TARGET@latest.
            let close = all.contains(selector) ? selector : NameSuggestion.closest(selector, in: all)
            let hint = close.map { "; did you mean \"\($0)@latest\"?" }
                ?? " (use an id, an id prefix, TARGET@latest, TARGET@latest~N, TARGET@TIME or an archive path)"
            throw StoreError(.unknownSelector, "no snapshot matches \"\(selector)\"\(hint)", input: .selector(selector))
        }
        throw StoreError(.ambiguousSelector, "\"\(selector)\" matches several snapshots (\(matches.prefix(3).map(\.id).joined(separator: ", ")), ...); give more of the id",
                         input: .selector(selector))
    }

    /// Picks the entry a relative spec (`latest`, `latest~N`, an ISO 8601 time) names among a
    /// target's entries (oldest first), counting only those `filter` admits.
    static func pick(_ spec: String, in entries: [CatalogEntry], filter: SelectorFilter, selector: String, target: String) throws(StoreError) -> CatalogEntry {
        let counted = entries.filter(filter.admits)
        let n: Int
        var time: Date?
        if spec == "latest" {
            n = 0
        } else if spec.hasPrefix("latest~") {
            guard let k = Int(spec.dropFirst(7)), k >= 0 else {
                throw StoreError(.unknownSelector, "selector \"\(selector)\": expected latest~N with N a whole number", input: .selector(selector))
            }
            n = k
        } else {
            guard let t = Timestamp.parse(spec) else {
                throw StoreError(.unknownSelector, "selector \"\(selector)\": \"\(spec)\" is not latest, latest~N or an ISO 8601 time", input: .selector(selector))
            }
            n = 0
            time = t
        }
        let eligible = time.map { t in counted.filter { $0.takenAt <= t } } ?? counted
        if n < eligible.count { return eligible[eligible.count - 1 - n] }

        // Say what was counted and what was skipped.
        let skipped = entries.count - counted.count
        let failed = entries.filter { !$0.hasData }
        var why = skipped == 0 ? "" : " (\(skipped) skipped: "
            + [failed.isEmpty ? nil : "\(failed.count) failed capture\(failed.count == 1 ? "" : "s") without data",
               skipped > failed.count ? "\(skipped - failed.count) \(Self.holding(entries.filter { $0.hasData }, besides: counted))" : nil]
                .compactMap { $0 }.joined(separator: ", ") + ")"
        if counted.isEmpty, let newest = failed.last {
            why += "; a failed capture is named by its id, e.g. gbsnap show \(newest.id)"
        }
        if let time {
            let oldest = counted.first.map { " (the oldest is \(Timestamp.formatUTC($0.takenAt)))" } ?? ""
            throw StoreError(.unknownSelector, "selector \"\(selector)\": target \"\(target)\" has no snapshot\(filter.description) at or before \(Timestamp.formatUTC(time))\(oldest)\(why)",
                             input: .selector(selector))
        }
        throw StoreError(.unknownSelector, "selector \"\(selector)\": target \"\(target)\" has only \(counted.count) snapshot(s)\(filter.description)\(why)",
                         input: .selector(selector))
    }

    /// `holding only trace` for the snapshots with data that a filter passed over (e.g. traces, which the diff does
    /// not compare), so the reader learns what is there.
    static func holding(_ withData: [CatalogEntry], besides counted: [CatalogEntry]) -> String {
        let countedIDs = Set(counted.map(\.id))
        let kinds = Set(withData.filter { !countedIDs.contains($0.id) }.flatMap(\.kinds)).sorted()
        return kinds.isEmpty ? "not matching the filter" : "holding only \(kinds.joined(separator: ", "))"
    }

    /// `20261126T020000Z-order-api-7k3f` → `order-api`, when the selector is long enough to say.
    public static func targetFromID(_ id: String) -> String? {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].count == 16, parts.last!.count == 4 else { return nil }
        return parts[1..<(parts.count - 1)].joined(separator: "-")
    }
}

/// Which snapshots compare with which: the pure rules behind `gbsnap diff TARGET` and the
/// suggestions when two snapshots share nothing comparable.
public enum SnapshotPairing {
    /// The kinds in `comparable` that both entries hold.
    public static func shared(_ a: CatalogEntry, _ b: CatalogEntry, comparable: Set<String>) -> Set<String> {
        Set(a.kinds).intersection(b.kinds).intersection(comparable)
    }

    /// The newest entry taken before `newer` (in `entries`, oldest first) that `filter` admits and
    /// that shares a comparable kind with it.
    public static func base(for newer: CatalogEntry, in entries: [CatalogEntry], comparable: Set<String>,
                            filter: SelectorFilter = SelectorFilter()) -> CatalogEntry? {
        entries.last { e in
            e.id != newer.id && Catalog.isBefore(e, newer) && filter.admits(e) && !shared(e, newer, comparable: comparable).isEmpty
        }
    }

    /// The oldest entry taken after `older` that `filter` admits and that shares a comparable kind with it.
    public static func successor(of older: CatalogEntry, in entries: [CatalogEntry], comparable: Set<String>,
                                 filter: SelectorFilter = SelectorFilter()) -> CatalogEntry? {
        entries.first { e in
            e.id != older.id && Catalog.isBefore(older, e) && filter.admits(e) && !shared(older, e, comparable: comparable).isEmpty
        }
    }

    /// The newest admitted entry holding a comparable kind: what `gbsnap diff TARGET` compares against its base.
    public static func newest(in entries: [CatalogEntry], comparable: Set<String>,
                              filter: SelectorFilter = SelectorFilter()) -> CatalogEntry? {
        entries.last { filter.admits($0) && !Set($0.kinds).isDisjoint(with: comparable) }
    }

    /// The newest pair of a target's entries that compares: the newest admitted entry holding a
    /// comparable kind that has a ``base(for:in:comparable:filter:)``, and that base. Nil when no two snapshots compare.
    public static func newestPair(in entries: [CatalogEntry], comparable: Set<String>,
                                  filter: SelectorFilter = SelectorFilter()) -> (a: CatalogEntry, b: CatalogEntry)? {
        for newer in entries.reversed() where filter.admits(newer) && !Set(newer.kinds).isDisjoint(with: comparable) {
            if let older = base(for: newer, in: entries, comparable: comparable, filter: filter) { return (older, newer) }
        }
        return nil
    }
}

extension SnapshotPairing {
    /// Pairs near `a` and `b` that would compare, for when `a` and `b` share nothing comparable:
    /// the newest base of `b` and the oldest successor of `a` (each only when it differs from the
    /// given pair). `entriesA` and `entriesB` are the entries of each side's target.
    public static func nearest(a: CatalogEntry, b: CatalogEntry, entriesA: [CatalogEntry], entriesB: [CatalogEntry],
                               comparable: Set<String>, filter: SelectorFilter = SelectorFilter()) -> [(a: CatalogEntry, b: CatalogEntry)] {
        var pairs: [(a: CatalogEntry, b: CatalogEntry)] = []
        if let base = base(for: b, in: entriesB, comparable: comparable, filter: filter), base.id != a.id { pairs.append((base, b)) }
        if let next = successor(of: a, in: entriesA, comparable: comparable, filter: filter), next.id != b.id { pairs.append((a, next)) }
        return pairs
    }
}
