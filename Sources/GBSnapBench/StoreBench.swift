import ArchiveIO
import Foundation
import GBSnapCore
import SnapshotStore

/// Store benchmarks (docs/benchmarks.md):
///
/// - `archive FILE...`: writes the files as one snapshot archive N times through
///   `SnapshotStore.write` (fsync and catalog included) and prints MB/s of input;
///   `scripts/bench` runs `tar czf` on the same files beside it.
/// - `archive-big --size-mib N`: archives one generated N MiB artifact (compressible text with
///   noise, like a large goroutine dump) and prints time and peak RSS.
/// - `storage-choice FILE...`: archive size and write time with gzipped profiles stored as is
///   versus inflated inside the compressed tar.
/// - `catalog-query --entries N`: a catalog of N entries over 100 targets; times a full `list`,
///   a `list --target`, and `TARGET@latest`.
func benchStore(arguments: [String]) throws {
    var rest = arguments[...]
    guard let mode = rest.popFirst() else { throw StoreBenchError.usage }
    var files: [String] = []
    var iterations = 5
    var sizeMiB = 1024
    var entries = 1_000_000
    var input: String?
    while let arg = rest.popFirst() {
        switch arg {
        case "--iterations": iterations = Int(rest.popFirst() ?? "") ?? iterations
        case "--size-mib": sizeMiB = Int(rest.popFirst() ?? "") ?? sizeMiB
        case "--entries": entries = Int(rest.popFirst() ?? "") ?? entries
        case "--input": input = rest.popFirst()
        default: files.append(arg)
        }
    }
    let work = NSTemporaryDirectory() + "gbsnap-bench-store-\(getpid())"
    try SystemIO.makeDirectories(work)
    defer { try? FileManager.default.removeItem(atPath: work) }
    switch mode {
    case "archive": try StoreBench.archive(files, iterations: iterations, work: work)
    case "archive-big": try StoreBench.archiveBig(sizeMiB: sizeMiB, input: input ?? "\(work)/big.debug2.txt", work: work)
    case "storage-choice": try StoreBench.storageChoice(files, work: work)
    case "catalog-query": try StoreBench.catalogQuery(entries: entries, work: work)
    default: throw StoreBenchError.usage
    }
}

enum StoreBenchError: Error, CustomStringConvertible {
    case usage
    var description: String {
        "usage: gbsnap-bench store archive FILE... | archive-big [--size-mib N] [--input PATH] | storage-choice FILE... | catalog-query [--entries N]"
    }
}

enum StoreBench {
    static func manifest(for files: [String], target: String, at date: Date) throws -> (Manifest, [String: String]) {
        var artifacts: [ArtifactRecord] = []
        var sources: [String: String] = [:]
        for (i, f) in files.enumerated() {
            let (size, sha) = try FileDigest.sha256(ofFile: f)
            let member = "\(i)-" + (f as NSString).lastPathComponent
            artifacts.append(ArtifactRecord(name: member, kind: "custom", member: member, bytes: size, sha256: sha, status: .ok))
            sources[member] = f
        }
        let m = Manifest(id: SnapshotID.make(target: target, at: date), target: .init(name: target, url: nil, labels: [:]),
                         schedule: "bench", scheduledAt: date, startedAt: date, finishedAt: date, artifacts: artifacts)
        return (m, sources)
    }

