import Foundation
import GBSnapCore
import ArchiveIO
import Profiles

/// Recognises what kind of Go diagnostic a file holds, for `gbsnap import`.
public enum ArtifactSniffer {
    /// Why a file could not be recognised.
    public struct Unrecognised: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The capture kind of `bytes` (the start of the file is enough for text kinds; profiles are
    /// decoded whole to read their sample types).
    public static func kind(of bytes: [UInt8], path: String) throws -> CaptureKind {
        guard !bytes.isEmpty else { throw Unrecognised(path: path, reason: "the file is empty") }
        if Gzip.hasGzipMagic(bytes) {
            let profile: Profile
            do { profile = try ProfileDecoder(maxInflatedBytes: 1 << 30).decode(bytes) } catch {
                throw Unrecognised(path: path, reason: "not a readable pprof profile (\(error)); give --kind if it is something else")
            }
            return try profileKind(profile, path: path)
        }
        // An uncompressed profile.proto starts with field 1 (sample_type), length-delimited.
        if bytes.count > 2 && bytes[0] == 0x0A, let profile = try? ProfileDecoder().decode(bytes), !profile.sampleTypes.isEmpty {
            return try profileKind(profile, path: path)
        }
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        if head.hasPrefix("goroutine profile: total ") { return .goroutineText }
        if head.range(of: #"^goroutine \d+ \["#, options: .regularExpression) != nil { return .stacks }
        if head.hasPrefix("go 1.") && head.prefix(16).contains(" trace") { return .trace }
        let trimmed = head.drop(while: { $0.isWhitespace })
        if trimmed.hasPrefix("{") && (head.contains("\"memstats\"") || head.contains("\"cmdline\"")) { return .vars }
        throw Unrecognised(path: path, reason: "not a pprof profile, goroutine dump, execution trace or expvar JSON that gbsnap recognises; give --kind to import it anyway")
    }

    static func profileKind(_ p: Profile, path: String) throws -> CaptureKind {
        let types = p.sampleTypes.map(\.type)
        if types.contains("inuse_space") { return p.defaultSampleType == "alloc_space" ? .allocs : .heap }
        if types == ["goroutine"] { return .goroutine }
        if types == ["goroutineleak"] { return .goroutineleak }
        if types == ["threadcreate"] { return .threadcreate }
        if types.contains("cpu") || types == ["samples", "cpu"] { return .cpu }
        if types.contains("contentions") && types.contains("delay") {
            throw Unrecognised(path: path, reason: "a block or mutex profile (both have contentions/delay samples); say which with --kind block or --kind mutex")
        }
        throw Unrecognised(path: path, reason: "a pprof profile with sample types \(types.joined(separator: ", ")), which gbsnap does not recognise; give --kind")
    }
}
