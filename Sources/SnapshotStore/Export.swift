import ArchiveIO
import Foundation
import GBSnapCore

extension SnapshotStore {
    /// Writes a snapshot's manifest and artifacts as plain files into `directory` (created if
    /// needed), named as in the archive, so `go tool pprof` can open them directly.
    ///
    /// The archive is checked first: a member that is not a plain file or whose name would leave
    /// the folder (`../x`, `/abs`, links, devices) refuses the whole export before anything is
    /// written, and so does a file of the same name already in `directory` unless `overwrite`.
    /// Everything is extracted into a hidden staging folder and checked against its SHA-256
    /// before any of it becomes visible: a new folder appears whole (one rename), an existing one
    /// gets its files only once all of them are complete. A failed export leaves no output folder
    /// and no partial file. Nothing is followed through symlinks. Returns the paths written.
    @discardableResult
    public func export(_ snapshot: ResolvedSnapshot, to directory: String, overwrite: Bool = false) throws(StoreError) -> [String] {
        let archive = snapshot.archivePath
        let directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        // Pass 1: every member must be safe.
        var names: [String] = []
        do {
            let reader = try TarGzReader(path: archive)
            while let member = try reader.nextMember() {
                guard member.type == .regular, ArchiveMemberName.isSafe(member.path) else {
                    throw StoreError(.unsafeArchiveMember, "archive \(archive) has a member that would be written outside the output folder or is not a plain file (\"\(member.path)\"); nothing was exported",
                                     input: .path(archive))
                }
                names.append(member.path)
                try reader.skipData()
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corruptArchive, "archive \(archive) is damaged: \(StoreError.damage(error, in: archive))", input: .path(archive), underlying: error)
        }
        let exists = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)) != nil }  // lstat: links too
        let isNew = !exists(directory)
        if !overwrite, !isNew {
            let clashes = names.map { "\(directory)/\($0)" }.filter(exists)
            if !clashes.isEmpty {
                let shown = clashes.prefix(3).joined(separator: ", ") + (clashes.count > 3 ? ", ..." : "")
                throw StoreError(.invalidInput, "output folder \(directory) already has \(shown); nothing was exported (use --force to overwrite, or choose another folder)",
                                 input: .path(directory))
            }
        }
        // A new folder is staged beside it and renamed into place; an existing one stages inside itself.
        let tag = "gbsnap-export-\(SystemIO.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        let parent = (directory as NSString).deletingLastPathComponent.isEmpty ? "." : (directory as NSString).deletingLastPathComponent
        let staging = isNew ? "\(parent)/.\((directory as NSString).lastPathComponent).\(tag)" : "\(directory)/.\(tag)"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        do { try SystemIO.makeDirectories(staging) } catch { throw StoreError(.io, "cannot create the output folder \(directory): \(error)", input: .path(directory), underlying: error) }
        // Pass 2: extract into the staging folder.
        let expected = Dictionary(snapshot.manifest.artifacts.compactMap { a in a.member.map { ($0, a.sha256) } }, uniquingKeysWith: { a, _ in a })
        do {
            let reader = try TarGzReader(path: archive)
            while let member = try reader.nextMember() {
                let temp = "\(staging)/\(member.path)"
                let fd = try SystemIO.createExclusive(temp)
                var hasher = SHA256Hasher()
                defer { SystemIO.close(fd) }
                try reader.readData { chunk in
                    hasher.update(chunk)
                    try SystemIO.writeAll(fd, chunk, path: temp)
                }
                if let sha = expected[member.path] ?? nil, hasher.finalizeHex() != sha {
                    throw StoreError(.corruptArchive, "archive \(archive) is damaged: member \(member.path) does not match its checksum; nothing was exported",
                                     input: .path(archive))
                }
                try SystemIO.fsync(fd, path: temp)
            }
            if isNew {
                try SystemIO.rename(staging, directory)
                try SystemIO.fsyncDirectory(parent)
            } else {
                for name in names { try SystemIO.rename("\(staging)/\(name)", "\(directory)/\(name)") }
                try SystemIO.fsyncDirectory(directory)
            }
        } catch let e as StoreError {
            throw e
        } catch let e as ArchiveError {
            throw StoreError(.corruptArchive, "archive \(archive) is damaged: \(e); nothing was exported", input: .path(archive), underlying: e)
        } catch {
            throw StoreError(.io, "cannot export \(snapshot.id) to \(directory): \(error)", input: .path(directory), underlying: error)
        }
        return names.map { "\(directory)/\($0)" }
    }
}
