import Foundation
import GBSnapCore

/// One file to import and the kind it holds.
public struct ImportFile: Sendable {
    public var path: String
    public var kind: CaptureKind

    public init(path: String, kind: CaptureKind) {
        self.path = path
        self.kind = kind
    }
}

extension SnapshotStore {
    /// Archives existing profiles/dumps as one snapshot of `target` (schedule `import`).
    ///
    /// Member names follow the kind (`heap.pb.gz`, `stacks.debug2.txt`, ...), numbered when a
    /// kind repeats; each artifact's endpoint records the original file name.
    public func importFiles(_ files: [ImportFile], target: String, labels: [String: String] = [:],
                            takenAt: Date, now: Date = Date()) throws -> CatalogEntry {
        guard !files.isEmpty else { throw StoreError(.invalidInput, "nothing to import: give at least one file") }
        guard SnapshotID.isValidTargetName(target) else {
            throw StoreError(.invalidTargetName, "target name \"\(target)\" is not usable: use letters, digits, '.', '_' and '-' (at most 100)", input: .target(target))
        }
        var artifacts: [ArtifactRecord] = []
        var sources: [String: String] = [:]
        var used: [String: Int] = [:]
        for file in files {
            let digest: (Int64, String)
            do { digest = try FileDigest.sha256(ofFile: file.path) } catch {
                throw StoreError(.invalidInput, "cannot import \(file.path): \(error)", input: .path(file.path), underlying: error)
            }
            let base = file.kind.defaultMemberName
            let n = used[base, default: 0] + 1
            used[base] = n
            let member = n == 1 ? base : Self.numbered(base, n)
            let name = n == 1 ? file.kind.rawValue : "\(file.kind.rawValue)-\(n)"
            artifacts.append(ArtifactRecord(name: name, kind: file.kind.rawValue, member: member, bytes: digest.0, sha256: digest.1,
                                            contentType: file.kind.contentType,
                                            endpoint: (file.path as NSString).lastPathComponent, status: .ok))
            sources[member] = file.path
        }
        let id = SnapshotID.make(target: target, at: takenAt)
        let manifest = Manifest(id: id, target: .init(name: target, url: nil, labels: labels), schedule: "import",
                                scheduledAt: takenAt, startedAt: now, finishedAt: Date(), artifacts: artifacts)
        return try write(manifest: manifest, files: sources)
    }

    /// `heap.pb.gz` → `heap-2.pb.gz`.
    static func numbered(_ name: String, _ n: Int) -> String {
        guard let dot = name.firstIndex(of: ".") else { return "\(name)-\(n)" }
        return "\(name[..<dot])-\(n)\(name[dot...])"
    }
}

extension CaptureKind {
    /// The MIME type recorded for an artifact of this kind.
    public var contentType: String {
        switch self {
        case .stacks, .goroutineText: "text/plain; charset=utf-8"
        case .vars: "application/json"
        case .trace, .custom: "application/octet-stream"
        default: "application/octet-stream"  // gzipped profile.proto, as net/http/pprof sends it
        }
    }
}
