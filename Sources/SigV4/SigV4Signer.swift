import CivilTime
import Crypto
import Foundation

/// AWS credentials for Signature Version 4. The secret never appears in `description`.
public struct SigV4Credentials: Sendable, Hashable, CustomStringConvertible {
    /// The access key id (`AKIA…`, `ASIA…` for temporary credentials); safe to show in messages.
    public var accessKeyID: String
    /// The secret access key; only ever used as HMAC key material.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `x-amz-security-token` and signed.
    public var sessionToken: String?

    /// Creates credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// `access key ID` — the secret and the token are left out.
    public var description: String { "access key \(accessKeyID)" }
}

/// One query parameter, decoded (the signer encodes it).
public struct SigV4QueryItem: Sendable, Hashable {
    /// The decoded name.
    public var name: String
    /// The decoded value; `""` for a bare name such as `?uploads`.
    public var value: String

    /// Creates a parameter.
    public init(_ name: String, _ value: String = "") {
        self.name = name
        self.value = value
    }
}

/// A request to sign: method, decoded path and query, and the headers that will be sent and signed.
public struct SigV4Request: Sendable {
    /// `GET`, `PUT`, …
    public var method: String
    /// The decoded path, starting with `/` (for S3 `/KEY` or `/BUCKET/KEY`); encoded once by the signer and never
    /// normalized (S3 keys may hold `//`, `.` and `..`).
    public var path: String
    /// The query parameters, decoded, in any order.
    public var query: [SigV4QueryItem]
    /// Headers to send, all of them signed; must include `host`. Names are case-insensitive, repeats are joined.
    public var headers: [(name: String, value: String)]

    /// Creates a request.
    public init(method: String, path: String, query: [SigV4QueryItem] = [], headers: [(name: String, value: String)]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }
}

/// What the `x-amz-content-sha256` of a request says about its body.
public enum SigV4Payload: Sendable, Hashable {
    /// The lowercase hex SHA-256 of the body, which is then signed.
    case sha256(String)
    /// `UNSIGNED-PAYLOAD`: for a body that is streamed and not hashed before it is sent (S3 only).
    case unsigned

    /// The SHA-256 of the empty body.
    public static let empty = SigV4Payload.sha256(SigV4.emptySHA256)

    /// The payload of `bytes`, hashed.
    public static func hashing<Bytes: Sequence>(_ bytes: Bytes) -> SigV4Payload where Bytes.Element == UInt8 {
        .sha256(SigV4.hex(SHA256.hash(data: Array(bytes))))
    }

    /// The value of `x-amz-content-sha256` and the last line of the canonical request.
    public var headerValue: String {
        switch self {
        case .sha256(let hex): hex
        case .unsigned: "UNSIGNED-PAYLOAD"
        }
    }
}

/// A signed request: every header to send, and the intermediate strings (for tests and diagnostics).
public struct SigV4Signature: Sendable {
    /// The request's headers plus `x-amz-date`, `x-amz-content-sha256` (when asked for), `x-amz-security-token`
    /// (with a session token) and `authorization`.
    public var headers: [(name: String, value: String)]
    /// The `Authorization` header value.
    public var authorization: String
    /// The path as sent and signed: encoded once, slashes kept.
    public var encodedPath: String
    /// The query as sent and signed: encoded, sorted, `&`-joined (empty without parameters).
    public var encodedQuery: String
    /// The canonical request of step 1.
    public var canonicalRequest: String
    /// The string to sign of step 2.
    public var stringToSign: String
    /// The lowercase hex signature.
    public var signature: String
    /// `host;x-amz-date;…`
    public var signedHeaders: String
}

/// Signs requests with AWS Signature Version 4 (header form), using S3's rules for the path: encoded once and
/// never normalized.
public struct SigV4Signer: Sendable {
    /// The credentials that sign.
    public var credentials: SigV4Credentials
    /// The region of the scope, e.g. `us-east-1`.
    public var region: String
    /// The service of the scope: `s3`.
    public var service: String

