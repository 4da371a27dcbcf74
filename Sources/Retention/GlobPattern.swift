/// A shell-style glob matched against a whole string: `*` (any run), `?` (one character),
/// `[abc]`, `[a-z]`, `[!abc]` / `[^abc]`; an unterminated `[` is a literal. Matching works on
/// `Character`s so `?` is one visible character even outside ASCII.
public struct GlobPattern: Hashable, Sendable {
    private enum Token: Hashable, Sendable {
        case literal(Character)
        case any
        case anyRun
        case set(negated: Bool, items: [SetItem])
    }

    private enum SetItem: Hashable, Sendable {
        case single(Character)
        case range(Character, Character)
    }

    private let tokens: [Token]
    /// True when the pattern has no wildcard, so plain equality decides.
    let isLiteral: Bool
    private let text: String

    /// Compiles `pattern`; every string is a valid pattern.
    public init(_ pattern: String) {
        text = pattern
        let chars = Array(pattern)
        var result: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "*":
                if result.last != .anyRun { result.append(.anyRun) }
                i += 1
            case "?":
                result.append(.any)
                i += 1
            case "[":
                if let (token, next) = Self.parseSet(chars, from: i) {
                    result.append(token)
                    i = next
                } else {
                    result.append(.literal(c))
                    i += 1
                }
            default:
                result.append(.literal(c))
                i += 1
            }
        }
        tokens = result
        isLiteral = result.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// Parses `[...]` starting at `start` (the `[`); nil when there is no closing `]`.
    private static func parseSet(_ chars: [Character], from start: Int) -> (Token, Int)? {
        var i = start + 1
        var negated = false
        if i < chars.count, chars[i] == "!" || chars[i] == "^" {
            negated = true
            i += 1
        }
        var items: [SetItem] = []
        var first = true
        while i < chars.count {
            let c = chars[i]
            if c == "]" && !first {
                return (.set(negated: negated, items: items), i + 1)
            }
            first = false
            if i + 2 < chars.count, chars[i + 1] == "-", chars[i + 2] != "]" {
                items.append(.range(c, chars[i + 2]))
                i += 3
            } else {
                items.append(.single(c))
                i += 1
            }
        }
        return nil
    }

    /// Whether the whole of `string` matches.
    public func matches(_ string: String) -> Bool {
        if isLiteral { return string == text }
        let s = Array(string)
        var p = 0
        var i = 0
        var starP = -1
        var starI = 0
        while i < s.count {
            if p < tokens.count, Self.matchesOne(tokens[p], s[i]) {
                p += 1
                i += 1
            } else if p < tokens.count, tokens[p] == .anyRun {
                starP = p
                starI = i
                p += 1
            } else if starP >= 0 {
                // Backtrack: let the last `*` swallow one more character.
                p = starP + 1
                starI += 1
                i = starI
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .anyRun { p += 1 }
        return p == tokens.count
    }

    private static func matchesOne(_ token: Token, _ c: Character) -> Bool {
        switch token {
        case .literal(let l): return l == c
        case .any: return true
        case .anyRun: return false
        case .set(let negated, let items):
            let hit = items.contains { item in
                switch item {
                case .single(let x): return x == c
                case .range(let lo, let hi): return lo <= c && c <= hi
                }
            }
            return hit != negated
        }
    }
}
