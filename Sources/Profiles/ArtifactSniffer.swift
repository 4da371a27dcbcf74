import ArchiveIO

/// The formats Go's `net/http/pprof` and `expvar` endpoints serve, as gbsnap stores them.
public enum GoFormat: Sendable, Hashable, CaseIterable {
    /// gzip-compressed profile.proto (`/debug/pprof/heap`, `goroutine`, `profile`, ...).
    case profile
    /// The `debug=1` goroutine text, `goroutine profile: total N` first.
    case goroutineText
    /// The `debug=2` goroutine dump, `goroutine N [state...]:` first.
    case goroutineStacks
    /// An execution trace, `go 1.NN trace` first.
    case trace
    /// `/debug/vars`: one JSON object.
    case expvar

    /// What a body of this format is, for messages: "a profile", "expvar JSON".
    public var noun: String {
        switch self {
        case .profile: "a profile"
        case .goroutineText, .goroutineStacks: "a goroutine dump"
        case .trace: "an execution trace"
        case .expvar: "expvar JSON"
        }
    }

    /// How a body of this format starts, for messages.
    var expectedStart: String {
        switch self {
        case .profile: "gzip data (1f 8b)"
        case .goroutineText: "\"goroutine profile: total N\""
        case .goroutineStacks: "\"goroutine N [\""
        case .trace: "\"go 1.NN trace\""
        case .expvar: "a JSON object"
        }
    }
}

/// Why a body's first bytes are not the format the endpoint serves: what came back instead.
public struct BodyMismatch: Sendable, Hashable, CustomStringConvertible {
    /// What the body looks like.
    public enum Found: Sendable, Hashable {
        case empty
        /// An HTML page (a login page, a proxy's error page, the pprof index).
        case htmlPage
        /// A small JSON object that reads like an error (`{"error": ...}`), with its text.
        case jsonError(String)
        /// Anything else, with a short printable excerpt of its start.
        case other(String)
    }

    /// The format the endpoint should have served.
    public var expected: GoFormat
    public var found: Found

    /// The problem and what to check, as the end of a sentence (no target or endpoint).
    public var description: String {
        let check = expected == .expvar ? "check the URL and vars path" : "check the URL and pprof prefix"
        switch found {
        case .empty:
            return "the target answered with an empty body, not \(expected.noun): \(check)"
        case .htmlPage:
            return "the target answered with an HTML page, not \(expected.noun): \(check), or whether a login sits in front of it"
        case .jsonError(let text):
            return "the target answered with a JSON error body, not \(expected.noun) (\(text)): \(check), and the credentials"
        case .other(let start):
            return "the body is not \(expected.noun): it should start with \(expected.expectedStart) but starts with \(start); \(check)"
        }
    }
}

/// Recognises Go diagnostics from their first bytes: the one piece of code behind `gbsnap import`'s
/// kind detection and capture's check that a 2xx body is what the endpoint serves.
///
/// Every check reads at most ``prefixBytes`` bytes and never inflates anything, so capture can run
/// it on a body as it streams.
public enum ArtifactSniffer {
    /// How many leading bytes the checks look at.
    public static let prefixBytes = 4096

