/// Where a store lives in a bucket: `s3://BUCKET[/PREFIX]`. The prefix never starts or ends with `/`.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// The bucket name.
    public var bucket: String
    /// The key prefix under which the store's keys live, without leading or trailing `/`; `""` for the bucket's root.
    public var prefix: String

    /// Creates a location from parts that are already valid.
    public init(bucket: String, prefix: String = "") {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// Parses `s3://BUCKET[/PREFIX]`; a trailing `/` is dropped. Bucket names follow S3's rules: 3-63 lowercase
    /// letters, digits, `.` and `-`, starting and ending with a letter or digit.
    public init(parsing text: String) throws(S3LocationError) {
        func fail(_ problem: String) -> S3LocationError { S3LocationError(input: text, problem: problem) }
        guard text.hasPrefix("s3://") else {
            throw fail("does not start with s3:// (write s3://BUCKET or s3://BUCKET/PREFIX)")
        }
        let rest = text.dropFirst(5)
        let slash = rest.firstIndex(of: "/")
        let bucket = String(slash.map { rest[..<$0] } ?? rest)
        var prefix = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if bucket.isEmpty { throw fail("has no bucket name after s3://") }
        if let problem = Self.bucketNameProblem(bucket) { throw fail("has bucket name \"\(bucket)\", which \(problem)") }
        if prefix.hasPrefix("/") || prefix.contains("//") {
            throw fail("has an empty segment in prefix \"\(prefix)\" (two slashes in a row)")
        }
        if let bad = prefix.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw fail("has a control character (U+\(String(bad.value, radix: 16, uppercase: true))) in its prefix")
        }
        self.bucket = bucket
        self.prefix = prefix
    }

    /// The full key of `relativeKey` (a store key such as `snapshots/…`) under the prefix.
    public func key(_ relativeKey: String) -> String {
        prefix.isEmpty ? relativeKey : "\(prefix)/\(relativeKey)"
    }

    /// The store key of a full `key`, or nil when it is not under the prefix.
    public func relativeKey(_ key: String) -> String? {
        if prefix.isEmpty { return key }
        guard key.hasPrefix(prefix + "/") else { return nil }
        return String(key.dropFirst(prefix.count + 1))
    }

    /// `s3://BUCKET[/PREFIX]`.
    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    /// Why `name` is not a valid bucket name, as the end of a sentence, or nil.
    static func bucketNameProblem(_ name: String) -> String? {
        if name.count < 3 || name.count > 63 { return "must be 3 to 63 characters long" }
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
        if !allowed { return "may hold only lowercase letters, digits, '.' and '-'" }
        let ends = [name.unicodeScalars.first!, name.unicodeScalars.last!]
        if ends.contains(where: { $0 == "." || $0 == "-" }) { return "must start and end with a letter or digit" }
        if name.contains("..") { return "must not hold two dots in a row" }
        return nil
    }
}

/// An `s3://` location that does not parse.
public struct S3LocationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public var input: String
    /// What is wrong, as the end of a sentence.
    public var problem: String

    /// `store "s3://…" problem`.
    public var description: String { "store \"\(input)\" \(problem)" }
}
