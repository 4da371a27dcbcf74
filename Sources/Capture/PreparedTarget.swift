import Foundation
import GBSnapCore
import NIOSSL

/// A capture request that cannot be attempted: found before any request is sent.
public struct CaptureConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// The base URL does not parse, is not http(s), has no host, a bad port, a query or a fragment.
        case invalidURL = "invalid-url"
        /// A bearer token or password file does not exist.
        case credentialsFileMissing = "credentials-file-missing"
        /// A credentials file cannot be read, is not UTF-8, or holds more than one line.
        case credentialsFileUnreadable = "credentials-file-unreadable"
        /// A credentials file is empty.
        case credentialsFileEmpty = "credentials-file-empty"
        /// More than one source of credentials (token, basic auth, URL, Authorization header).
        case conflictingCredentials = "conflicting-credentials"
        /// Basic auth without user or password file; client certificate without key or the reverse.
        case incompleteCredentials = "incomplete-credentials"
        /// A TLS CA, certificate or key file does not exist or cannot be read.
        case tlsFileMissing = "tls-file-missing"
        /// A TLS file is not PEM of the expected kind.
        case tlsFileInvalid = "tls-file-invalid"
        /// A configured header has an invalid name or a line break in its value.
        case invalidHeader = "invalid-header"
        /// A path, limit, timeout or capture parameter is out of range.
        case invalidParameter = "invalid-parameter"
        /// Custom endpoints are missing, clash, or have unsafe names or malformed paths.
        case invalidCustomEndpoint = "invalid-custom-endpoint"
        /// The temporary directory cannot be created.
        case temporaryDirectory = "temporary-directory"
    }

    /// The class of problem.
    public var reason: Reason
    /// Name of the target the request was for.
    public var target: String
    /// What is wrong, naming the offending value (never a credential).
    public var problem: String

    /// Creates an error.
    public init(reason: Reason, target: String, problem: String) {
        self.reason = reason
        self.target = target
        self.problem = problem
    }

    /// `target "NAME": problem`.
    public var description: String { "target \"\(target)\": \(problem)" }
}

/// A validated request: credentials loaded, URL split, TLS built. Never logged or stored.
struct PreparedTarget: Sendable {
    var name: String
    /// `scheme://host[:port]`, without credentials or path.
    var origin: String
    /// Path part of the base URL (`""` or `/something`), prepended to every endpoint.
    var basePath: String
    /// Redacted base URL, the only form of the URL that appears in messages.
    var redacted: String
    /// Key that identifies the Go process (`scheme://host:port`) for the per-target gate.
    var gateKey: String
    var headers: [(String, String)]
    var tls: TLSConfiguration?
    /// The TLS client certificate file sent to an https target, named when the server refuses it.
    var clientCertificateFile: String?
    var connectTimeout: Duration
    var totalTimeout: Duration
    var maxBytes: Int64
    var pprofPrefix: String
    var varsPath: String
}

