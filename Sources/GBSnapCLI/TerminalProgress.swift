import Foundation
import GBSnapCore

/// A one-line progress counter on stderr for long work (`trend`, `verify`, `reindex`, `prune`), shown only when
/// stderr is a terminal and the output is not JSON, redrawn at most a few times a second, erased when done.
struct TerminalProgress {
    let label: String
    let total: Int
    let enabled: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// `quiet` is true under `--json`.
    init(_ label: String, total: Int, quiet: Bool = false) {
        self.label = label
        self.total = total
        enabled = !quiet && total > 1 && SystemIO.isTerminal(2)
    }

    /// Shows `done` of `total`, with `detail` (e.g. the snapshot id) after it.
    mutating func update(_ done: Int, detail: String = "") {
        guard enabled else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let percent = total > 0 ? done * 100 / total : 100
        let line = "\(label) \(done)/\(total) (\(percent)%) \(detail)"
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + String(line.prefix(max(20, (SystemIO.terminalColumns(2) ?? 80) - 1)))).utf8))
        drawn = true
    }

    /// Erases the line.
    mutating func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        drawn = false
    }
}
