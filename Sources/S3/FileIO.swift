import Foundation
import NIOCore
import NIOPosix

/// A failed local write, as the end of a sentence.
struct FileSinkError: Error {
    var detail: String
}

/// Writes a download to `path` through a `.part` file renamed into place on close; blocking writes run on NIO's
/// thread pool, in batches of 1 MiB.
actor FileSink {
    let path: String
    let partPath: String
    private var handle: FileHandle?
    private var pending: [UInt8] = []

    init(path: String) async throws {
        self.path = path
        partPath = path + ".part"
        let partPath = partPath
        handle = try await NIOThreadPool.singleton.runIfActive {
            guard FileManager.default.createFile(atPath: partPath, contents: nil) else {
                throw FileSinkError(detail: "the file cannot be created")
            }
            return try FileHandle(forWritingTo: URL(fileURLWithPath: partPath))
        }
    }

    func write(_ chunk: ByteBuffer) async throws {
        pending += chunk.readableBytesView
        if pending.count >= 1 << 20 { try await flush() }
    }

    func close() async throws {
        try await flush()
        let (handle, partPath, path) = (self.handle, partPath, path)
        self.handle = nil
        try await NIOThreadPool.singleton.runIfActive {
            do {
                try handle?.synchronize()
                try handle?.close()
                if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                try FileManager.default.moveItem(atPath: partPath, toPath: path)
            } catch {
                throw FileSinkError(detail: "\(error)")
            }
        }
    }

    /// Closes and removes the partial file.
    func abandon() async {
        let (handle, partPath) = (self.handle, partPath)
        self.handle = nil
        _ = try? await NIOThreadPool.singleton.runIfActive {
            try? handle?.close()
            try? FileManager.default.removeItem(atPath: partPath)
        }
    }

    private func flush() async throws {
        guard !pending.isEmpty, let handle else { return }
        let bytes = pending
        pending = []
        try await NIOThreadPool.singleton.runIfActive {
            do { try handle.write(contentsOf: Data(bytes)) } catch { throw FileSinkError(detail: "\(error)") }
        }
    }
}

extension S3Client {
    /// The size of the file at `path`, on the thread pool.
    static func fileSize(_ path: String) async throws(S3Error) -> Int64 {
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                return (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
        } catch {
            throw S3Error(reason: .localFile, message: "cannot read \(path) to upload it: it does not exist or is not readable")
        }
    }

    /// `count` bytes of the file at `path` from `offset`, read on the thread pool straight into the buffer that is
    /// hashed and sent (no other copy).
    static func readFile(_ path: String, offset: Int64, count: Int) async throws(S3Error) -> ByteBuffer {
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                var buffer = ByteBufferAllocator().buffer(capacity: count)
                while buffer.readableBytes < count {
                    let (wanted, at) = (count - buffer.readableBytes, off_t(offset) + off_t(buffer.readableBytes))
                    let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { target in
                        while true {
                            let n = pread(handle.fileDescriptor, target.baseAddress, wanted, at)
                            if n >= 0 { return n }
                            if errno != EINTR { throw IOError(errnoCode: errno, reason: "pread") }
                        }
                    }
                    guard read > 0 else { break }
                }
                guard buffer.readableBytes == count else { throw FileSinkError(detail: "the file shrank while it was uploaded") }
                return buffer
            }
        } catch let e as FileSinkError {
            throw S3Error(reason: .localFile, message: "cannot upload \(path): \(e.detail)")
        } catch {
            throw S3Error(reason: .localFile, message: "cannot read \(path) to upload it: \(error)")
        }
    }
}
