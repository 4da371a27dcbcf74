/// Why a cron expression was rejected: where (field and 1-based character position in the
/// expression text) and what was expected there.
public struct CronParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The expression text as given.
    public let expression: String
    /// The field the problem is in, or nil when it concerns the whole expression.
    public let field: CronExpression.Field?
    /// 1-based character position in `expression` where the problem starts, or nil.
    public let position: Int?
    /// What was expected at that position, or why the expression is unusable.
    public let expected: String
    /// What was found instead (the offending text), if anything.
    public let found: String?

    /// Creates an error; `position` is 1-based.
    public init(expression: String, field: CronExpression.Field?, position: Int?, expected: String, found: String? = nil) {
        self.expression = expression
        self.field = field
        self.position = position
        self.expected = expected
        self.found = found
    }

    /// One sentence, e.g. `cron expression "0 0 32 * *": day-of-month field at character 5:
    /// expected a day of month 1-31, found "32"`.
    public var description: String {
        var where_: [String] = []
        if let field { where_.append("\(field.rawValue) field") }
        if let position { where_.append("at character \(position)") }
        let location = where_.isEmpty ? "" : " " + where_.joined(separator: " ") + ":"
        let foundText = found.map { $0.isEmpty ? ", found nothing" : ", found \"\($0)\"" } ?? ""
        return "cron expression \"\(expression)\":\(location) \(expected)\(foundText)"
    }
}
