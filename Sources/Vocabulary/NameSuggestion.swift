/// "Did you mean …?" for names people type: targets, kinds, config keys.
public enum NameSuggestion {
    /// The closest candidate within edit distance 2 (and less than half the word's length), to
    /// suggest on a typo; nil when nothing is that close.
    public static func closest(_ word: String, in candidates: some Sequence<String>) -> String? {
        let w = Array(word.lowercased())
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(w, Array(candidate.lowercased()))
            guard d <= 2, d * 2 < w.count else { continue }
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit (`etdc` → `etcd` is 1).
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, rows[i - 2][j - 2] + 1) }
                rows[i][j] = d
            }
        }
        return rows[a.count][b.count]
    }

    /// `; did you mean "x"?` when a candidate is close, else `; the known ones are a, b, c` (at most
    /// `limit` named), else the empty string when there are no candidates.
    public static func hint(_ word: String, in candidates: [String], known what: String, limit: Int = 12) -> String {
        if let close = closest(word, in: candidates) { return "; did you mean \"\(close)\"?" }
        guard !candidates.isEmpty else { return "" }
        let named = candidates.prefix(limit).joined(separator: ", ")
        return "; \(what): \(named)\(candidates.count > limit ? ", … (\(candidates.count) in all)" : "")"
    }
}