    /// Creates a signer for `service` (S3 by default) in `region`.
    public init(credentials: SigV4Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` at `date`. With `contentSHA256Header` (S3 requires it) the payload's
    /// `x-amz-content-sha256` header is added and signed; the generic test suite signs without it.
    public func sign(_ request: SigV4Request, payload: SigV4Payload, at date: Date, contentSHA256Header: Bool = true) -> SigV4Signature {
        let (amzDate, dateStamp) = SigV4.timestamps(date)
        var headers = request.headers.filter {
            let n = $0.name.lowercased()
            return n != "x-amz-date" && n != "authorization" && (!contentSHA256Header || n != "x-amz-content-sha256")
                && (credentials.sessionToken == nil || n != "x-amz-security-token")
        }
        headers.append((name: "x-amz-date", value: amzDate))
        if contentSHA256Header { headers.append((name: "x-amz-content-sha256", value: payload.headerValue)) }
        if let token = credentials.sessionToken { headers.append((name: "x-amz-security-token", value: token)) }

        let encodedPath = SigV4.canonicalPath(request.path)
        let encodedQuery = SigV4.canonicalQuery(request.query)
        let (canonicalHeaders, signedHeaders) = SigV4.canonicalHeaders(headers)
        let canonicalRequest = [
            request.method.uppercased(), encodedPath, encodedQuery, canonicalHeaders, signedHeaders, payload.headerValue,
        ].joined(separator: "\n")
        let scope = "\(dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, SigV4.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let key = SigV4.signingKey(secret: credentials.secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        let signature = SigV4.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        headers.append((name: "authorization", value: authorization))
        return SigV4Signature(
            headers: headers, authorization: authorization, encodedPath: encodedPath, encodedQuery: encodedQuery,
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, signedHeaders: signedHeaders)
    }
}

/// The pieces of Signature Version 4, each pure.
public enum SigV4 {
    /// The SHA-256 of the empty string, in hex.
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Percent-encodes every byte of `text`'s UTF-8 except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`),
    /// with uppercase hex; `/` is kept when `encodeSlash` is false (paths) and encoded otherwise (query parts).
    public static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            default:
                out.append("%")
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return out
    }

    /// The canonical URI: `path` encoded once with slashes kept; `/` for an empty path. No normalization (S3).
    public static func canonicalPath(_ path: String) -> String {
        path.isEmpty ? "/" : uriEncode(path, encodeSlash: false)
    }

    /// The canonical query string: names and values encoded, sorted by name then value, `&`-joined.
    public static func canonicalQuery(_ items: [SigV4QueryItem]) -> String {
        items.map { (uriEncode($0.name, encodeSlash: true), uriEncode($0.value, encodeSlash: true)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The canonical headers block (each `name:value\n`, names lowercased and sorted, values trimmed with inner
    /// whitespace runs collapsed, repeated names joined with `,` in order) and the signed-headers list.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers { values[name.lowercased(), default: []].append(collapse(value)) }
        let names = values.keys.sorted()
        let block = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    public static func signingKey(secret: String, dateStamp: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` and `YYYYMMDD` of `date` in UTC.
    public static func timestamps(_ date: Date) -> (amzDate: String, dateStamp: String) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = CivilCalendar.civil(days: days)
        func two<N: BinaryInteger>(_ v: N) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let stamp = "\(y)\(two(m))\(two(d))"
        return ("\(stamp)T\(two(secondOfDay / 3600))\(two(secondOfDay / 60 % 60))\(two(secondOfDay % 60))Z", stamp)
    }

    /// Lowercase hex of a digest or MAC.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = ""
        for b in bytes {
            out.append(lowerHexDigits[Int(b >> 4)])
            out.append(lowerHexDigits[Int(b & 0x0f)])
        }
        return out
    }

    /// Trims and collapses every run of spaces, tabs and line breaks into one space.
    static func collapse(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    private static let hexDigits: [Character] = Array("0123456789ABCDEF")
    private static let lowerHexDigits: [Character] = Array("0123456789abcdef")
}

