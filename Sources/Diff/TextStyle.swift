/// How text output is dressed for where it goes: colour and name shortening only on a terminal, never in a pipe.
public struct TextStyle: Sendable, Equatable {
    /// ANSI colours: growth red, shrink green, leak suspects bold yellow.
    public var color: Bool
    /// The terminal's width in columns; names are shortened to fit it. nil never shortens (pipes, files).
    public var width: Int?

    /// Creates a style.
    public init(color: Bool = false, width: Int? = nil) {
        self.color = color
        self.width = width
    }

    /// No colour, no shortening: what pipes, files and tests get.
    public static let plain = TextStyle()

    /// `text` coloured by the sign of `delta`.
    public func signed(_ text: String, _ delta: Int64) -> String {
        guard color, delta != 0 else { return text }
        return (delta > 0 ? "\u{1B}[31m" : "\u{1B}[32m") + text + "\u{1B}[0m"
    }

    /// `text` coloured for a headline tone.
    func tone(_ text: String, _ tone: DiffHeadline.Tone) -> String {
        switch tone {
        case .growth: signed(text, 1)
        case .shrink: signed(text, -1)
        case .neutral: text
        }
    }

    /// `text` highlighted as a leak suspect.
    public func suspect(_ text: String) -> String {
        color ? "\u{1B}[1;33m" + text + "\u{1B}[0m" : text
    }

    /// `text` as a warning (bold yellow, as suspects).
    public func warning(_ text: String) -> String { suspect(text) }

    /// `text` in bold (section titles).
    public func bold(_ text: String) -> String {
        color ? "\u{1B}[1m" + text + "\u{1B}[0m" : text
    }

    /// `name` shortened to what is left of the terminal after `used` columns, keeping its end (the function and
    /// method are at the end; the import path is at the start). Unchanged without a width.
    public func fit(_ name: String, after used: Int) -> String {
        guard let width else { return name }
        let room = max(24, width - used)
        guard name.count > room else { return name }
        return "…" + String(name.suffix(room - 1))
    }
}

/// Row bounds of tables: how many rows show and whether unchanged rows are hidden.
public struct TableBounds: Sendable, Equatable {
    /// Rows per table; nil shows every row.
    public var limit: Int?
    /// Show rows whose deltas are all zero (and unchanged goroutine groups).
    public var all: Bool

    /// Creates bounds.
    public init(limit: Int? = nil, all: Bool = true) {
        self.limit = limit
        self.all = all
    }

    /// Every row (what `--limit 0 --all` asks for).
    public static let unbounded = TableBounds()
    /// The default of `gbsnap diff`: 20 changed rows per table.
    public static let standard = TableBounds(limit: 20, all: false)

    /// The rows to show of `rows`, in their order: changed ones (unless `all`), at most `limit`;
    /// plus how many were cut by the limit and how many unchanged rows were hidden.
    public func apply<T>(_ rows: [T], unchanged: (T) -> Bool) -> (shown: [T], cut: Int, hidden: Int) {
        let visible = all ? rows : rows.filter { !unchanged($0) }
        let shown = limit.map { Array(visible.prefix($0)) } ?? visible
        return (shown, visible.count - shown.count, rows.count - visible.count)
    }

    /// The line ending a cut table, e.g. `(12 more rows: --limit 0 shows all; 40 unchanged rows hidden: --all
    /// shows them)`, or nil when nothing was left out.
    public static func note(cut: Int, hidden: Int, noun: String) -> String? {
        var parts: [String] = []
        if cut > 0 { parts.append("\(cut) more \(noun)\(cut == 1 ? "" : "s"): --limit 0 shows all") }
        if hidden > 0 { parts.append("\(hidden) unchanged \(noun)\(hidden == 1 ? "" : "s") hidden: --all shows them") }
        return parts.isEmpty ? nil : "(" + parts.joined(separator: "; ") + ")"
    }
}
