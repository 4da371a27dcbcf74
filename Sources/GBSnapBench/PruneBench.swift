import ArchiveIO
import Foundation
import GBSnapCore
import Retention
import SnapshotStore

/// `gbsnap-bench prune plan [--entries N] [--targets T] [--seed S] [--store DIR] [--keep]`:
/// writes a store whose catalog lists N snapshots (the retention-plan benchmark's synthetic
/// input; catalog shards only, no archives, which the dry-run path never opens) and times the
/// whole `prune --dry-run` path: reading the catalog and pins, planning, and encoding the JSON
/// plan.
///
/// `gbsnap-bench prune apply [--snapshots N] [--targets T] [--store DIR] [--keep]`: writes N
/// real archives (one hourly snapshot per target and hour) with their catalog, then prunes them
/// with `keep-hourly 24, keep-daily 30` (removing all but ~53 per target) through
/// `SnapshotStore.prune`, and checks the result: `verify` is clean, the catalog lists exactly the
/// kept snapshots, every listed archive exists and no other archive does.
func benchPrune(arguments: [String]) throws {
    var rest = arguments[...]
    guard let mode = rest.popFirst() else { throw PruneBenchError.usage }
    let options = try PruneBenchOptions(rest)
    switch mode {
    case "plan": try PruneBench.plan(options)
    case "apply": try PruneBench.apply(options)
    default: throw PruneBenchError.usage
    }
}

/// Options of both prune benchmarks.
struct PruneBenchOptions {
    var entries = 1_000_000
    var snapshots = 110_000
    var targets: Int?
    var seed: UInt64 = 42
    var store: String?
    var keep = false
    /// Only build the store (kept at --store) and print its path: for timing the `gbsnap` CLI on it.
    var buildOnly = false

    init(_ arguments: ArraySlice<String>) throws {
        var rest = arguments
        while let flag = rest.popFirst() {
            if flag == "--keep" || flag == "--build-only" {
                if flag == "--keep" { keep = true } else { buildOnly = true }
                continue
            }
            guard let value = rest.popFirst() else { throw PruneBenchError.missingValue(flag) }
            switch flag {
            case "--entries":
                guard let n = Int(value), n > 0 else { throw PruneBenchError.badValue(flag, value) }
                entries = n
            case "--snapshots":
                guard let n = Int(value), n > 0 else { throw PruneBenchError.badValue(flag, value) }
                snapshots = n
            case "--targets":
                guard let n = Int(value), n > 0 else { throw PruneBenchError.badValue(flag, value) }
                targets = n
            case "--seed":
                guard let n = UInt64(value) else { throw PruneBenchError.badValue(flag, value) }
                seed = n
            case "--store":
                store = value
            default:
                throw PruneBenchError.unknownFlag(flag)
            }
        }
    }
}

/// A usage or consistency error of the prune benchmarks.
enum PruneBenchError: Error, CustomStringConvertible {
    case usage
    case missingValue(String)
    case badValue(String, String)
    case unknownFlag(String)
    case inconsistent(String)

    var description: String {
        switch self {
        case .usage:
            "usage: prune plan [--entries N] [--targets T] [--seed S] [--store DIR] [--keep] [--build-only] | prune apply [--snapshots N] [--targets T] [--store DIR] [--keep] [--build-only]"
        case .missingValue(let flag): "prune: option \(flag) needs a value"
        case .badValue(let flag, let value): "prune: \(flag) \"\(value)\" is not a valid value"
        case .unknownFlag(let flag): "prune: unknown option \(flag)"
        case .inconsistent(let what): "prune: the store is inconsistent after the prune: \(what)"
        }
    }
}

