import Foundation
import GBSnapCore
import Yams

/// Reads typed values out of a composed YAML tree, collecting every problem with its position
/// instead of stopping at the first one.
struct NodeReader {
    let file: String
    var errors: [ConfigError] = []

    init(file: String) { self.file = file }

    mutating func fail(_ node: Node?, _ message: String) {
        let mark = node?.mark
        errors.append(ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    mutating func fail(line: Int, column: Int, _ message: String) {
        errors.append(ConfigError(file: file, line: line, column: column, message: message))
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return (Node.scalar(s).null != nil) ? "nothing (null)" : "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let s) = node, (Node.scalar(s).null != nil) { return true }
        return false
    }

    /// The key/value pairs of a mapping, with unknown keys reported. Keys must be plain strings.
    mutating func mapping(_ node: Node, _ context: String, allowed: [String]) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let m) = node else {
            fail(node, "\(context) must be a mapping, found \(Self.describe(node))")
            return nil
        }
        var out: [(String, Node, Node)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                fail(k, "\(context) has a key that is not a string")
                continue
            }
            guard allowed.contains(ks.string) else {
                let hint = Self.closest(ks.string, in: allowed).map { "; did you mean \"\($0)\"?" } ?? ""
                fail(k, "unknown key \"\(ks.string)\" in \(context) (allowed: \(allowed.joined(separator: ", ")))\(hint)")
                continue
            }
            out.append((ks.string, k, v))
        }
        return out
    }

    /// The closest candidate to suggest on a typo (``NameSuggestion/closest(_:in:)``).
    static func closest(_ word: String, in candidates: [String]) -> String? {
        NameSuggestion.closest(word, in: candidates)
    }

    mutating func string(_ node: Node, _ what: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let s) = node, (Node.scalar(s).null == nil) else {
            fail(node, "\(what) must be a string, found \(Self.describe(node))")
            return nil
        }
        guard allowEmpty || !s.string.isEmpty else {
            fail(node, "\(what) must not be empty")
            return nil
        }
        return s.string
    }

    mutating func int(_ node: Node, _ what: String, min lower: Int? = nil, max upper: Int? = nil) -> Int? {
        guard case .scalar(let s) = node, let v = Int(s.string.trimmingCharacters(in: .whitespaces)) else {
            fail(node, "\(what) must be a whole number, found \(Self.describe(node))")
            return nil
        }
        if let lower, v < lower {
            fail(node, "\(what) must be at least \(lower), found \(v)")
            return nil
        }
        if let upper, v > upper {
            fail(node, "\(what) must be at most \(upper), found \(v)")
            return nil
        }
        return v
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if case .scalar(let s) = node {
            switch s.string.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        }
        fail(node, "\(what) must be true or false, found \(Self.describe(node))")
        return nil
    }

    mutating func duration(_ node: Node, _ what: String) -> Duration? {
        guard case .scalar(let s) = node, let d = DurationParser.parse(s.string) else {
            fail(node, "\(what) must be a duration such as 90s, 5m, 1h30m, 2d or 1w, found \(Self.describe(node))")
            return nil
        }
        return d
    }

    mutating func size(_ node: Node, _ what: String) -> Int64? {
        guard case .scalar(let s) = node, let v = ByteSizeParser.parse(s.string) else {
            fail(node, "\(what) must be a size such as 1024, 512MiB or 10GB, found \(Self.describe(node))")
            return nil
        }
        return v
    }

    mutating func timeZone(_ node: Node, _ what: String) -> TimeZone? {
        guard let name = string(node, what) else { return nil }
        guard let zone = TimeZone(identifier: name) else {
            fail(node, "\(what) \"\(name)\" is not an IANA time zone name such as UTC or Asia/Shanghai")
            return nil
        }
        return zone
    }

    /// A list of strings; a single string is accepted as a one-element list.
    mutating func stringList(_ node: Node, _ what: String) -> [(String, Node)]? {
        if case .scalar(let s) = node, (Node.scalar(s).null == nil) { return [(s.string, node)] }
        guard case .sequence(let seq) = node else {
            fail(node, "\(what) must be a list of strings, found \(Self.describe(node))")
            return nil
        }
        var out: [(String, Node)] = []
        for item in seq {
            if let s = string(item, "each entry of \(what)") { out.append((s, item)) }
        }
        return out
    }

    /// A mapping of strings to strings (labels, headers).
    mutating func stringMap(_ node: Node, _ what: String) -> [String: String]? {
        guard case .mapping(let m) = node else {
            fail(node, "\(what) must be a mapping of names to strings, found \(Self.describe(node))")
            return nil
        }
        var out: [String: String] = [:]
        for (k, v) in m {
            guard case .scalar(let ks) = k, !ks.string.isEmpty else {
                fail(k, "\(what) has a key that is not a non-empty string")
                continue
            }
            if let value = string(v, "\(what) \"\(ks.string)\"", allowEmpty: true) { out[ks.string] = value }
        }
        return out
    }
}
