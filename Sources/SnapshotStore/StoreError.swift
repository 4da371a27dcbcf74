import GBSnapCore

/// Why a store operation failed, naming the input (selector, file, target) and the problem.
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

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func io(_ error: any Error, doing what: String) -> StoreError {
        StoreError(.io, "cannot \(what): \(error)")
    }
}