    /// Why a file could not be recognised.
    public struct Unrecognised: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }

        /// Creates the error for `path`.
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// The format `prefix` (the first ``prefixBytes`` bytes of a body, or all of a shorter one)
    /// starts like, or nil. An uncompressed profile.proto is not recognised here (it has no magic).
    public static func format(of prefix: some Collection<UInt8>) -> GoFormat? {
        if Gzip.hasGzipMagic(prefix) { return .profile }
        let head = String(decoding: prefix.prefix(prefixBytes), as: UTF8.self)
        if head.hasPrefix("goroutine profile: total ") { return .goroutineText }
        if isStacksHeader(head) { return .goroutineStacks }
        if head.hasPrefix("go 1.") && head.prefix(16).contains(" trace") { return .trace }
        if startsLikeJSONObject(head) && !looksLikeJSONError(head) { return .expvar }
        return nil
    }

    /// `{` then a key or `}` (blanks allowed): a JSON object's start. Checking the second token too keeps one
    /// random byte in 256 (a `{`) from passing as expvar JSON.
    static func startsLikeJSONObject(_ head: String) -> Bool {
        let rest = head.drop(while: \.isWhitespace)
        guard rest.first == "{" else { return false }
        let next = rest.dropFirst().drop(while: \.isWhitespace)
        return next.isEmpty || next.first == "\"" || next.first == "}"
    }

    /// Nil when `prefix` starts like `expected`; otherwise what came back instead.
    ///
    /// - Parameters:
    ///   - prefix: the first ``prefixBytes`` bytes of the body, or the whole body if shorter.
    ///   - contentType: the response's `Content-Type`, used only to name what came back.
    public static func mismatch(_ prefix: some Collection<UInt8>, expected: GoFormat, contentType: String? = nil) -> BodyMismatch? {
        let found = format(of: prefix)
        if found == expected { return nil }
        let head = String(decoding: prefix.prefix(prefixBytes), as: UTF8.self)
        let trimmed = head.drop(while: \.isWhitespace)
        if prefix.isEmpty { return BodyMismatch(expected: expected, found: .empty) }
        let lowered = trimmed.prefix(512).lowercased()
        if contentType?.lowercased().contains("text/html") == true || lowered.hasPrefix("<!doctype html") || lowered.hasPrefix("<html")
            || (lowered.hasPrefix("<") && (lowered.contains("<html") || lowered.contains("<head") || lowered.contains("<body"))) {
            return BodyMismatch(expected: expected, found: .htmlPage)
        }
        if trimmed.hasPrefix("{") && looksLikeJSONError(head) {
            return BodyMismatch(expected: expected, found: .jsonError(excerpt(Substring(trimmed), limit: 120)))
        }
        return BodyMismatch(expected: expected, found: .other(describeStart(prefix)))
    }

    // MARK: - Import

    /// What a whole file holds, for `gbsnap import`.
    public enum Recognised: Sendable {
        /// A profile.proto (gzip-compressed or not), decoded.
        case profile(Profile)
        case goroutineText, goroutineStacks, trace, expvar
    }

    /// Recognises a file from `bytes`: its start is enough for the text formats; a profile must be
    /// given whole, because only its decoded sample types tell heap from allocs.
    public static func recognise(_ bytes: [UInt8], path: String) throws(Unrecognised) -> Recognised {
        guard !bytes.isEmpty else { throw Unrecognised(path: path, reason: "the file is empty") }
        if Gzip.hasGzipMagic(bytes) {
            do { return .profile(try ProfileDecoder(maxInflatedBytes: 1 << 30).decode(bytes)) } catch {
                throw Unrecognised(path: path, reason: "not a readable pprof profile (\(error)); give --kind if it is something else")
            }
        }
        // An uncompressed profile.proto starts with field 1 (sample_type), length-delimited.
        if bytes.count > 2 && bytes[0] == 0x0A, let profile = try? ProfileDecoder().decode(bytes), !profile.sampleTypes.isEmpty {
            return .profile(profile)
        }
        let head = String(decoding: bytes.prefix(prefixBytes), as: UTF8.self)
        switch format(of: bytes.prefix(prefixBytes)) {
        case .goroutineText: return .goroutineText
        case .goroutineStacks: return .goroutineStacks
        case .trace: return .trace
        // Import has no endpoint to vouch for a JSON file: it must carry expvar's own variables.
        case .expvar where head.contains("\"memstats\"") || head.contains("\"cmdline\""): return .expvar
        default:
            throw Unrecognised(path: path, reason: "not a pprof profile, goroutine dump, execution trace or expvar JSON that gbsnap recognises; give --kind to import it anyway")
        }
    }

    /// The name Go's runtime/pprof gives the profile (`heap`, `allocs`, `goroutine`,
    /// `goroutineleak`, `threadcreate`, or `cpu` for `/debug/pprof/profile`), from its sample
    /// types; nil for block and mutex profiles (their samples are alike) and unknown ones.
    public static func goProfileName(_ p: Profile) -> String? {
        let types = p.sampleTypes.map(\.type)
        if types.contains("inuse_space") { return p.defaultSampleType == "alloc_space" ? "allocs" : "heap" }
        if types == ["goroutine"] { return "goroutine" }
        if types == ["goroutineleak"] { return "goroutineleak" }
        if types == ["threadcreate"] { return "threadcreate" }
        if types.contains("cpu") { return "cpu" }
        return nil
    }

    // MARK: - Helpers

    /// `goroutine N [` at the very start.
    static func isStacksHeader(_ head: String) -> Bool {
        guard head.hasPrefix("goroutine ") else { return false }
        let rest = head.utf8.dropFirst("goroutine ".utf8.count)
        let digits = rest.prefix { $0 >= 48 && $0 <= 57 }
        return !digits.isEmpty && rest.dropFirst(digits.count).starts(with: " [".utf8)
    }

    /// Keys a proxy's or framework's JSON error uses; expvar output always has `cmdline` and `memstats`.
    static let errorKeys = ["\"error\"", "\"errors\"", "\"message\"", "\"msg\"", "\"detail\"", "\"code\"", "\"status\""]

    /// A JSON object that names an error and none of expvar's own variables.
    static func looksLikeJSONError(_ head: String) -> Bool {
        guard head.drop(while: \.isWhitespace).hasPrefix("{") else { return false }
        if head.contains("\"cmdline\"") || head.contains("\"memstats\"") { return false }
        return errorKeys.contains { head.contains($0) }
    }

    /// A short quoted excerpt when the start is text, else its first bytes in hex.
    static func describeStart(_ prefix: some Collection<UInt8>) -> String {
        let first = Array(prefix.prefix(48))
        let printable = first.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 >= 0x80 }
        // High bytes count as text only when they are valid UTF-8 (the cut at 48 bytes may split one character),
        // so random bytes without control characters (0.3 % of 48-byte runs) still print as hex.
        let validUTF8 = (0...min(3, first.count)).contains { String(validating: first.dropLast($0), as: UTF8.self) != nil }
        if printable && validUTF8 {
            return "\"\(excerpt(Substring(String(decoding: first, as: UTF8.self)), limit: 40))\""
        }
        let hex = first.prefix(8).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return "bytes " + hex.joined(separator: " ")
    }

    /// One line, control characters as spaces, at most `limit` characters.
    static func excerpt(_ text: Substring, limit: Int) -> String {
        let line = String(text.prefix(limit * 2).map { $0.isNewline || $0 == "\t" ? " " : $0 })
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return line.count > limit ? String(line.prefix(limit)) + "…" : line
    }
}
