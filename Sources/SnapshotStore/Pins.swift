import Foundation
import GBSnapCore

/// A pinned snapshot: retention never removes it.
public struct Pin: Codable, Sendable, Hashable {
    public var note: String?
    public var pinnedAt: String

    enum CodingKeys: String, CodingKey {
        case note
        case pinnedAt = "pinned_at"
    }

    /// A pin made at `pinnedAt` (ISO 8601), with an optional note.
    public init(note: String?, pinnedAt: String) {
        self.note = note
        self.pinnedAt = pinnedAt
    }
}

extension SnapshotStore {
    var pinsPath: String { "\(root)/pins.json" }

    /// Pinned snapshot ids with their notes. Pins live beside the catalog (not in archives), so
    /// `reindex` keeps them.
    public func pins() throws(StoreError) -> [String: Pin] {
        guard SystemIO.fileSize(pinsPath) != nil else { return [:] }
        do {
            let bytes = try SystemIO.readFile(pinsPath)
            return try JSONDecoder().decode([String: Pin].self, from: Data(bytes))
        } catch {
            throw StoreError(.corruptCatalog, "pins file \(pinsPath) is damaged (\(error)); fix or remove it and pin again",
                             input: .path(pinsPath), underlying: error)
        }
    }

    /// Pins (or re-notes) a snapshot.
    public func pin(_ id: String, note: String?, at date: Date = Date()) throws {
        try withWriteLock {
            var all = try pins()
            all[id] = Pin(note: note, pinnedAt: Timestamp.formatUTC(date))
            try savePins(all)
        }
    }

    /// Unpins a snapshot; returns false if it was not pinned.
    @discardableResult
    public func unpin(_ id: String) throws -> Bool {
        try withWriteLock {
            var all = try pins()
            guard all.removeValue(forKey: id) != nil else { return false }
            try savePins(all)
            return true
        }
    }

    func savePins(_ pins: [String: Pin]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SystemIO.writeFileAtomically(pinsPath, bytes: Array(try encoder.encode(pins)))
    }
}
