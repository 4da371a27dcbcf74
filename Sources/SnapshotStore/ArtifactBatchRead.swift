import ArchiveIO
import GBSnapCore

extension SnapshotStore {
    /// Reads the named members of a snapshot's archive whole, in one pass over it (one decompression for all of
    /// them, where a `readArtifact` per member would inflate the archive once each), checking every checksum
    /// against the manifest. `limit` caps each member. Throws when a named member is missing or damaged.
    public func readArtifacts(_ snapshot: ResolvedSnapshot, members: Set<String>, limit: Int = 1 << 30) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        guard !members.isEmpty else { return result }
        let records = Dictionary(snapshot.manifest.artifacts.compactMap { r in r.member.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        do {
            let reader = try TarGzReader(path: snapshot.archivePath)
            while result.count < members.count, let m = try reader.nextMember() {
                guard members.contains(m.path), result[m.path] == nil else { try reader.skipData(); continue }
                var out: [UInt8] = []
                if let bytes = records[m.path]?.bytes, bytes > 0 { out.reserveCapacity(Int(min(bytes, Int64(limit)))) }
                var hasher = SHA256Hasher()
                try reader.readData { chunk in
                    guard out.count + chunk.count <= limit else {
                        throw StoreError(.invalidInput, "member \(m.path) of \(snapshot.archivePath) is larger than \(limit) bytes")
                    }
                    hasher.update(chunk)
                    out.append(contentsOf: chunk)
                }
                if let expected = records[m.path]?.sha256, hasher.finalizeHex() != expected {
                    throw StoreError(.corruptArchive, "archive \(snapshot.archivePath) is damaged: member \(m.path) does not match its checksum")
                }
                result[m.path] = out
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(snapshot.archivePath) is damaged: \(error)")
        }
        if let missing = members.subtracting(result.keys).sorted().first {
            throw StoreError(.corruptArchive, "archive \(snapshot.archivePath) has no member \(missing)")
        }
        return result
    }
}
