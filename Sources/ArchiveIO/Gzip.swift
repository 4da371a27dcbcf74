import CZlib

/// A zlib failure, with zlib's own message.
public struct CompressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The input is not gzip/zlib data, or is damaged.
        case corruptInput
        /// The input ends before the compressed stream does.
        case truncatedInput
        /// Inflating would exceed the caller's size limit (a decompression bomb, or just too big).
        case outputLimitExceeded(limit: Int)
        /// zlib refused to start or failed for another reason.
        case library
    }

    public var code: Code
    /// zlib's message, or ours when zlib gave none.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        switch code {
        case .corruptInput: "corrupt compressed data (\(message))"
        case .truncatedInput: "compressed data is truncated (\(message))"
        case .outputLimitExceeded(let limit): "inflated data exceeds the limit of \(limit) bytes"
        case .library: "zlib error: \(message)"
        }
    }
}

/// gzip helpers over zlib for in-memory data.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic number.
    public static func hasGzipMagic<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var it = bytes.makeIterator()
        return it.next() == 0x1F && it.next() == 0x8B
    }

    /// Inflates gzip (or zlib) data, refusing to produce more than `limit` bytes.
    ///
    /// Concatenated gzip members are inflated one after another, as `gzip -d` does.
    public static func inflate(_ input: [UInt8], limit: Int = 1 << 30) throws(CompressionError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        let inflater = try Inflater()
        var error: CompressionError?
        input.withUnsafeBufferPointer { buffer in
            do {
                try inflater.feed(buffer, final: true) { chunk in
                    if output.count + chunk.count > limit {
                        throw CompressionError(code: .outputLimitExceeded(limit: limit), message: "")
                    }
                    output.append(contentsOf: chunk)
                }
            } catch let e as CompressionError {
                error = e
            } catch {}
        }
        if let error { throw error }
        return output
    }

    /// Compresses `input` into one gzip member.
    public static func deflate(_ input: [UInt8], level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else {
            throw CompressionError(code: .library, message: "deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        let status: Int32 = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw CompressionError(code: .library, message: zlibMessage(stream, status))
        }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    static func zlibMessage(_ stream: z_stream, _ status: Int32) -> String {
        if let msg = stream.msg { return String(cString: msg) }
        return "zlib status \(status)"
    }
}

/// Streaming gzip/zlib inflater: feed compressed chunks, receive inflated chunks.
///
/// Owns its `z_stream`; not thread-safe.
public final class Inflater {
    private var stream = z_stream()
    private var finished = false
    private var outBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init() throws(CompressionError) {
        guard czlib_inflate_init_auto(&stream) == Z_OK else {
            throw CompressionError(code: .library, message: "inflateInit2 failed")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Inflates `input`, calling `sink` with each inflated chunk. Pass `final: true` with the last
    /// chunk so a stream that ends early is reported as truncated.
    public func feed(
        _ input: UnsafeBufferPointer<UInt8>, final: Bool, sink: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.avail_in = uInt(input.count)
        var outputFull = false
        while stream.avail_in > 0 || outputFull || (final && !finished) {
            if finished {
                guard stream.avail_in > 0 else { break }
                // Another gzip member may follow; zero padding is ignored; anything else is garbage.
                let next = stream.next_in!
                if stream.avail_in >= 2 && next[0] == 0x1F && next[1] == 0x8B {
                    inflateReset(&stream)
                    finished = false
                } else if next[0] == 0 {
                    stream.avail_in = 0
                    break
                } else {
                    throw CompressionError(code: .corruptInput, message: "trailing data after the compressed stream")
                }
            }
            let status: Int32 = outBuffer.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let produced = outBuffer.count - Int(stream.avail_out)
            outputFull = stream.avail_out == 0
            if produced > 0 {
                try outBuffer.withUnsafeBufferPointer { try sink(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
            }
            switch status {
            case Z_STREAM_END:
                finished = true
                outputFull = false
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if outputFull { continue }
                if final && !finished {
                    throw CompressionError(code: .truncatedInput, message: "unexpected end of input")
                }
                return
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw CompressionError(code: .corruptInput, message: Gzip.zlibMessage(stream, status))
            default:
                throw CompressionError(code: .library, message: Gzip.zlibMessage(stream, status))
            }
        }
    }

    /// True once the last fed data completed a compressed stream.
    public var isFinished: Bool { finished }
}
