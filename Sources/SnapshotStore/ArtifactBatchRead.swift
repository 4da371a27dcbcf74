import ArchiveIO
import GBSnapCore

extension SnapshotStore {
    /// Reads the named members of a snapshot's archive whole, in one pass over it (one decompression for all of
    /// them, where a `readArtifact` per member would inflate the archive once each), checking every checksum
    /// against the manifest. `limit` caps each member. Throws when a named member is missing or damaged.
    public func readArtifacts(_ snapshot: ResolvedSnapshot, members: Set<String>, limit: Int = 1 << 30) throws -> [String: [UInt8]] {
        guard !members.isEmpty else { return [:] }
        return try reading(snapshot.archivePath) { reader in
            try Self.readMembers(reader, members, of: snapshot.manifest, archivePath: snapshot.archivePath, limit: limit)
        }
    }

    /// A catalog entry's manifest and the members `wanted` picks from it, in one pass over the archive (the
    /// manifest is its first member): what `gbsnap trend` reads per snapshot.
    public func readSnapshot(_ entry: CatalogEntry, limit: Int = 1 << 30,
                             wanted: (Manifest) -> Set<String>) throws -> (snapshot: ResolvedSnapshot, members: [String: [UInt8]]) {
        let path = path(forKey: entry.key)
        guard SystemIO.fileSize(path) != nil else {
            throw StoreError(.missingArchive, "snapshot \(entry.id) is in the catalog but its archive \(path) is missing; run `gbsnap verify`", input: .path(path))
        }
        return try reading(path) { reader in
            let manifest = try Self.readManifestMember(reader, archivePath: path)
            let snapshot = ResolvedSnapshot(archivePath: path, manifest: manifest, entry: entry)
            return (snapshot, try Self.readMembers(reader, wanted(manifest), of: manifest, archivePath: path, limit: limit))
        }
    }

    /// Opens `path` for `body`; anything but a ``StoreError`` is reported as a damaged archive.
    private func reading<T>(_ path: String, _ body: (TarGzReader) throws -> T) throws -> T {
        do {
            return try body(TarGzReader(path: path))
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(path) is damaged: \(StoreError.damage(error, in: path))", input: .path(path), underlying: error)
        }
    }

    /// Reads `members` from where `reader` stands, checking each against the manifest's checksum.
    private static func readMembers(_ reader: TarGzReader, _ members: Set<String>, of manifest: Manifest, archivePath: String,
                                    limit: Int) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        guard !members.isEmpty else { return result }
        let records = Dictionary(manifest.artifacts.compactMap { r in r.member.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        while result.count < members.count, let m = try reader.nextMember() {
            guard members.contains(m.path), result[m.path] == nil else { try reader.skipData(); continue }
            var out: [UInt8] = []
            if let bytes = records[m.path]?.bytes, bytes > 0 { out.reserveCapacity(Int(min(bytes, Int64(limit)))) }
            var hasher = SHA256Hasher()
            try reader.readData { chunk in
                guard out.count + chunk.count <= limit else {
                    throw StoreError(.invalidInput, "member \(m.path) of \(archivePath) is larger than \(limit) bytes", input: .path(archivePath))
                }
                hasher.update(chunk)
                out.append(contentsOf: chunk)
            }
            if let expected = records[m.path]?.sha256, hasher.finalizeHex() != expected {
                throw StoreError(.corruptArchive, "archive \(archivePath) is damaged: member \(m.path) does not match its checksum; "
                    + "gbsnap verify checks the store", input: .path(archivePath))
            }
            result[m.path] = out
        }
        if let missing = members.subtracting(result.keys).sorted().first {
            throw StoreError(.corruptArchive, "archive \(archivePath) has no member \(missing)", input: .path(archivePath))
        }
        return result
    }
}
