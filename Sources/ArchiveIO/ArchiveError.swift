/// A libarchive failure: what we were doing, on which file, and libarchive's own message.
public struct ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Operation: String, Sendable, Hashable {
        case create = "create the archive"
        case open = "open the archive"
        case writeHeader = "write a member header"
        case writeData = "write member data"
        case close = "finish the archive"
        case readHeader = "read a member header"
        case readData = "read member data"
        case readSource = "read the input file"
    }

    public var operation: Operation
    /// The archive file (or input file for `.readSource`).
    public var path: String
    /// The archive member involved, if any.
    public var member: String?
    /// libarchive's (or the OS's) message.
    public var message: String

    public init(operation: Operation, path: String, member: String? = nil, message: String) {
        self.operation = operation
        self.path = path
        self.member = member
        self.message = message
    }

    public var description: String { "\(path): \(problem)" }

    /// The failure without the path, for messages that already name the archive.
    public var problem: String {
        var s = "cannot \(operation.rawValue)"
        if let member { s += " for member \"\(member)\"" }
        return s + ": \(message)"
    }
}
