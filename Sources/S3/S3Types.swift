import Foundation

/// One object as a listing or a HEAD describes it.
public struct S3ObjectInfo: Sendable, Hashable {
    /// The full key.
    public var key: String
    /// The size in bytes.
    public var size: Int64
    /// The ETag as S3 sends it, quotes included (pass it back unchanged to `If-Match`).
    public var etag: String
    /// `Last-Modified` as S3 sends it (ISO 8601 in listings, HTTP date in HEAD).
    public var lastModified: String?
}

/// One page of ListObjectsV2.
public struct S3ListPage: Sendable, Hashable {
    /// The objects of this page, in key order.
    public var objects: [S3ObjectInfo]
    /// With a delimiter: the "directories" one level down.
    public var commonPrefixes: [String]
    /// Pass to the next call for the next page; nil on the last page.
    public var nextContinuationToken: String?
}

/// A precondition on a write, for the catalog's and the leases' consistency.
public enum S3WriteCondition: Sendable, Hashable {
    /// Write whatever is there.
    case none
    /// `If-None-Match: *`: write only if no object has the key.
    case ifNoneMatch
    /// `If-Match: ETAG`: write only if the object still has this ETag.
    case ifMatch(String)
}

/// What a conditional write did.
public enum S3WriteResult: Sendable, Hashable {
    /// Written; the new object's ETag.
    case written(etag: String)
    /// 412: the condition did not hold and nothing was written.
    case preconditionFailed

    /// The ETag when written.
    public var etag: String? {
        if case .written(let etag) = self { return etag }
        return nil
    }
}

/// A byte range of an object: `first...last`, or from `first` to the end.
public struct S3ByteRange: Sendable, Hashable, CustomStringConvertible {
    /// The first byte's offset.
    public var first: Int64
    /// The last byte's offset (inclusive), nil for the end of the object.
    public var last: Int64?

    /// Bytes `first...last`.
    public init(_ range: ClosedRange<Int64>) {
        first = range.lowerBound
        last = range.upperBound
    }

    /// Bytes from `first` to the end.
    public init(from first: Int64) {
        self.first = first
        last = nil
    }

    /// The `Range` header value, `bytes=F-L` or `bytes=F-`.
    public var description: String { "bytes=\(first)-\(last.map(String.init) ?? "")" }
}

/// An object's bytes read whole (for small objects: the catalog, pins, leases, manifests).
public struct S3ObjectData: Sendable, Hashable {
    /// The body.
    public var bytes: [UInt8]
    /// The ETag.
    public var etag: String
    /// For a ranged read, the object's full size from `Content-Range`; else the body's size.
    public var totalSize: Int64
    /// The endpoint's clock when it answered (its `Date` header), when it sent one.
    public var serverDate: Date? = nil
}
