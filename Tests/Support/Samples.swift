import Foundation

/// The real Go samples in Tests/Fixtures/samples (layout in its README.md).
public enum Samples {
    /// Absolute path of Tests/Fixtures/samples, found from this file's own path (Tests/Support).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/samples").path

    /// Absolute path of `relative` under Tests/Fixtures/samples, e.g. `path("go1.27/heap-a.pb.gz")`.
    public static func path(_ relative: String) -> String { "\(root)/\(relative)" }
}
