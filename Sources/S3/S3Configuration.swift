import Foundation
import SigV4

/// How a bucket is named in a request's URL.
public enum S3Addressing: String, Sendable, Hashable, CaseIterable {
    /// `https://ENDPOINT/BUCKET/KEY` — what MinIO, Ceph and most private endpoints expect.
    case path
    /// `https://BUCKET.ENDPOINT/KEY` — AWS's default.
    case virtualHosted = "virtual"
}

/// An S3 endpoint as a URL's parts: scheme, host and port.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// The host name or address.
    public var host: String
    /// The port, nil for the scheme's default.
    public var port: Int?

    /// Parses `http(s)://HOST[:PORT][/]`.
    public init(parsing text: String) throws(S3ConfigurationError) {
        func fail(_ problem: String) -> S3ConfigurationError { S3ConfigurationError(problem: "endpoint \"\(text)\" \(problem)") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw fail("is not a URL (write http://HOST:PORT or https://HOST)")
        }
        guard scheme == "http" || scheme == "https" else { throw fail("must start with http:// or https://") }
        guard let host = components.host, !host.isEmpty else { throw fail("has no host") }
        if let port = components.port, !(1...65535).contains(port) { throw fail("has port \(port) outside 1-65535") }
        if !(components.path.isEmpty || components.path == "/") || components.query != nil || components.user != nil {
            throw fail("must be only scheme, host and port, without a path, query or credentials")
        }
        self.scheme = scheme
        self.host = host
        self.port = components.port
    }

    /// Creates an endpoint from parts.
    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// `host[:port]` as the `Host` header carries it (the port only when it is not the scheme's default).
    public func authority(host: String? = nil) -> String {
        let name = host ?? self.host
        let shown = name.contains(":") ? "[\(name)]" : name
        guard let port, port != (scheme == "https" ? 443 : 80) else { return shown }
        return "\(shown):\(port)"
    }

    /// `scheme://host[:port]`.
    public var description: String { "\(scheme)://\(authority())" }
}

/// Everything an `S3Client` needs: where, as whom, and how hard to try.
public struct S3Configuration: Sendable {
    /// The endpoint.
    public var endpoint: S3Endpoint
    /// The signing region.
    public var region: String
    /// The credentials.
    public var credentials: SigV4Credentials
    /// Path-style or virtual-hosted requests.
    public var addressing: S3Addressing
    /// A PEM file of CA certificates to trust instead of the system's, for private endpoints.
    public var caFile: String?
    /// Files larger than this are uploaded in parts.
    public var multipartThreshold: Int64 = 16 * 1024 * 1024
    /// The size of each part (S3's minimum is 5 MiB for all but the last part).
    public var partSize: Int = 8 * 1024 * 1024
    /// Attempts per request (the first try included) for 500, 503, SlowDown and dropped connections.
    public var maxAttempts: Int = 5
    /// The first backoff; each later one doubles, capped at `maxBackoff`, and is drawn at random below that (full jitter).
    public var firstBackoff: Duration = .milliseconds(100)
    /// The longest backoff.
    public var maxBackoff: Duration = .seconds(5)
    /// How long connecting may take.
    public var connectTimeout: Duration = .seconds(10)
    /// How long one request (one attempt, one part) may take from sending to the end of its response.
    public var requestTimeout: Duration = .seconds(300)

    /// Creates a configuration.
    public init(endpoint: S3Endpoint, region: String, credentials: SigV4Credentials, addressing: S3Addressing, caFile: String? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.addressing = addressing
        self.caFile = caFile
    }

    /// What a config file may say about the endpoint; each value is used only where the environment is silent.
    public struct FileSettings: Sendable, Hashable {
        /// `endpoint:`
        public var endpoint: String?
        /// `region:`
        public var region: String?
        /// `access_key_id:`
        public var accessKeyID: String?
        /// `secret_access_key_file:` — the secret is only ever read from a file.
        public var secretAccessKeyFile: String?
        /// `session_token_file:`
        public var sessionTokenFile: String?
        /// `addressing: path|virtual`
        public var addressing: S3Addressing?
        /// `ca_file:`
        public var caFile: String?

        /// Creates settings; all are optional.
        public init(endpoint: String? = nil, region: String? = nil, accessKeyID: String? = nil, secretAccessKeyFile: String? = nil,
                    sessionTokenFile: String? = nil, addressing: S3Addressing? = nil, caFile: String? = nil) {
            self.endpoint = endpoint
            self.region = region
            self.accessKeyID = accessKeyID
            self.secretAccessKeyFile = secretAccessKeyFile
            self.sessionTokenFile = sessionTokenFile
            self.addressing = addressing
            self.caFile = caFile
        }
    }

    /// Resolves a configuration the way AWS tools do: `AWS_ENDPOINT_URL`, `AWS_REGION` (else `AWS_DEFAULT_REGION`),
    /// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) and `AWS_CA_BUNDLE` win over `file`.
    /// Credentials come whole from one source: the environment when `AWS_ACCESS_KEY_ID` is set, else the file settings.
    /// Without an endpoint, AWS's regional endpoint with virtual-hosted addressing; with one, path-style unless
    /// `file.addressing` says otherwise. Reads the secret and token files.
    public static func resolve(environment: [String: String], file: FileSettings = FileSettings()) throws(S3ConfigurationError) -> S3Configuration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? file.region
        let endpointText = value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") ?? file.endpoint

        let credentials: SigV4Credentials
        if let id = value("AWS_ACCESS_KEY_ID") {
            guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
                throw S3ConfigurationError(problem: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use the config file's credentials")
            }
            credentials = SigV4Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        } else if let id = file.accessKeyID {
            guard let secretFile = file.secretAccessKeyFile else {
                throw S3ConfigurationError(problem: "access key id \(id) is configured without secret_access_key_file: name the file that holds its secret")
            }
            let secret = try readSecret(secretFile, what: "secret access key")
            let token = try file.sessionTokenFile.map { path throws(S3ConfigurationError) in try readSecret(path, what: "session token") }
            credentials = SigV4Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
        } else {
            throw S3ConfigurationError(problem: "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or access_key_id and secret_access_key_file in the config")
        }

        let endpoint: S3Endpoint
        let addressing: S3Addressing
        if let endpointText {
            endpoint = try S3Endpoint(parsing: endpointText)
            addressing = file.addressing ?? .path
        } else {
            guard let region else {
                throw S3ConfigurationError(problem: "no S3 region: set AWS_REGION (or AWS_ENDPOINT_URL for a private endpoint)")
            }
            endpoint = S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com")
            addressing = file.addressing ?? .virtualHosted
        }
        let caFile = value("AWS_CA_BUNDLE") ?? file.caFile
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw S3ConfigurationError(problem: "CA file \(caFile) does not exist or cannot be read")
        }
        return S3Configuration(endpoint: endpoint, region: region ?? "us-east-1", credentials: credentials, addressing: addressing, caFile: caFile)
    }

    /// The one line of a secret file, trimmed of its line break.
    static func readSecret(_ path: String, what: String) throws(S3ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw S3ConfigurationError(problem: "\(what) file \(path) does not exist or cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw S3ConfigurationError(problem: "\(what) file \(path) is not UTF-8 text")
        }
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        guard lines.count == 1 else {
            throw S3ConfigurationError(problem: lines.isEmpty ? "\(what) file \(path) is empty" : "\(what) file \(path) holds more than one line")
        }
        return lines[0].trimmingCharacters(in: .whitespaces)
    }
}

/// An S3 configuration that cannot be used; never names a secret.
public struct S3ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The sentence.
    public var problem: String
    /// The sentence.
    public var description: String { problem }
}