    static func archive(_ files: [String], iterations: Int, work: String) throws {
        let store = try SnapshotStore(root: "\(work)/store")
        let input = files.reduce(Int64(0)) { $0 + (SystemIO.fileSize($1) ?? 0) }
        var best = Double.infinity
        var archiveBytes: Int64 = 0
        for i in 0..<iterations {
            let (m, sources) = try manifest(for: files, target: "bench", at: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)))
            let t0 = Date()
            let entry = try store.write(manifest: m, files: sources)
            best = min(best, Date().timeIntervalSince(t0))
            archiveBytes = entry.bytes
        }
        print(String(format: "archive: %d file(s), %.1f MB in, %.1f MB out, best %.3f s of %d, %.1f MB/s, peak RSS %@",
                     files.count, Double(input) / 1e6, Double(archiveBytes) / 1e6, best, iterations, Double(input) / 1e6 / best, peakRSS()))
    }

    /// Archives one `sizeMiB` artifact (a synthetic goroutine dump written to `input` unless that
    /// file exists already, so the reference tool can be run on the same bytes).
    static func archiveBig(sizeMiB: Int, input path: String, work: String) throws {
        if SystemIO.fileSize(path) == nil {
            let fd = try SystemIO.createExclusive(path)
            var rng = SystemRandomNumberGenerator()
            let block = Array("goroutine 1234 [chan receive, 5 minutes]:\nmain.worker(0xc000123456)\n\t/src/app/worker.go:42 +0x1d\ncreated by main.start in goroutine 1\n\t/src/app/main.go:17 +0x65\n\n".utf8)
            var chunk: [UInt8] = []
            while chunk.count < 1 << 20 { chunk += block }
            chunk = Array(chunk.prefix(1 << 20))
            for _ in 0..<sizeMiB {
                for _ in 0..<64 { chunk[Int(rng.next() % UInt64(chunk.count))] = UInt8(48 + rng.next() % 10) }
                try SystemIO.writeAll(fd, chunk, path: path)
            }
            SystemIO.close(fd)
        }
        let rssBefore = peakRSS()
        let t0 = Date()
        let store = try SnapshotStore(root: "\(work)/store")
        let (m, sources) = try manifest(for: [path], target: "bench", at: Date())
        let entry = try store.write(manifest: m, files: sources)
        let seconds = Date().timeIntervalSince(t0)
        print(String(format: "archive-big: %d MiB artifact -> %.1f MB archive in %.2f s (%.1f MB/s incl. hashing, fsync); peak RSS before %@, after %@",
                     Int((SystemIO.fileSize(path) ?? 0) >> 20), Double(entry.bytes) / 1e6, seconds, Double(SystemIO.fileSize(path) ?? 0) / 1e6 / seconds, rssBefore, peakRSS()))
    }

    static func storageChoice(_ files: [String], work: String) throws {
        var inflated: [String] = []
        for f in files {
            let bytes = try SystemIO.readFile(f, limit: 1 << 30)
            if Gzip.hasGzipMagic(bytes) {
                let p = "\(work)/" + ((f as NSString).lastPathComponent as NSString).deletingPathExtension
                try SystemIO.writeFileAtomically(p, bytes: try Gzip.inflate(bytes))
                inflated.append(p)
            } else {
                inflated.append(f)
            }
        }
        for (label, set) in [("as-is (.pb.gz inside .tar.gz)", files), ("inflated (.pb inside .tar.gz)", inflated)] {
            let store = try SnapshotStore(root: "\(work)/store-\(label.prefix(5))")
            let (m, sources) = try manifest(for: set, target: "bench", at: Date())
            let t0 = Date()
            let entry = try store.write(manifest: m, files: sources)
            let input = set.reduce(Int64(0)) { $0 + (SystemIO.fileSize($1) ?? 0) }
            print(String(format: "%@: members %d B, archive %d B, %.1f ms", label, input, entry.bytes, Date().timeIntervalSince(t0) * 1000))
        }
    }

    static func catalogQuery(entries n: Int, work: String) throws {
        let root = "\(work)/store"
        let store = try SnapshotStore(root: root)
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        var list: [CatalogEntry] = []
        list.reserveCapacity(n)
        for i in 0..<n {
            let target = "svc-\(i % 100)"
            let t = start.addingTimeInterval(Double(i / 100) * 300)
            let id = SnapshotID.make(target: target, at: t)
            list.append(CatalogEntry(id: id, key: SnapshotStore.key(target: target, id: id, takenAt: t), target: target,
                                     labels: ["env": "prod", "region": "eu"], kinds: ["goroutine", "heap", "vars"], failedKinds: [],
                                     schedule: "every-5m", takenAt: t, finishedAt: t, bytes: 40_000, sha256: String(repeating: "ab", count: 32),
                                     status: .complete))
        }
        let bytes = try PruneBench.writeCatalog(list, root: root)
        // `@latest` reads the newest snapshot's manifest: make it a real one.
        let tiny = "\(work)/vars.json"
        try SystemIO.writeFileAtomically(tiny, bytes: Array("{}".utf8))
        let (m, sources) = try manifest(for: [tiny], target: "svc-7", at: start.addingTimeInterval(Double(n / 100) * 300 + 60))
        _ = try store.write(manifest: m, files: sources)
        list = []
        func time(_ label: String, _ body: () throws -> Int) rethrows {
            var best = Double.infinity
            var count = 0
            for _ in 0..<3 {
                let t0 = Date()
                count = try body()
                best = min(best, Date().timeIntervalSince(t0))
            }
            print(String(format: "  %@: %d entries, best of 3 %.3f s", label, count, best))
        }
        print(String(format: "catalog-query: %d entries over 100 targets, %.1f MB of catalog", n, Double(bytes) / 1e6))
        try time("list --target svc-7") { try store.list(ListFilter(target: "svc-7")).count }
        try time("list --target svc-7 --since <last day>") {
            try store.list(ListFilter(target: "svc-7", since: start.addingTimeInterval(Double(n / 100) * 300 - 86_400))).count
        }
        try time("resolve svc-7@latest") { _ = try store.resolve("svc-7@latest"); return 1 }
        try time("list (all)") { try store.list().count }
        print("  peak RSS \(peakRSS())")
    }

    static func peakRSS() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return "unavailable" }
        return line.dropFirst(6).trimmingCharacters(in: .whitespaces)
    }
}
