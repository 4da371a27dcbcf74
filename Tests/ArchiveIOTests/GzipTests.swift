import ArchiveIO
import Foundation
import Testing

@Suite struct GzipTests {
    let text = Array(String(repeating: "goroutine 1 [running]:\nmain.main()\n", count: 5000).utf8)

    @Test func roundTripsAndMatchesGzipTool() throws {
        let packed = try Gzip.deflate(text)
        #expect(Gzip.hasGzipMagic(packed))
        #expect(packed.count < text.count / 20)
        #expect(try Gzip.inflate(packed) == text)
        // gzip(1) reads it.
        let path = NSTemporaryDirectory() + "gbsnap-gzip-\(UUID().uuidString).gz"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(packed).write(to: URL(fileURLWithPath: path))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-t", path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func concatenatedMembersInflateLikeGzipDashD() throws {
        let a = try Gzip.deflate(Array("hello ".utf8)), b = try Gzip.deflate(Array("world".utf8))
        #expect(try Gzip.inflate(a + b) == Array("hello world".utf8))
    }

    @Test func truncatedCorruptAndTrailingGarbageAreTypedErrors() throws {
        let packed = try Gzip.deflate(text)
        #expect(throws: CompressionError.self) { try Gzip.inflate(Array(packed.prefix(packed.count / 2))) }
        do {
            _ = try Gzip.inflate(Array(packed.prefix(packed.count - 4)))
            Issue.record("truncated input inflated")
        } catch {
            #expect(error.code == .truncatedInput)
        }
        var corrupt = packed
        corrupt[20] ^= 0xFF
        corrupt[21] ^= 0xFF
        #expect(throws: CompressionError.self) { try Gzip.inflate(corrupt) }
        do {
            _ = try Gzip.inflate(packed + Array("junk".utf8))
            Issue.record("trailing garbage accepted")
        } catch {
            #expect(error.code == .corruptInput)
        }
        #expect(throws: CompressionError.self) { try Gzip.inflate(Array("not gzip at all".utf8)) }
    }

    @Test func inflatedSizeIsCapped() throws {
        // 64 MiB of zeros compresses to ~64 KiB: a small bomb.
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let bomb = try Gzip.deflate(zeros, level: 9)
        #expect(bomb.count < 100_000)
        do {
            _ = try Gzip.inflate(bomb, limit: 1 << 20)
            Issue.record("bomb inflated past the limit")
        } catch {
            #expect(error.code == .outputLimitExceeded(limit: 1 << 20))
            #expect(error.description.contains("exceeds the limit"))
        }
    }
}

@Suite struct TarTests {
    static func failureMessage(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    @Test func writesMembersInOrderAndReadsThemBack() throws {
        let dir = NSTemporaryDirectory() + "gbsnap-tar-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = "\(dir)/big.bin"
        var big = [UInt8](repeating: 0, count: 3 << 20)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        try Data(big).write(to: URL(fileURLWithPath: source))
        let archive = "\(dir)/a.tar.gz"
        let fd = open(archive, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        let writer = try TarGzWriter(fileDescriptor: fd, path: archive, modificationTime: 1_800_000_000)
        try writer.addMember(named: "manifest.json", bytes: Array("{}".utf8))
        try writer.addMember(named: "big.bin", contentsOfFile: source)
        try writer.addMember(named: "empty", bytes: [])
        try writer.finish()
        close(fd)
        #expect(throws: ArchiveError.self) { try writer.addMember(named: "late", bytes: [1]) }

        let reader = try TarGzReader(path: archive)
        var names: [String] = []
        var contents: [String: [UInt8]] = [:]
        while let m = try reader.nextMember() {
            #expect(m.type == .regular)
            names.append(m.path)
            contents[m.path] = try reader.readAll(limit: 8 << 20)
        }
        #expect(names == ["manifest.json", "big.bin", "empty"])
        // Compared by length and first difference: a failure must not print 3 MiB of bytes.
        let read = contents["big.bin"] ?? []
        #expect(read.count == big.count)
        #expect(read.indices.first { $0 < big.count && read[$0] != big[$0] } == nil, "first differing byte")
        #expect(contents["empty"] == [])
    }

    @Test func anAbandonedWriterNeverWritesToItsOldDescriptor() throws {
        let dir = NSTemporaryDirectory() + "gbsnap-tar-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = open("\(dir)/abandoned.tar.gz", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0)
        var writer: TarGzWriter? = try TarGzWriter(fileDescriptor: fd, path: "abandoned", modificationTime: 0)
        try writer?.addMember(named: "half", bytes: Array(repeating: 7, count: 100_000))
        // The caller gives up (say, after a write error) and closes the file, and the descriptor
        // number is reused by another file (dup2 does both at once, so no other thread can grab it).
        let other = "\(dir)/someone-elses-file"
        let otherFD = open(other, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(otherFD >= 0)
        try #require(dup2(otherFD, fd) == fd)
        _ = "theirs".withCString { write(fd, $0, 6) }
        writer = nil
        close(fd)
        close(otherFD)
        #expect(FileManager.default.contents(atPath: other) == Data("theirs".utf8))
    }

    @Test func missingSourceFileAndDamagedArchivesAreNamed() throws {
        let dir = NSTemporaryDirectory() + "gbsnap-tar-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let archive = "\(dir)/a.tar.gz"
        let fd = open(archive, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        let writer = try TarGzWriter(fileDescriptor: fd, path: archive, modificationTime: 0)
        do {
            try writer.addMember(named: "x", contentsOfFile: "\(dir)/nope")
            Issue.record("missing source archived")
        } catch {
            #expect(error.description.contains("\(dir)/nope"))
        }
        close(fd)
        #expect(throws: ArchiveError.self) { _ = try TarGzReader(path: "\(dir)/absent.tar.gz") }
        try Data("garbage garbage garbage".utf8).write(to: URL(fileURLWithPath: "\(dir)/g.tar.gz"))
        let message = Self.failureMessage { let r = try TarGzReader(path: "\(dir)/g.tar.gz"); _ = try r.nextMember() }
        #expect(message?.contains("g.tar.gz") == true)
    }
}
