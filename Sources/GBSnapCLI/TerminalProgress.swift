import Foundation
import GBSnapCore
import SnapshotStore

/// A one-line progress counter on stderr for long work (`trend`, `verify`, `reindex`, `prune`, `capture` of cpu
/// or trace), shown only when stderr is a terminal and the output is not JSON, redrawn at most a few times a second,
/// erased when done.
struct TerminalProgress {
    let label: String
    let total: Int
    let enabled: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false
    private var lastLine = ""

    /// `quiet` is true under `--json`.
    init(_ label: String, total: Int, quiet: Bool = false) {
        self.label = label
        self.total = total
        enabled = !quiet && total > 1 && SystemIO.isTerminal(2)
    }

    /// Shows `done` of `total`, with `detail` (e.g. the snapshot id) after it.
    mutating func update(_ done: Int, detail: String = "") {
        let percent = total > 0 ? done * 100 / total : 100
        show("\(label) \(done)/\(total) (\(percent)%) \(detail)", final: done == total)
    }

    /// Shows `text` after the label, for work counted in something other than items (seconds of a capture).
    mutating func update(text: String, final: Bool = false) {
        show("\(label) \(text)", final: final)
    }

    private mutating func show(_ line: String, final: Bool) {
        guard enabled else { return }
        let now = Date()
        // At most five redraws a second, and none that would show the same text again.
        guard final || (now.timeIntervalSince(lastDraw) >= 0.2 && line != lastLine) else { return }
        lastDraw = now
        lastLine = line
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

/// Turns a store's ``StoreProgress`` calls into a ``TerminalProgress`` line. The store knows the total only once it
/// has listed its work, so the line is made on the first call (and anew if a later step has another total).
final class StoreProgressLine {
    private let label: String
    private let quiet: Bool
    private var line: TerminalProgress?

    /// `quiet` is true under `--json`.
    init(_ label: String, quiet: Bool) {
        self.label = label
        self.quiet = quiet
    }

    /// What to pass to the store.
    var callback: StoreProgress {
        { [self] done, total, item in update(done, total, item) }
    }

    private func update(_ done: Int, _ total: Int, _ item: String) {
        if line?.total != total {
            line?.finish()
            line = TerminalProgress(label, total: total, quiet: quiet)
        }
        line?.update(done, detail: item)
    }

    /// Erases the line; call it before printing results (also when the work failed).
    func finish() { line?.finish() }
}
