import ArchiveIO
import GBSnapCore

/// Why a store operation failed, naming the input (selector, file, target) and the problem.
///
/// `message` is the sentence users read; ``input`` is the same input as data, and ``underlying`` the error of the
/// layer below (a system call, libarchive, the JSON decoder) that the message only quotes.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case invalidTargetName
        case unknownSelector
        case ambiguousSelector
        case missingArchive
        case corruptArchive
        case corruptCatalog
        case unsafeArchiveMember
        case storeLocked
        case io
        case invalidInput
    }

    /// What the error is about, as the caller gave it.
    public enum Input: Sendable, Hashable, CustomStringConvertible {
        /// A snapshot selector (`order-api@latest`, an id prefix, ...).
        case selector(String)
        /// A file or folder: an archive, a catalog shard, the store root, an export folder.
        case path(String)
        /// A target name.
        case target(String)
        /// A snapshot id.
        case snapshot(String)

        public var description: String {
            switch self {
            case .selector(let s), .path(let s), .target(let s), .snapshot(let s): s
            }
        }
    }

    public var code: Code
    public var message: String
    /// The selector, path, target or snapshot the error is about, when there is one.
    public var input: Input?
    /// The error underneath, kept rather than flattened into ``message``.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, input: Input? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.input = input
        self.underlying = underlying
    }

    public var description: String { message }

    static func io(_ error: any Error, doing what: String, input: Input? = nil) -> StoreError {
        StoreError(.io, "cannot \(what): \(error)", input: input, underlying: error)
    }
}

extension StoreError {
    /// What went wrong reading the archive at `path`, for "archive PATH is damaged: …": an ``ArchiveError``
    /// without its own copy of the path.
    static func damage(_ error: any Error, in path: String) -> String {
        if let e = error as? ArchiveError, e.path == path { return e.problem }
        return "\(error)"
    }
}
