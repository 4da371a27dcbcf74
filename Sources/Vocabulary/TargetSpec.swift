/// One Go service endpoint to capture from, as read from the config or the command line.
///
/// This is plain data shared by Config (which builds it), Capture (which uses it) and
/// SnapshotStore (which records its credential-free parts in manifests).
public struct TargetSpec: Sendable, Hashable, Codable {
    /// Unique target name; also the first path segment of its snapshots in the store.
    public var name: String
    /// Base URL such as `http://10.0.0.5:6060`. May carry `user:pass@`, which is used as basic
    /// auth and never stored (see `redactedBaseURL`).
    public var baseURL: String
    /// Path prefix of the pprof handlers, `/debug/pprof` by default.
    public var pprofPrefix: String
    /// Path of the expvar handler, `/debug/vars` by default.
    public var varsPath: String
    public var labels: [String: String]
    /// Extra request headers (never recorded: they may carry secrets).
    public var headers: [String: String]
    public var auth: Auth?
    public var tls: TLS?
    public var timeouts: Timeouts
    /// Largest body accepted for one artifact; larger ones abort that artifact.
    public var maxArtifactBytes: Int64

    public struct Auth: Sendable, Hashable, Codable {
        /// File holding a bearer token (trailing newline ignored).
        public var bearerTokenFile: String?
        public var basicUsername: String?
        /// File holding the basic-auth password (trailing newline ignored).
        public var basicPasswordFile: String?

        public init(bearerTokenFile: String? = nil, basicUsername: String? = nil, basicPasswordFile: String? = nil) {
            self.bearerTokenFile = bearerTokenFile
            self.basicUsername = basicUsername
            self.basicPasswordFile = basicPasswordFile
        }
    }

    public struct TLS: Sendable, Hashable, Codable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// Skip certificate verification; must be asked for explicitly.
        public var insecureSkipVerify: Bool

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecureSkipVerify: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecureSkipVerify = insecureSkipVerify
        }
    }

    public struct Timeouts: Sendable, Hashable, Codable {
        /// Time allowed to open the TCP (and TLS) connection.
        public var connect: Duration
        /// Deadline for one whole request, body included (for `cpu`/`trace` the requested
        /// seconds are added on top).
        public var total: Duration

        public init(connect: Duration = .seconds(5), total: Duration = .seconds(30)) {
            self.connect = connect
            self.total = total
        }
    }

    public static let defaultMaxArtifactBytes: Int64 = 512 * 1024 * 1024

    public init(
        name: String,
        baseURL: String,
        pprofPrefix: String = "/debug/pprof",
        varsPath: String = "/debug/vars",
        labels: [String: String] = [:],
        headers: [String: String] = [:],
        auth: Auth? = nil,
        tls: TLS? = nil,
        timeouts: Timeouts = Timeouts(),
        maxArtifactBytes: Int64 = TargetSpec.defaultMaxArtifactBytes
    ) {
        self.name = name
        self.baseURL = baseURL
        self.pprofPrefix = pprofPrefix
        self.varsPath = varsPath
        self.labels = labels
        self.headers = headers
        self.auth = auth
        self.tls = tls
        self.timeouts = timeouts
        self.maxArtifactBytes = maxArtifactBytes
    }

    /// The base URL with any `user:password@` removed, safe for manifests, logs and errors.
    public var redactedBaseURL: String { URLRedaction.redact(baseURL) }
}

/// Removes credentials from URLs before they reach manifests, logs or error messages.
public enum URLRedaction {
    /// `http://u:p@host:1/x` becomes `http://host:1/x`; anything unparseable is returned with
    /// everything between `://` and the last `@` of the authority removed.
    public static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + String(authority[authority.index(after: at)...])
            + String(afterScheme[authorityEnd...])
    }
}

extension TargetSpec {
    /// The longest target name, in UTF-8 bytes.
    public static let maxNameBytes = 100

    /// The rule ``isValidName(_:)`` checks, as the predicate of a sentence about a target name.
    public static let nameRule = "may only hold letters, digits, '.', '_' and '-', must not start with '.' or '-', "
        + "and must be at most \(maxNameBytes) bytes long"

    /// Whether `name` can name a target: it becomes a path segment of the store and part of every snapshot id, so
    /// only letters, digits, `.`, `_` and `-`, not starting with `.` or `-`, 1 to ``maxNameBytes`` bytes. The store
    /// refuses any other name, and the config loader reports one at its position.
    public static func isValidName(_ name: String) -> Bool { isSafeName(name, maxBytes: maxNameBytes) }

    /// Whether `name` is 1 to `maxBytes` bytes of letters, digits, `.`, `_` and `-`, not starting with `.` or `-`:
    /// safe as a path segment (also the rule for snapshot ids, which hold a target name).
    public static func isSafeName(_ name: String, maxBytes: Int) -> Bool {
        guard (1...maxBytes).contains(name.utf8.count), let first = name.utf8.first,
              first != UInt8(ascii: "."), first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
    }
}
