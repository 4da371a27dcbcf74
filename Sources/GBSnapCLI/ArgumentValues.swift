import ArgumentParser
import Diff
import Foundation
import Scheduling
import GBSnapCore
import Units

// Typed option values. Each parses its text once, inside the argument parser, so a bad value is a usage error
// (exit 2) before `validate()` and `run()`, and both see the parsed value. Options declare them with
// `transform: T.parse` (a bare `init?(argument:)` could only say "is invalid"); the error report turns the
// parser's "The value ... is invalid for ..." into one sentence naming the option (`ArgumentValueError.render`).

/// An option value that parses itself and says why a text is not one.
protocol ArgumentValue: ExpressibleByArgument, Sendable {
    /// The value `text` stands for; the error says what is wrong with it.
    static func parse(_ text: String) throws(ArgumentValueError) -> Self
}

extension ArgumentValue {
    init?(argument: String) {
        guard let value = try? Self.parse(argument) else { return nil }
        self = value
    }
}

/// Why an option's text is not a value of its type. The option's name is added when it is reported.
struct ArgumentValueError: Error, CustomStringConvertible {
    enum Problem: Sendable {
        /// Said of the value: `is not a duration such as 30s` prints as `--timeout "1x" is not a duration such as 30s`.
        case invalid(String)
        /// A sentence after the option: `unknown kind "hepa"; ...` prints as `--kind: unknown kind "hepa"; ...`.
        case rejected(String)
        /// An error of the value's own module that already names the option (e.g. ``GateError``), printed as it is.
        case error(any Error)
    }

    /// The text as given.
    var value: String
    var problem: Problem

    /// The sentence for the option `option` (`--since`), or for a positional argument when nil.
    func render(option: String?) -> String {
        switch problem {
        case .invalid(let what): return option.map { "\($0) \"\(value)\" \(what)" } ?? "\"\(value)\" \(what)"
        case .rejected(let sentence): return option.map { "\($0): \(sentence)" } ?? sentence
        case .error(let error): return "\(error)"
        }
    }

    var description: String { render(option: nil) }

    /// Rewrites the first line of the argument parser's message for a value one of ``ArgumentValue``'s `parse`
    /// rejected (`The value 'V' is invalid for '--since <time>': D`) into ``render(option:)``; other messages are
    /// returned unchanged. `error` is what the parser threw; the value error is found inside it.
    static func rewrite(_ message: String, thrown error: any Error) -> String {
        guard let valueError = find(in: error, depth: 0) else { return message }
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let suffix = "': \(valueError.description)"
        guard let first = lines.first, first.hasSuffix(suffix),
              let marker = first.range(of: "' is invalid for '", options: .backwards)
        else { return message }
        // `--since <time>`, `-o <output>` or `<expression>` (a positional argument).
        let synopsis = first[marker.upperBound..<first.index(first.endIndex, offsetBy: -suffix.count)]
        let option = synopsis.hasPrefix("-") ? synopsis.split(separator: " ").first.map(String.init) : nil
        let lead = first.hasPrefix("Error: ") ? "Error: " : ""
        lines[0] = lead + valueError.render(option: option)
        return lines.joined(separator: "\n")
    }

    /// The value error inside the parser's error (it keeps it as the original error of a parse failure).
    private static func find(in value: Any, depth: Int) -> ArgumentValueError? {
        if let found = value as? ArgumentValueError { return found }
        guard depth < 6 else { return nil }
        for child in Mirror(reflecting: value).children {
            if let found = find(in: child.value, depth: depth + 1) { return found }
        }
        return nil
    }
}

/// A duration option such as `--grace-period 30s` or `--keep-within 7d` (docs/units.md).
/// `--shard I/N`: the slice of the targets one of N daemons captures.
struct ShardArgument: ArgumentValue, CustomStringConvertible {
    var shard: Shard

    static func parse(_ text: String) throws(ArgumentValueError) -> ShardArgument {
        switch Shard.parse(text) {
        case .success(let shard): return ShardArgument(shard: shard)
        case .failure(let error): throw ArgumentValueError(value: text, problem: .invalid(error.reason))
        }
    }

    var description: String { shard.description }
}

struct DurationArgument: ArgumentValue, CustomStringConvertible {
    var duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    static func parse(_ text: String) throws(ArgumentValueError) -> DurationArgument {
        guard let d = DurationParser.parse(text) else {
            throw ArgumentValueError(value: text, problem: .invalid("is not a duration such as 30s, 2m, 36h or 7d"))
        }
        return DurationArgument(d)
    }

    var description: String { DurationParser.format(duration) }
    var defaultValueDescription: String { description }
}

/// A duration option that must be more than zero, such as `--timeout 30s`.
struct PositiveDurationArgument: ArgumentValue {
    var duration: Duration

    static func parse(_ text: String) throws(ArgumentValueError) -> PositiveDurationArgument {
        guard let d = DurationParser.parse(text), d > .zero else {
            throw ArgumentValueError(value: text, problem: .invalid("is not a positive duration such as 30s"))
        }
        return PositiveDurationArgument(duration: d)
    }
}

