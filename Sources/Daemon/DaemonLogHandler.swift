import Foundation
import Logging

/// The daemon's log output: one line per event on stderr. Under systemd (`$JOURNAL_STREAM` set)
/// each line starts with a `<N>` syslog priority so journald records the level; otherwise with an
/// ISO 8601 UTC time and the level. `user:password@` in any URL is redacted.
public struct DaemonLogHandler: LogHandler {
    /// The logger's label (not printed; events name what they are about).
    public let label: String
    /// Metadata attached to every event of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Lowest level printed.
    public var logLevel: Logger.Level = .info
    let journal: Bool

    /// A handler for `label`; `journal` defaults to whether `$JOURNAL_STREAM` is set.
    public init(label: String, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"].map { !$0.isEmpty } ?? false) {
        self.label = label
        self.journal = journal
    }

    /// Metadata for one key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line for the event.
    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line = Self.format(level: event.level, message: "\(event.message)", metadata: all, journal: journal, now: Date())
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The line written for one event (without the newline).
    static func format(level: Logger.Level, message: String, metadata: Logger.Metadata, journal: Bool, now: Date) -> String {
        let fields = metadata.keys.sorted().map { key -> String in
            let value = "\(metadata[key].map { "\($0)" } ?? "")"
            let quoted = value.contains(" ") || value.contains("\"") || value.isEmpty
            return "\(key)=\(quoted ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value)"
        }
        let body = ([message] + fields).joined(separator: " ")
        let safe = redactCredentials(body.replacingOccurrences(of: "\n", with: " "))
        if journal { return "<\(priority(level))>\(safe)" }
        return "\(timestamp(now)) \(level.rawValue) \(safe)"
    }

    /// syslog priority of a swift-log level (sd-daemon(3) prefixes).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Replaces `scheme://user:password@` with `scheme://<redacted>@` anywhere in `text`.
    static func redactCredentials(_ text: String) -> String {
        guard text.contains("@") else { return text }
        return text.replacingOccurrences(of: "://[^/@\\s\"]+@", with: "://<redacted>@", options: .regularExpression)
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