enum PruneBench {
    static func plan(_ options: PruneBenchOptions) throws {
        let clock = ContinuousClock()
        let root = options.store ?? NSTemporaryDirectory() + "gbsnap-prune-plan-\(UInt32.random(in: 0...UInt32.max))"
        defer { if !options.keep && !options.buildOnly { try? FileManager.default.removeItem(atPath: root) } }
        let targets = options.targets ?? 120

        let buildStart = clock.now
        let candidates = RetentionBenchInput.candidates(entries: options.entries, targets: targets, seed: options.seed)
        let store = try SnapshotStore(root: root, create: true)
        let entries = candidates.map { c in
            CatalogEntry(id: c.id, key: SnapshotStore.key(target: c.target, id: c.id, takenAt: c.takenAt), target: c.target,
                         labels: c.labels, kinds: c.kinds, failedKinds: [], schedule: c.schedule, takenAt: c.takenAt,
                         finishedAt: c.takenAt, bytes: c.bytes, sha256: String(repeating: "0", count: 64), status: .complete)
        }
        let shardBytes = try writeCatalog(entries, root: root)
        for c in candidates where c.pinned { try store.pin(c.id, note: "bench") }
        let buildTime = clock.now - buildStart
        if options.buildOnly {
            print("prune-plan store=\(root) entries=\(entries.count) build_store_seconds=\(RetentionBenchInput.seconds(buildTime))")
            return
        }

        let now = Date(timeIntervalSince1970: 1_798_761_600)  // 2027-01-01T00:00:00Z
        let rssBefore = RetentionBenchInput.procStatus("VmRSS")

        var start = clock.now
        var cpu = RetentionBenchInput.processCPUSeconds()
        let listed = try store.list()
        let listTime = clock.now - start
        let listCPU = cpuSince(cpu)

        start = clock.now
        cpu = RetentionBenchInput.processCPUSeconds()
        let plan = try store.planPrune(policy: RetentionBenchInput.policy, now: now)
        let planTime = clock.now - start
        let planCPU = cpuSince(cpu)

        start = clock.now
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(plan)
        let jsonTime = clock.now - start

        print("prune-plan entries=\(listed.count) targets=\(targets) seed=\(options.seed) store=\(root)")
        print("  build_store_seconds=\(RetentionBenchInput.seconds(buildTime)) catalog_bytes=\(shardBytes)")
        print("  read_catalog_seconds=\(RetentionBenchInput.seconds(listTime)) cpu=\(format(listCPU))")
        print("  dry_run_plan_seconds=\(RetentionBenchInput.seconds(planTime)) cpu=\(format(planCPU))  (catalog + pins + planner)")
        print("  encode_json_seconds=\(RetentionBenchInput.seconds(jsonTime)) json_bytes=\(json.count)")
        print("  keep=\(plan.keepIDs.count) remove=\(plan.removeIDs.count) bytes_freed=\(plan.bytesFreed) warnings=\(plan.warnings.count)")
        print("  rss_before=\(rssBefore ?? "unavailable") peak_rss=\(RetentionBenchInput.procStatus("VmHWM") ?? "unavailable")")
    }

    static func apply(_ options: PruneBenchOptions) throws {
        let clock = ContinuousClock()
        let root = options.store ?? NSTemporaryDirectory() + "gbsnap-prune-apply-\(UInt32.random(in: 0...UInt32.max))"
        defer { if !options.keep && !options.buildOnly { try? FileManager.default.removeItem(atPath: root) } }
        let targets = options.targets ?? 10
        let perTarget = (options.snapshots + targets - 1) / targets
        let start2025: Double = 1_735_689_600  // 2025-01-01T00:00:00Z

        let buildStart = clock.now
        let store = try SnapshotStore(root: root, create: true)
        var entries: [CatalogEntry] = []
        entries.reserveCapacity(perTarget * targets)
        var random = RetentionBenchRandom(seed: options.seed)
        for t in 0..<targets {
            let target = "svc-\(t)"
            for h in 0..<perTarget {
                let takenAt = Date(timeIntervalSince1970: start2025 + Double(h) * 3600 + Double(t))
                entries.append(try writeArchive(store: store, target: target, takenAt: takenAt, random: &random))
            }
        }
        _ = try writeCatalog(entries, root: root)
        let buildTime = clock.now - buildStart
        let archiveBytes = entries.reduce(Int64(0)) { $0 + $1.bytes }
        if options.buildOnly {
            print("prune-apply store=\(root) snapshots=\(entries.count) build_store_seconds=\(RetentionBenchInput.seconds(buildTime))")
            return
        }

        let policy = RetentionPolicy(rules: [RetentionRule(keepHourly: 24, keepDaily: 30)])
        let now = Date(timeIntervalSince1970: start2025 + Double(perTarget) * 3600)
        let cpu = RetentionBenchInput.processCPUSeconds()
        let pruneStart = clock.now
        let result = try store.prune(policy: policy, now: now)
        let pruneTime = clock.now - pruneStart
        let pruneCPU = cpuSince(cpu)

        let checkStart = clock.now
        let live = try store.list()
        guard Set(live.map(\.id)) == Set(result.plan.keepIDs) else {
            throw PruneBenchError.inconsistent("the catalog lists \(live.count) snapshots, the plan keeps \(result.plan.keepIDs.count)")
        }
        let report = store.verify()
        guard report.isHealthy else {
            throw PruneBenchError.inconsistent("verify found \(report.problems.count) problem(s), e.g. \(report.problems[0].message)")
        }
        let onDisk = countArchives(under: "\(root)/\(SnapshotStore.bucket)")
        guard onDisk == live.count else {
            throw PruneBenchError.inconsistent("\(onDisk) archives on disk, \(live.count) in the catalog")
        }
        guard SystemIO.fileSize("\(root)/.removal-intent.json") == nil else {
            throw PruneBenchError.inconsistent("a removal intent is left behind")
        }
        let checkTime = clock.now - checkStart
        let seconds = Double(pruneTime.components.seconds) + Double(pruneTime.components.attoseconds) / 1e18
        let catalogBytes = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/catalog"))?
            .reduce(Int64(0)) { $0 + (SystemIO.fileSize("\(root)/catalog/\($1)") ?? 0) } ?? 0

        print("prune-apply snapshots=\(entries.count) targets=\(targets) store=\(root)")
        print("  build_store_seconds=\(RetentionBenchInput.seconds(buildTime)) archive_bytes=\(archiveBytes)")
        print("  prune_seconds=\(RetentionBenchInput.seconds(pruneTime)) cpu=\(format(pruneCPU)) removed=\(result.removedIDs.count) kept=\(live.count)")
        print("  throughput=\(Int((Double(result.removedIDs.count) / max(seconds, 1e-9)).rounded())) snapshots/s bytes_freed=\(result.bytesFreed)")
        print("  compacted_targets=\(result.compactedTargets.count) catalog_bytes_after=\(catalogBytes)")
        print("  consistency_check_seconds=\(RetentionBenchInput.seconds(checkTime)) verify=clean archives_on_disk=\(onDisk)")
        print("  peak_rss=\(RetentionBenchInput.procStatus("VmHWM") ?? "unavailable")")
    }

