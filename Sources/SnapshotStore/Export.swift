import ArchiveIO
import Foundation
import GBSnapCore

extension SnapshotStore {
    /// Writes a snapshot's manifest and artifacts as plain files into `directory` (created if
    /// needed), named as in the archive, so `go tool pprof` can open them directly.
    ///
    /// The archive is checked first: a member that is not a plain file or whose name would leave
    /// the folder (`../x`, `/abs`, links, devices) refuses the whole export before anything is
    /// written. Each file is written under a temp name, checked against its SHA-256, then renamed;
    /// nothing is followed through symlinks. Returns the paths written.
    @discardableResult
    public func export(_ snapshot: ResolvedSnapshot, to directory: String) throws -> [String] {
        let archive = snapshot.archivePath
        // Pass 1: every member must be safe.
        do {
            let reader = try TarGzReader(path: archive)
            while let member = try reader.nextMember() {
                guard member.type == .regular, ArchiveMemberName.isSafe(member.path) else {
                    throw StoreError(.unsafeArchiveMember, "archive \(archive) has a member that would be written outside the output folder or is not a plain file (\"\(member.path)\"); nothing was exported")
                }
                try reader.skipData()
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(archive) is damaged: \(error)")
        }
        do { try SystemIO.makeDirectories(directory) } catch { throw StoreError(.io, "cannot create the output folder: \(error)") }
        // Pass 2: extract.
        var written: [String] = []
        let expected = Dictionary(snapshot.manifest.artifacts.compactMap { a in a.member.map { ($0, a.sha256) } }, uniquingKeysWith: { a, _ in a })
        do {
            let reader = try TarGzReader(path: archive)
            while let member = try reader.nextMember() {
                let finalPath = "\(directory)/\(member.path)"
                let temp = "\(directory)/.\(member.path).gbsnap-partial-\(SystemIO.currentProcessID)"
                try? SystemIO.unlinkIfPresent(temp)
                let fd = try SystemIO.createExclusive(temp)
                var hasher = SHA256Hasher()
                do {
                    defer { SystemIO.close(fd) }
                    try reader.readData { chunk in
                        hasher.update(chunk)
                        try SystemIO.writeAll(fd, chunk, path: temp)
                    }
                    if let sha = expected[member.path] ?? nil, hasher.finalizeHex() != sha {
                        throw StoreError(.corruptArchive, "archive \(archive) is damaged: member \(member.path) does not match its checksum")
                    }
                    try SystemIO.fsync(fd, path: temp)
                } catch {
                    try? SystemIO.unlinkIfPresent(temp)
                    throw error
                }
                try SystemIO.rename(temp, finalPath)
                written.append(finalPath)
            }
        } catch let e as StoreError {
            throw e
        } catch let e as ArchiveError {
            throw StoreError(.corruptArchive, "archive \(archive) is damaged: \(e)")
        } catch {
            throw StoreError(.io, "cannot export \(snapshot.id) to \(directory): \(error)")
        }
        return written
    }
}
