import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Writes a gzip-compressed tar (pax restricted format) through libarchive, one member at a time.
///
/// Members stream from files or memory in fixed-size chunks, so peak memory stays flat however
/// large an artifact is. The writer writes to a file descriptor it does not own, so the caller can
/// fsync and rename the file afterwards (see SnapshotStore).
public final class TarGzWriter {
    private var handle: OpaquePointer?
    private let path: String
    private let modificationTime: Int
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    /// Starts an archive on `fileDescriptor`; `path` is only used in error messages.
    ///
    /// - Parameters:
    ///   - compressionLevel: gzip level 1–9 (6 is gzip's and `tar czf`'s default).
    ///   - modificationTime: the mtime every member gets (seconds since the epoch), so archives
    ///     of the same input are byte-identical.
    public init(fileDescriptor: Int32, path: String, compressionLevel: Int = 6, modificationTime: Int) throws(ArchiveError) {
        self.path = path
        self.modificationTime = modificationTime
        guard let a = archive_write_new() else {
            throw ArchiveError(operation: .create, path: path, message: "out of memory")
        }
        handle = a
        var ok = archive_write_add_filter_gzip(a) == ARCHIVE_OK
        ok = ok && archive_write_set_format_pax_restricted(a) == ARCHIVE_OK
        ok = ok && archive_write_set_filter_option(a, "gzip", "compression-level", "\(compressionLevel)") == ARCHIVE_OK
        ok = ok && archive_write_set_filter_option(a, "gzip", "timestamp", nil) == ARCHIVE_OK
        // No padding of the last block: the gzip stream ends where the tar ends.
        ok = ok && archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK
        ok = ok && archive_write_open_fd(a, fileDescriptor) == ARCHIVE_OK
        if !ok {
            let message = Self.message(a)
            archive_write_free(a)
            handle = nil
            throw ArchiveError(operation: .open, path: path, message: message)
        }
    }

    deinit {
        // An unfinished archive is abandoned, never flushed: by now its descriptor may be closed and
        // its number reused by another file, which libarchive's flush-on-free would write into.
        if let handle {
            archive_write_fail(handle)
            archive_write_free(handle)
        }
    }

    /// Adds a regular-file member with the given bytes.
    public func addMember(named name: String, bytes: [UInt8]) throws(ArchiveError) {
        let a = try openHandle()
        try writeHeader(a, name: name, size: Int64(bytes.count))
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 20)
            let written = bytes.withUnsafeBytes { archive_write_data(a, $0.baseAddress! + offset, n) }
            guard written == n else { throw ArchiveError(operation: .writeData, path: path, member: name, message: Self.message(a)) }
            offset += n
        }
        try finishEntry(a, name: name)
    }

    /// Adds a regular-file member streamed from the file at `sourcePath`, whose size must not
    /// change while it is read.
    public func addMember(named name: String, contentsOfFile sourcePath: String) throws(ArchiveError) {
        let a = try openHandle()
        let fd = open(sourcePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(operation: .readSource, path: sourcePath, member: name, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ArchiveError(operation: .readSource, path: sourcePath, member: name, message: String(cString: strerror(errno))) }
        let size = Int64(st.st_size)
        try writeHeader(a, name: name, size: size)
        var remaining = size
        while remaining > 0 {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, min($0.count, Int(remaining))) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                let why = got == 0 ? "the file shrank while it was archived" : String(cString: strerror(errno))
                throw ArchiveError(operation: .readSource, path: sourcePath, member: name, message: why)
            }
            let written = buffer.withUnsafeBytes { archive_write_data(a, $0.baseAddress!, got) }
            guard written == got else { throw ArchiveError(operation: .writeData, path: path, member: name, message: Self.message(a)) }
            remaining -= Int64(got)
        }
        try finishEntry(a, name: name)
    }

    /// Writes the tar end marker and flushes the gzip stream. The descriptor stays open.
    public func finish() throws(ArchiveError) {
        let a = try openHandle()
        let status = archive_write_close(a)
        let message = Self.message(a)
        archive_write_free(a)
        handle = nil
        guard status == ARCHIVE_OK else { throw ArchiveError(operation: .close, path: path, message: message) }
    }

    private func openHandle() throws(ArchiveError) -> OpaquePointer {
        guard let handle else { throw ArchiveError(operation: .writeHeader, path: path, message: "the archive is already finished") }
        return handle
    }

    private func writeHeader(_ a: OpaquePointer, name: String, size: Int64) throws(ArchiveError) {
        guard let entry = archive_entry_new() else { throw ArchiveError(operation: .writeHeader, path: path, member: name, message: "out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, size)
        archive_entry_set_filetype(entry, carchive_ae_ifreg())
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, time_t(modificationTime), 0)
        guard archive_write_header(a, entry) == ARCHIVE_OK else {
            throw ArchiveError(operation: .writeHeader, path: path, member: name, message: Self.message(a))
        }
    }

    private func finishEntry(_ a: OpaquePointer, name: String) throws(ArchiveError) {
        guard archive_write_finish_entry(a) == ARCHIVE_OK else {
            throw ArchiveError(operation: .writeData, path: path, member: name, message: Self.message(a))
        }
    }

    /// libarchive's message, with the OS error appended when libarchive's text is generic
    /// ("Write error" alone would not tell a user the disk is full).
    static func message(_ a: OpaquePointer) -> String {
        let code = archive_errno(a)
        let os = code > 0 ? String(cString: strerror(code)) : nil
        guard let s = archive_error_string(a).map({ String(cString: $0) }) else { return os ?? "unknown libarchive error" }
        if let os, !s.contains(os) { return "\(s) (\(os))" }
        return s
    }
}