    /// Writes one small archive straight into place (no fsync: this is setup, not the measured
    /// part) and returns its catalog entry.
    static func writeArchive(store: SnapshotStore, target: String, takenAt: Date,
                             random: inout RetentionBenchRandom) throws -> CatalogEntry {
        var payload = Array("{\"memstats\":{\"HeapAlloc\":".utf8)
        for _ in 0..<(200 + Int(random.next() % 800)) { payload.append(48 + UInt8(random.next() % 10)) }
        payload += Array("}}\n".utf8)
        var hasher = SHA256Hasher()
        hasher.update(payload)
        let digest = (Int64(payload.count), hasher.finalizeHex())
        let id = SnapshotID.make(target: target, at: takenAt)
        let artifact = ArtifactRecord(name: "vars", kind: "vars", member: "vars.json", bytes: digest.0, sha256: digest.1,
                                      contentType: "application/json", endpoint: "/debug/vars", status: .ok)
        let manifest = Manifest(id: id, target: .init(name: target, url: nil, labels: ["env": "bench"]), schedule: "hourly",
                                scheduledAt: takenAt, startedAt: takenAt, finishedAt: takenAt, host: "bench", artifacts: [artifact])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let key = SnapshotStore.key(target: target, id: id, takenAt: takenAt)
        let path = store.path(forKey: key)
        try SystemIO.makeDirectories(SystemIO.parentDirectory(of: path))
        let fd = try SystemIO.createExclusive(path)
        do {
            defer { SystemIO.close(fd) }
            let writer = try TarGzWriter(fileDescriptor: fd, path: path, modificationTime: Int(takenAt.timeIntervalSince1970))
            try writer.addMember(named: "manifest.json", bytes: Array(try encoder.encode(manifest)) + [10])
            try writer.addMember(named: "vars.json", bytes: payload)
            try writer.finish()
        }
        let (size, sha) = try FileDigest.sha256(ofFile: path)
        return CatalogEntry(id: id, key: key, target: target, labels: ["env": "bench"], kinds: ["vars"], failedKinds: [],
                            schedule: "hourly", takenAt: takenAt, finishedAt: takenAt, bytes: size, sha256: sha, status: .complete)
    }

    /// Writes catalog shards in the store's documented line format
    /// (`{"crc":"<crc32 of rec, 8 hex>","rec":{"op":"put","entry":{...}}}`), one per target,
    /// oldest first. Returns the bytes written.
    static func writeCatalog(_ entries: [CatalogEntry], root: String) throws -> Int {
        var total = 0
        for (target, group) in Dictionary(grouping: entries, by: \.target) {
            let shard = SnapshotStore.catalogShard(group.sorted { ($0.takenAt, $0.id) < ($1.takenAt, $1.id) })
            try SystemIO.writeFileAtomically("\(root)/catalog/\(target).jsonl", bytes: shard)
            total += shard.count
        }
        return total
    }

    static func countArchives(under dir: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return 0 }
        var n = 0
        while let rel = walker.nextObject() as? String {
            if rel.hasSuffix(".tar.gz") { n += 1 }
        }
        return n
    }

    static func cpuSince(_ start: Double?) -> Double? {
        guard let start, let end = RetentionBenchInput.processCPUSeconds() else { return nil }
        return end - start
    }

    static func format(_ seconds: Double?) -> String {
        seconds.map { String(($0 * 1000).rounded() / 1000) } ?? "unavailable"
    }
}