extension PreparedTarget {
    /// Validates `request` and loads everything it needs from disk. Reads credential files.
    static func prepare(_ request: CaptureRequest) throws(CaptureConfigurationError) -> PreparedTarget {
        let target = request.target
        let name = target.name
        func fail(_ reason: CaptureConfigurationError.Reason, _ problem: String) -> CaptureConfigurationError {
            CaptureConfigurationError(reason: reason, target: name, problem: problem)
        }
        let redacted = target.redactedBaseURL

        // URL.
        if !target.baseURL.contains("://"), !target.baseURL.contains(where: \.isWhitespace) {
            let bare = redacted.hasPrefix("//") ? String(redacted.dropFirst(2)) : redacted
            throw fail(.invalidURL, "base URL \"\(redacted)\" has no scheme: add http:// (http://\(bare)) or https://")
        }
        guard var components = URLComponents(string: target.baseURL) else {
            throw fail(.invalidURL, "base URL \"\(redacted)\" is not a valid URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw fail(.invalidURL, "base URL \"\(redacted)\" must start with http:// or https://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw fail(.invalidURL, "base URL \"\(redacted)\" has no host")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw fail(.invalidURL, "base URL \"\(redacted)\" has port \(port) outside 1-65535")
        }
        if components.query != nil || components.fragment != nil {
            throw fail(.invalidURL, "base URL \"\(redacted)\" must not have a query or fragment")
        }
        let urlUser = components.user
        let urlPassword = components.password
        components.user = nil
        components.password = nil
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        components.percentEncodedPath = ""
        guard let origin = components.string, !origin.isEmpty else {
            throw fail(.invalidURL, "base URL \"\(redacted)\" is not a valid URL")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let gateKey = "\(scheme)://\(host.lowercased()):\(port)"

        // Paths.
        let pprofPrefix = try normalizedPath(target.pprofPrefix, what: "pprof prefix", fail: fail)
        if !pprofPrefix.isEmpty, basePath.hasSuffix(pprofPrefix) {
            let base = String(redacted.prefix { $0 != "?" }).replacingOccurrences(of: "/+$", with: "", options: .regularExpression)
            throw fail(.invalidURL, "base URL \"\(redacted)\" ends with the pprof prefix \(pprofPrefix), which gbsnap adds to the base URL itself: give the URL without it (\(base.dropLast(pprofPrefix.count)))")
        }
        let varsPath = try normalizedPath(target.varsPath, what: "vars path", fail: fail)
        if varsPath.isEmpty { throw fail(.invalidParameter, "vars path must not be empty") }

        // Limits.
        guard target.maxArtifactBytes > 0 else {
            throw fail(.invalidParameter, "max artifact bytes must be positive, not \(target.maxArtifactBytes)")
        }
        guard target.timeouts.connect > .zero else {
            throw fail(.invalidParameter, "connect timeout must be positive, not \(target.timeouts.connect)")
        }
        guard target.timeouts.total > .zero else {
            throw fail(.invalidParameter, "total timeout must be positive, not \(target.timeouts.total)")
        }
        try validateParameters(request, fail: fail)

        // Headers and credentials.
        var headers: [(String, String)] = [("User-Agent", "gbsnap"), ("Accept", "*/*")]
        for (key, value) in target.headers.sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, key.allSatisfy(isHeaderNameCharacter) else {
                throw fail(.invalidHeader, "header name \"\(key)\" is not a valid HTTP header name")
            }
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw fail(.invalidHeader, "header \"\(key)\" has a line break in its value")
            }
            headers.append((key, value))
        }
        let hasExplicitAuthorization = target.headers.keys.contains { $0.lowercased() == "authorization" }
        var authorization: String?
        let auth = target.auth
        let wantsBearer = auth?.bearerTokenFile != nil
        let wantsBasic = auth?.basicUsername != nil || auth?.basicPasswordFile != nil
        let urlHasCredentials = urlUser != nil || urlPassword != nil
        let sources = [wantsBearer, wantsBasic, urlHasCredentials, hasExplicitAuthorization].filter { $0 }.count
        if sources > 1 {
            throw fail(.conflictingCredentials, "more than one of bearer token file, basic auth, credentials in the URL and an Authorization header is configured")
        }
        if let file = auth?.bearerTokenFile {
            let token = try readSecret(file, what: "bearer token file", fail: fail)
            guard !token.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw fail(.credentialsFileUnreadable, "bearer token file \"\(file)\" holds more than one line")
            }
            authorization = "Bearer \(token)"
        } else if wantsBasic {
            guard let user = auth?.basicUsername, !user.isEmpty else {
                throw fail(.incompleteCredentials, "basic auth needs a username as well as a password file")
            }
            guard let file = auth?.basicPasswordFile else {
                throw fail(.incompleteCredentials, "basic auth for user \"\(user)\" needs a password file")
            }
            let password = try readSecret(file, what: "basic-auth password file", fail: fail)
            authorization = basicAuthorization(user: user, password: password)
        } else if urlHasCredentials {
            authorization = basicAuthorization(user: urlUser ?? "", password: urlPassword ?? "")
        }
        if let authorization { headers.append(("Authorization", authorization)) }

        // TLS.
        var tls: TLSConfiguration?
        if scheme == "https" {
            tls = try makeTLS(target.tls, fail: fail)
        }

        return PreparedTarget(
            name: name,
            origin: origin,
            basePath: basePath,
            redacted: redacted,
            gateKey: gateKey,
            headers: headers,
            tls: tls,
            clientCertificateFile: tls == nil ? nil : target.tls?.certFile,
            connectTimeout: target.timeouts.connect,
            totalTimeout: target.timeouts.total,
            maxBytes: target.maxArtifactBytes,
            pprofPrefix: pprofPrefix,
            varsPath: varsPath
        )
    }

    private static func normalizedPath(
        _ raw: String, what: String, fail: (CaptureConfigurationError.Reason, String) -> CaptureConfigurationError
    ) throws(CaptureConfigurationError) -> String {
        var path = raw.trimmingCharacters(in: .whitespaces)
        while path.hasSuffix("/") { path.removeLast() }
        if path.isEmpty { return "" }
        guard path.hasPrefix("/") else { throw fail(.invalidParameter, "\(what) \"\(raw)\" must start with /") }
        guard !path.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || $0.isNewline }) else {
            throw fail(.invalidParameter, "\(what) \"\(raw)\" must be a plain path without query, fragment or spaces")
        }
        return path
    }

    private static func validateParameters(
        _ request: CaptureRequest, fail: (CaptureConfigurationError.Reason, String) -> CaptureConfigurationError
    ) throws(CaptureConfigurationError) {
        let p = request.parameters
        if request.kinds.contains(.cpu), p.cpuSeconds < 1 {
            throw fail(.invalidParameter, "cpu seconds must be at least 1, not \(p.cpuSeconds)")
        }
        if request.kinds.contains(.trace), p.traceSeconds < 1 {
            throw fail(.invalidParameter, "trace seconds must be at least 1, not \(p.traceSeconds)")
        }
        if request.kinds.contains(.stacks), p.stacksGoroutineLimit < 0 {
            throw fail(.invalidParameter, "stacks goroutine limit must not be negative, not \(p.stacksGoroutineLimit)")
        }
        guard request.kinds.contains(.custom) else { return }
        if p.customEndpoints.isEmpty {
            throw fail(.invalidCustomEndpoint, "kind custom was requested but no custom endpoints are configured")
        }
        var names = Set<String>()
        for endpoint in p.customEndpoints {
            let n = endpoint.name
            guard !n.isEmpty, n != ".", n != "..", !n.contains("/"), !n.contains("\\"), !n.contains("\0"),
                  !n.contains(where: { $0.isNewline })
            else {
                throw fail(.invalidCustomEndpoint, "custom endpoint name \"\(n)\" is not a safe file name")
            }
            if n == "manifest.json" || CaptureKind.allCases.contains(where: { $0 != .custom && $0.defaultMemberName == n }) {
                throw fail(.invalidCustomEndpoint, "custom endpoint name \"\(n)\" clashes with a built-in artifact name")
            }
            guard names.insert(n).inserted else {
                throw fail(.invalidCustomEndpoint, "custom endpoint name \"\(n)\" is used twice")
            }
            guard endpoint.path.hasPrefix("/"), !endpoint.path.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || $0.isNewline }) else {
                throw fail(.invalidCustomEndpoint, "custom endpoint \"\(n)\" path \"\(endpoint.path)\" must start with / and hold no query, fragment or spaces")
            }
            guard !endpoint.query.hasPrefix("?"), !endpoint.query.contains(where: { $0 == "#" || $0 == " " || $0.isNewline }) else {
                throw fail(.invalidCustomEndpoint, "custom endpoint \"\(n)\" query \"\(endpoint.query)\" must be given without ? and without spaces or #")
            }
            guard endpoint.extraSeconds >= 0 else {
                throw fail(.invalidCustomEndpoint, "custom endpoint \"\(n)\" extra seconds must not be negative")
            }
        }
    }

    /// Reads a one-line secret; trailing whitespace (the usual newline) is ignored.
    private static func readSecret(
        _ path: String, what: String, fail: (CaptureConfigurationError.Reason, String) -> CaptureConfigurationError
    ) throws(CaptureConfigurationError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw fail(.credentialsFileMissing, "\(what) \"\(path)\" does not exist")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw fail(.credentialsFileUnreadable, "\(what) \"\(path)\" cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail(.credentialsFileUnreadable, "\(what) \"\(path)\" is not UTF-8 text")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw fail(.credentialsFileEmpty, "\(what) \"\(path)\" is empty") }
        return secret
    }

    private static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    private static func isHeaderNameCharacter(_ c: Character) -> Bool {
        guard c.isASCII, let ascii = c.asciiValue else { return false }
        if c.isLetter || c.isNumber { return true }
        return "!#$%&'*+-.^_`|~".utf8.contains(ascii)
    }

    private static func makeTLS(
        _ spec: TargetSpec.TLS?, fail: (CaptureConfigurationError.Reason, String) -> CaptureConfigurationError
    ) throws(CaptureConfigurationError) -> TLSConfiguration {
        var config = TLSConfiguration.makeClientConfiguration()
        guard let spec else { return config }
        func checkExists(_ path: String, _ what: String) throws(CaptureConfigurationError) {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fail(.tlsFileMissing, "\(what) \"\(path)\" does not exist or cannot be read")
            }
        }
        if let ca = spec.caFile {
            try checkExists(ca, "TLS CA file")
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(ca)
                guard !certificates.isEmpty else {
                    throw fail(.tlsFileInvalid, "TLS CA file \"\(ca)\" holds no PEM certificate")
                }
                config.trustRoots = .certificates(certificates)
            } catch let error as CaptureConfigurationError {
                throw error
            } catch {
                throw fail(.tlsFileInvalid, "TLS CA file \"\(ca)\" is not a PEM certificate file")
            }
        }
        switch (spec.certFile, spec.keyFile) {
        case (nil, nil):
            break
        case (let cert?, let key?):
            try checkExists(cert, "TLS client certificate file")
            try checkExists(key, "TLS client key file")
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(cert)
                guard !chain.isEmpty else {
                    throw fail(.tlsFileInvalid, "TLS client certificate file \"\(cert)\" holds no PEM certificate")
                }
                config.certificateChain = chain.map { .certificate($0) }
            } catch let error as CaptureConfigurationError {
                throw error
            } catch {
                throw fail(.tlsFileInvalid, "TLS client certificate file \"\(cert)\" is not a PEM certificate file")
            }
            do {
                config.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw fail(.tlsFileInvalid, "TLS client key file \"\(key)\" is not a PEM private key")
            }
            // BoringSSL checks that the key belongs to the leaf certificate when a context loads
            // both; without this check a mismatch would only surface at the first request.
            var pair = TLSConfiguration.makeClientConfiguration()
            pair.trustRoots = .certificates([])
            pair.certificateChain = config.certificateChain
            pair.privateKey = config.privateKey
            do {
                _ = try NIOSSLContext(configuration: pair)
            } catch {
                throw fail(.tlsFileInvalid, "TLS client key file \"\(key)\" is not the private key of the certificate in \"\(cert)\"")
            }
        case (_?, nil):
            throw fail(.incompleteCredentials, "a TLS client certificate needs a key file too")
        case (nil, _?):
            throw fail(.incompleteCredentials, "a TLS client key needs a certificate file too")
        }
        if spec.insecureSkipVerify {
            config.certificateVerification = .none
        }
        return config
    }
}