/// A byte-size option such as `--max-total-bytes 10GiB` (every unit a power of 1024, docs/units.md).
struct ByteSizeArgument: ArgumentValue {
    var bytes: Int64

    static func parse(_ text: String) throws(ArgumentValueError) -> ByteSizeArgument {
        guard let bytes = ByteSizeParser.parse(text) else {
            throw ArgumentValueError(value: text, problem: .invalid("is not a size such as 500MiB or 10GB"))
        }
        return ByteSizeArgument(bytes: bytes)
    }
}

/// A time option such as `--since 2026-11-26T02:00`. The text is checked when parsed; a time without an offset
/// is wall time in a zone that may come from another option (`--tz`), so the instant is resolved by ``date(in:)``.
struct TimeArgument: ArgumentValue {
    /// The text, without surrounding blanks; ``ISO8601Offset/parse(_:in:)`` accepts it in every zone.
    var text: String

    static func parse(_ text: String) throws(ArgumentValueError) -> TimeArgument {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Whether a text is a time does not depend on the zone; only the instant of a wall time does.
        guard ISO8601Offset.parse(trimmed) != nil else {
            throw ArgumentValueError(value: text, problem: .invalid(
                "is not an ISO 8601 time such as 2026-11-26T02:00:00Z or 2026-11-26T10:00:00+08:00"))
        }
        return TimeArgument(text: trimmed)
    }

    /// The instant; a time without an offset is wall time in `zone` (docs/units.md, "Times").
    func date(in zone: TimeZone = .current) -> Date {
        ISO8601Offset.parse(text, in: zone) ?? Date(timeIntervalSince1970: 0)  // never nil: parse checked the text
    }
}

/// A `--tz` option: an IANA time zone name. The sentence is the same on every command that takes one.
struct ZoneArgument: ArgumentValue {
    var zone: TimeZone

    static func parse(_ text: String) throws(ArgumentValueError) -> ZoneArgument {
        guard let zone = TimeZone(identifier: text) else {
            throw ArgumentValueError(value: text, problem: .invalid("is not an IANA time zone name such as UTC or Asia/Shanghai"))
        }
        return ZoneArgument(zone: zone)
    }
}

extension ZoneArgument? {
    /// The zone given, else `fallback` (the system zone unless a command says otherwise).
    func timeZone(default fallback: TimeZone = .current) -> TimeZone { self?.zone ?? fallback }
}

extension CaptureKind: ArgumentValue {
    /// A kind as users write it (``CaptureKind/init(userName:)``); an unknown one names the closest kind.
    static func parse(_ text: String) throws(ArgumentValueError) -> CaptureKind {
        guard let kind = CaptureKind(userName: text) else {
            let names = CaptureKind.allCases.map(\.rawValue)
            let close = NameSuggestion.closest(text, in: names).map { "did you mean \"\($0)\"? " } ?? ""
            throw ArgumentValueError(value: text, problem: .rejected(
                "unknown kind \"\(text)\"; \(close)known kinds: \(names.joined(separator: ", "))"))
        }
        return kind
    }

    public init?(argument: String) {
        guard let kind = try? Self.parse(argument) else { return nil }
        self = kind
    }
}

/// A comma-separated list of capture kinds, such as `--kinds heap,goroutine,vars`; duplicates are dropped.
struct KindListArgument: ArgumentValue {
    var kinds: [CaptureKind]

    static func parse(_ text: String) throws(ArgumentValueError) -> KindListArgument {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ArgumentValueError(value: text, problem: .invalid("names no kind")) }
        var kinds: [CaptureKind] = []
        for name in names {
            let kind = try CaptureKind.parse(name)
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return KindListArgument(kinds: kinds)
    }
}

/// A `--label key=value` option.
struct LabelArgument: ArgumentValue {
    var key: String
    var value: String

    static func parse(_ text: String) throws(ArgumentValueError) -> LabelArgument {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw ArgumentValueError(value: text, problem: .invalid("must look like key=value"))
        }
        return LabelArgument(key: String(text[..<eq]), value: String(text[text.index(after: eq)...]))
    }
}

extension [LabelArgument] {
    /// The labels as a map; a key given twice keeps its last value.
    var map: [String: String] {
        var labels: [String: String] = [:]
        for label in self { labels[label.key] = label.value }
        return labels
    }
}

extension ProfileDiffGranularity: ArgumentValue {
    static func parse(_ text: String) throws(ArgumentValueError) -> ProfileDiffGranularity {
        guard let granularity = ProfileDiffGranularity(rawValue: text) else {
            throw ArgumentValueError(value: text, problem: .invalid("must be functions or lines"))
        }
        return granularity
    }

    public init?(argument: String) {
        guard let granularity = try? Self.parse(argument) else { return nil }
        self = granularity
    }
}

extension FailOnGate: ArgumentValue {
    /// A `--fail-on` expression; ``GateError`` already names the option and the expression.
    static func parse(_ text: String) throws(ArgumentValueError) -> FailOnGate {
        do {
            return try FailOnGate(parsing: text)
        } catch {
            throw ArgumentValueError(value: text, problem: .error(error))
        }
    }

    public init?(argument: String) {
        guard let gate = try? Self.parse(argument) else { return nil }
        self = gate
    }
}
