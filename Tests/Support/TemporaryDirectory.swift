import Foundation

/// A fresh directory under `NSTemporaryDirectory()`, removed by `cleanup()`.
///
///     let tmp = TemporaryDirectory(); defer { tmp.cleanup() }
public struct TemporaryDirectory: Sendable {
    /// Absolute path of the directory.
    public let path: String

    /// Creates `<tmp>/<label>-<8 random hex digits>`; stops the test process if the system
    /// temporary directory is not writable, since no test could run without it.
    public init(_ label: String = "gbsnap-test") {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` as UTF-8 to `name` inside the directory and returns its path.
    @discardableResult
    public func file(_ name: String, _ contents: String) -> String {
        file(name, bytes: Array(contents.utf8))
    }

    /// Writes `bytes` to `name` inside the directory and returns its path.
    @discardableResult
    public func file(_ name: String, bytes: [UInt8]) -> String {
        let p = "\(path)/\(name)"
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    /// Removes the directory and everything in it; errors are ignored.
    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Every regular file under `dir` (recursively), as paths relative to `dir`, sorted; empty when
/// `dir` does not exist.
public func regularFiles(under dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let rel = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(dir)/\(rel)", isDirectory: &isDir), !isDir.boolValue { out.append(rel) }
    }
    return out.sorted()
}
