import Foundation
import GBSnapCore
@testable import SnapshotStore

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDir {
    let path: String

    init(_ label: String = "gbsnap-test") {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ contents: String) -> String {
        let p = "\(path)/\(name)"
        FileManager.default.createFile(atPath: p, contents: Data(contents.utf8))
        return p
    }

    func file(_ name: String, bytes: [UInt8]) -> String {
        let p = "\(path)/\(name)"
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

enum Samples {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/samples").path

    static func path(_ rel: String) -> String { "\(root)/\(rel)" }
}

/// Every regular file under `dir`, relative.
func filesUnder(_ dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let rel = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(dir)/\(rel)", isDirectory: &isDir), !isDir.boolValue { out.append(rel) }
    }
    return out.sorted()
}

func date(_ iso: String) -> Date { Timestamp.parse(iso)! }
