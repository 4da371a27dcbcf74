import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Reads a (gzip-compressed) tar archive member by member through libarchive.
///
/// Gzip CRCs and tar header checksums are verified by libarchive as data streams through, so a
/// damaged archive surfaces as an `ArchiveError` when its bad part is reached.
public final class TarGzReader {
    /// One member header.
    public struct Member: Sendable, Hashable {
        public enum FileType: Sendable, Hashable {
            case regular, directory, symbolicLink, hardLink, other
        }
        /// The path exactly as stored (may be hostile: check before using it on disk).
        public var path: String
        public var size: Int64
        public var type: FileType
    }

    private var handle: OpaquePointer?
    public let path: String
    private var current: String?

    /// Opens the archive at `path` for reading.
    public init(path: String) throws(ArchiveError) {
        self.path = path
        guard let a = archive_read_new() else { throw ArchiveError(operation: .open, path: path, message: "out of memory") }
        handle = a
        archive_read_support_filter_gzip(a)
        archive_read_support_format_tar(a)
        guard archive_read_open_filename(a, path, 256 * 1024) == ARCHIVE_OK else {
            let message = TarGzWriter.message(a)
            archive_read_free(a)
            handle = nil
            throw ArchiveError(operation: .open, path: path, message: message)
        }
    }

    deinit {
        if let handle { archive_read_free(handle) }
    }

    /// The next member's header, or nil at the end of the archive.
    public func nextMember() throws(ArchiveError) -> Member? {
        guard let a = handle else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(a, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw ArchiveError(operation: .readHeader, path: path, member: current, message: TarGzWriter.message(a))
        }
        let name: String
        if let p = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry) {
            name = String(cString: p)
        } else {
            name = ""
        }
        let mode = UInt32(archive_entry_filetype(entry))
        let type: Member.FileType
        if archive_entry_hardlink(entry) != nil {
            type = .hardLink
        } else if mode == carchive_ae_ifreg() {
            type = .regular
        } else if mode == carchive_ae_ifdir() {
            type = .directory
        } else if mode == carchive_ae_iflnk() {
            type = .symbolicLink
        } else {
            type = .other
        }
        current = name
        return Member(path: name, size: archive_entry_size(entry), type: type)
    }

    /// Streams the current member's data to `sink` in chunks.
    public func readData(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let a = handle else { return }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress!, $0.count) }
            if n == 0 { return }
            guard n > 0 else {
                throw ArchiveError(operation: .readData, path: path, member: current, message: TarGzWriter.message(a))
            }
            try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// Reads the current member whole, refusing members larger than `limit` bytes.
    public func readAll(limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try readData { chunk in
            guard out.count + chunk.count <= limit else {
                throw ArchiveError(operation: .readData, path: path, member: current, message: "member is larger than \(limit) bytes")
            }
            out.append(contentsOf: chunk)
        }
        return out
    }

    /// Skips the current member's data (still checking the compressed stream).
    public func skipData() throws(ArchiveError) {
        guard let a = handle else { return }
        guard archive_read_data_skip(a) == ARCHIVE_OK else {
            throw ArchiveError(operation: .readData, path: path, member: current, message: TarGzWriter.message(a))
        }
    }
}
