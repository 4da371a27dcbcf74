/// One problem in a config file, at a line and column.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name as given to the loader.
    public var file: String
    /// 1-based line, or 0 when the problem concerns the whole file.
    public var line: Int
    /// 1-based column, or 0 when the problem concerns the whole file.
    public var column: Int
    /// What is wrong, one sentence without the location.
    public var message: String
    /// The error underneath (the file system's, the YAML parser's) that `message` quotes; not part of equality.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(file: String, line: Int, column: Int, message: String, underlying: (any Error)? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.underlying = underlying
    }

    /// Equal when file, position and message are: two reports of one problem are one problem.
    public static func == (a: ConfigError, b: ConfigError) -> Bool {
        (a.file, a.line, a.column, a.message) == (b.file, b.line, b.column, b.message)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(line)
        hasher.combine(column)
        hasher.combine(message)
    }

    /// `file:line:column: message` (or `file: message` without a position).
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// Every problem found in a config file, in file order.
public struct ConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, sorted by line then column.
    public var errors: [ConfigError]

    /// Creates the list, sorted by position.
    public init(_ errors: [ConfigError]) {
        self.errors = errors.sorted { ($0.line, $0.column, $0.message) < ($1.line, $1.column, $1.message) }
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
