import Foundation
import Profiles
import Traces
@_exported import Vocabulary

/// Everything `gbsnap diff` compares, as values: two snapshots (their ids, targets, times, the kinds they hold
/// and a loader for artifact bytes) and the options. The loader is the only way bytes come in, so the diff
/// itself does no I/O and a report or trend analysis can feed artifacts from anywhere.
public struct SnapshotDiffInput {
    /// One snapshot.
    public struct Side {
        /// Snapshot id (named in every error and warning about it).
        public var id: String
        /// Target name.
        public var target: String
        /// When the snapshot was taken.
        public var takenAt: Date
        /// Kinds with a stored, successfully captured artifact.
        public var kinds: [CaptureKind]
        /// Artifact name per kind, for messages (defaults to the kind).
        public var artifactNames: [CaptureKind: String]
        /// Returns the stored bytes of the artifact of a kind listed in `kinds` (a `.pb.gz`, a dump, JSON).
        public var load: (CaptureKind) throws -> [UInt8]

        /// Creates a side.
        public init(id: String, target: String, takenAt: Date, kinds: [CaptureKind], artifactNames: [CaptureKind: String] = [:],
                    load: @escaping (CaptureKind) throws -> [UInt8]) {
            self.id = id
            self.target = target
            self.takenAt = takenAt
            self.kinds = kinds
            self.artifactNames = artifactNames
            self.load = load
        }

        /// How messages name the artifact of `kind`.
        public func artifactName(_ kind: CaptureKind) -> String { artifactNames[kind] ?? kind.rawValue }
    }

    /// The older snapshot (the base).
    public var a: Side
    /// The newer snapshot.
    public var b: Side
    /// Kinds to compare (`--kind`); nil compares everything both snapshots hold.
    public var kinds: Set<CaptureKind>?
    /// Sample type for profile diffs (`--sample-index`); nil takes pprof's default per kind.
    public var sampleIndex: SampleIndexSelector?
    /// Row grouping of profile diffs.
    public var granularity: ProfileDiffGranularity
    /// `--fail-on` gates, evaluated against the metrics of the diff.
    public var gates: [FailOnGate]
    /// Cap on the inflated size of one profile (decompression bomb guard).
    public var maxInflatedBytes: Int

    /// Creates an input.
    public init(a: Side, b: Side, kinds: Set<CaptureKind>? = nil, sampleIndex: SampleIndexSelector? = nil,
                granularity: ProfileDiffGranularity = .functions, gates: [FailOnGate] = [],
                maxInflatedBytes: Int = SnapshotDiff.defaultMaxInflatedBytes) {
        self.a = a
        self.b = b
        self.kinds = kinds
        self.sampleIndex = sampleIndex
        self.granularity = granularity
        self.gates = gates
        self.maxInflatedBytes = maxInflatedBytes
    }
}

/// One compared pprof kind: both decoded profiles and their diff (pprof and folded output need the profiles).
public struct ProfileComparison: Sendable {
    /// The kind, e.g. `heap`.
    public var kind: CaptureKind
    /// Snapshot A's profile.
    public var base: Profile
    /// Snapshot B's profile.
    public var current: Profile
    /// The diff at the chosen sample index.
    public var diff: ProfileDiff
    /// The sample index the diff used (the requested one, or pprof's default when the kind lacks it).
    public var sampleIndex: SampleIndexSelector?
}

/// The outcome of `SnapshotDiff.compute`: the JSON report and the values behind it.
public struct SnapshotDiffResult: Sendable {
    /// The documented, versioned report (`docs/diff-json.md`).
    public var report: SnapshotDiffReport
    /// Profile comparisons in kind order.
    public var profiles: [ProfileComparison]
    /// Goroutine growth, when a source exists in both snapshots.
    public var goroutines: GoroutineGrowth?
    /// Where `goroutines` came from: `stacks`, `goroutine-text` or `goroutine`.
    public var goroutineSource: CaptureKind?
    /// Runtime statistics delta, when both snapshots have `vars`.
    public var runtime: RuntimeStatsDelta?
    /// Both execution traces summarised, when both snapshots have a trace gbsnap can read.
    public var trace: TraceComparison?
    /// Every gate's outcome, in `--fail-on` order.
    public var gateOutcomes: [GateOutcome]

    /// The gates that tripped.
    public var tripped: [GateOutcome] { gateOutcomes.filter(\.tripped) }
}

/// Why two snapshots cannot be diffed; each description is one sentence naming the snapshot and artifact.
public enum SnapshotDiffError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing comparable is held by both snapshots (after `--kind`).
    case noCommonKind(a: String, kindsA: [String], b: String, kindsB: [String], requested: [String]?)
    /// An artifact could not be read, decoded or parsed.
    case badArtifact(snapshot: String, artifact: String, kind: CaptureKind, problem: String)
    /// The two profiles of a kind cannot be compared (different sample types, units, periods).
    case incompatibleProfiles(kind: CaptureKind, a: String, b: String, problem: String)
    /// `--sample-index` names a sample type no compared kind has.
    case sampleIndexMatchesNoKind(selector: String, problems: [String])
    /// The traces are all both snapshots have in common, and at least one cannot be summarised (why, per snapshot).
    case traceNotSummarised(a: String, b: String, reasons: [String])

    /// One sentence.
    public var description: String {
        switch self {
        case let .noCommonKind(a, kindsA, b, kindsB, requested):
            let list = { (k: [String]) in k.isEmpty ? "nothing" : k.joined(separator: ", ") }
            let asked = requested.map { " among the requested kinds (\($0.joined(separator: ", ")))" } ?? ""
            let common = Set(kindsA).intersection(kindsB).filter { requested?.contains($0) ?? true }.sorted()
            if !common.isEmpty {
                // Both hold something, just nothing the diff compares (custom endpoints).
                return "snapshots \(a) and \(b) have only \(common.joined(separator: ", ")) in common, which gbsnap archives "
                    + "but does not compare; diffable kinds are \(SnapshotDiff.comparableKinds.map(\.rawValue).joined(separator: ", ")) "
                    + "(gbsnap export gives the files)"
            }
            return "snapshots \(a) and \(b) have no kind in common\(asked): \(a) has \(list(kindsA)); \(b) has \(list(kindsB))"
        case let .badArtifact(snapshot, artifact, kind, problem):
            let named = artifact == kind.rawValue ? "artifact \"\(artifact)\"" : "artifact \"\(artifact)\" (\(kind))"
            return "snapshot \(snapshot) \(named): \(problem) (gbsnap show \(snapshot) lists what was stored; "
                + "gbsnap verify \(snapshot) checks the archive; --kind leaves this kind out)"
        case let .incompatibleProfiles(kind, a, b, problem):
            return "cannot compare the \(kind) profiles of snapshots \(a) and \(b): \(problem)"
        case let .sampleIndexMatchesNoKind(selector, problems):
            return "--sample-index \(selector) fits none of the compared kinds (\(problems.joined(separator: "; ")))"
        case let .traceNotSummarised(a, b, reasons):
            return "snapshots \(a) and \(b) have only their execution traces to compare, and \(reasons.joined(separator: "; ")) "
                + "(gbsnap export gives the files, for go tool trace)"
        }
    }
}

/// Composes profile diffs, goroutine growth, runtime stats and gates into one report.
public enum SnapshotDiff {
    /// The schema id written into every report.
    public static let schema = "gbsnap.diff/v1"
    /// The pprof kinds, in report order.
    public static let profileKinds: [CaptureKind] = [.heap, .allocs, .cpu, .block, .mutex, .goroutine, .goroutineleak, .threadcreate]
    /// Every kind `--kind` accepts: the pprof kinds, the goroutine dumps, vars and execution traces.
    public static let comparableKinds: [CaptureKind] = profileKinds + [.stacks, .goroutineText, .vars, .trace]
    /// Goroutine growth sources, most detailed first.
    public static let goroutineSources: [CaptureKind] = [.stacks, .goroutineText, .goroutine]
    /// Default cap on one profile's inflated size: 256 MiB (a profile with a million samples is far smaller).
    public static let defaultMaxInflatedBytes = 256 << 20

    /// What will be compared: profile kinds, the goroutine source and whether runtime stats are diffed.
    public struct Plan: Sendable, Equatable {
        /// pprof kinds held by both (and requested), in `profileKinds` order.
        public var profileKinds: [CaptureKind]
        /// `stacks`, `goroutine-text`, `goroutine` or nil.
        public var goroutineSource: CaptureKind?
        /// Both snapshots have `vars` (and it was requested).
        public var runtime: Bool
        /// Notes such as kinds held by only one snapshot.
        public var warnings: [String]
        /// Both snapshots have a `trace` (and it was requested).
        public var trace: Bool = false
    }

    /// Decides what to compare. Throws ``SnapshotDiffError/noCommonKind(a:kindsA:b:kindsB:requested:)``
    /// when nothing is comparable.
    public static func plan(a: SnapshotDiffInput.Side, b: SnapshotDiffInput.Side, kinds requested: Set<CaptureKind>?)
        throws(SnapshotDiffError) -> Plan
    {
        let setA = Set(a.kinds), setB = Set(b.kinds)
        let wanted = { (k: CaptureKind) in requested?.contains(k) ?? true }
        let profiles = profileKinds.filter { setA.contains($0) && setB.contains($0) && wanted($0) }
        let source = goroutineSources.first { setA.contains($0) && setB.contains($0) && wanted($0) }
        let runtime = setA.contains(.vars) && setB.contains(.vars) && wanted(.vars)
        let trace = setA.contains(.trace) && setB.contains(.trace) && wanted(.trace)
        guard !profiles.isEmpty || source != nil || runtime || trace else {
            throw .noCommonKind(a: a.id, kindsA: a.kinds.map(\.rawValue).sorted(), b: b.id, kindsB: b.kinds.map(\.rawValue).sorted(),
                                requested: requested.map { $0.map(\.rawValue).sorted() })
        }
        var warnings: [String] = []
        // Dump kinds held by one side only matter when no goroutine source is compared at all.
        let noted = profileKinds + [.vars, .trace] + (source == nil ? [.stacks, .goroutineText] : [])
        for kind in noted where wanted(kind) && setA.contains(kind) != setB.contains(kind) {
            let (has, lacks) = setA.contains(kind) ? (a.id, b.id) : (b.id, a.id)
            warnings.append("\(kind) is only in snapshot \(has), not in \(lacks); it is not compared")
        }
        for kind in (requested ?? []).sorted() where !setA.contains(kind) && !setB.contains(kind) {
            warnings.append("neither snapshot has \(kind)")
        }
        return Plan(profileKinds: profiles, goroutineSource: source, runtime: runtime, warnings: warnings, trace: trace)
    }

    /// Loads, decodes and compares everything the plan names, then evaluates the gates.
    ///
    /// Any artifact that cannot be loaded, decoded or parsed fails the whole diff (a gate must never pass
    /// because its data silently went missing); exclude a broken kind with `kinds`.
    /// Gate errors (unknown metric, unit mismatch) are thrown as ``GateError``.
    public static func compute(_ input: SnapshotDiffInput) throws -> SnapshotDiffResult {
        let planned = try Self.plan(a: input.a, b: input.b, kinds: input.kinds)
        var warnings: [String] = []
        if input.a.target != input.b.target {
            warnings.append("comparing different targets: \(input.a.id) is \(input.a.target), \(input.b.id) is \(input.b.target)")
        }
        let reversed = input.a.takenAt > input.b.takenAt
        if reversed {
            warnings.append("snapshot A (\(input.a.id)) is newer than snapshot B (\(input.b.id)) by "
                + "\(durationText(input.a.takenAt.timeIntervalSince(input.b.takenAt))); deltas are still B - A")
        }
        var restartReasons: [String] = []
        warnings += planned.warnings

        let decoder = ProfileDecoder(maxInflatedBytes: input.maxInflatedBytes)
        func bytes(_ side: SnapshotDiffInput.Side, _ kind: CaptureKind) throws(SnapshotDiffError) -> [UInt8] {
            do {
                return try side.load(kind)
            } catch {
                throw .badArtifact(snapshot: side.id, artifact: side.artifactName(kind), kind: kind, problem: "cannot be read: \(error)")
            }
        }
        func parsed<T>(_ side: SnapshotDiffInput.Side, _ kind: CaptureKind, _ parse: ([UInt8]) throws -> T) throws -> T {
            let data = try bytes(side, kind)
            guard !data.isEmpty else {
                throw SnapshotDiffError.badArtifact(snapshot: side.id, artifact: side.artifactName(kind), kind: kind, problem: "it is empty (0 bytes)")
            }
            do {
                return try parse(data)
            } catch {
                throw SnapshotDiffError.badArtifact(snapshot: side.id, artifact: side.artifactName(kind), kind: kind, problem: "\(error)")
            }
        }

        // Profiles.
        var comparisons: [ProfileComparison] = []
        var sampleIndexProblems: [String] = []
        for kind in planned.profileKinds {
            let base = try parsed(input.a, kind) { try decoder.decode($0) }
            let current = try parsed(input.b, kind) { try decoder.decode($0) }
            if base.samples.isEmpty && current.samples.isEmpty {
                warnings.append("the \(kind) profiles of both snapshots have no samples")
            }
            do {
                let diff = try ProfileDiff.compute(base: base, current: current, sampleIndex: input.sampleIndex,
                                                   granularity: input.granularity)
                comparisons.append(ProfileComparison(kind: kind, base: base, current: current, diff: diff, sampleIndex: input.sampleIndex))
            } catch {
                guard case .sampleIndex(let problem) = error, let selector = input.sampleIndex else {
                    throw SnapshotDiffError.incompatibleProfiles(kind: kind, a: input.a.id, b: input.b.id, problem: error.description)
                }
                // The requested sample type belongs to another kind: compare this one at its default.
                sampleIndexProblems.append("\(kind): \(problem)")
                let diff: ProfileDiff
                do {
                    diff = try ProfileDiff.compute(base: base, current: current, sampleIndex: nil, granularity: input.granularity)
                } catch {
                    throw SnapshotDiffError.incompatibleProfiles(kind: kind, a: input.a.id, b: input.b.id, problem: error.description)
                }
                warnings.append("--sample-index \(selector) does not fit \(kind) (\(problem)); \(kind) uses \(diff.sampleType.type)")
                comparisons.append(ProfileComparison(kind: kind, base: base, current: current, diff: diff, sampleIndex: nil))
            }
        }
        if let selector = input.sampleIndex, !comparisons.isEmpty, comparisons.allSatisfy({ $0.sampleIndex == nil }) {
            throw SnapshotDiffError.sampleIndexMatchesNoKind(selector: selector.description, problems: sampleIndexProblems)
        }

        // Goroutines.
        var growth: GoroutineGrowth?
        switch planned.goroutineSource {
        case .stacks:
            // Counted straight off the dumps: no record per goroutine is kept.
            let groupsA = try parsed(input.a, .stacks) { try GoroutineDump.groupStacks($0) }
            let groupsB = try parsed(input.b, .stacks) { try GoroutineDump.groupStacks($0) }
            growth = GoroutineGrowth.compute(a: GoroutineGroupInput.groups(from: groupsA), b: GoroutineGroupInput.groups(from: groupsB))
            let (older, newer) = reversed ? (groupsB, groupsA) : (groupsA, groupsB)
            if let reason = RestartDetection.fromGoroutineIDs(older: older.map(\.maxID), newer: newer.map(\.maxID)) {
                restartReasons.append(reason)
            }
        case .goroutineText:
            growth = GoroutineGrowth.compute(a: try parsed(input.a, .goroutineText) { try GoroutineProfileText.parse($0) },
                                             b: try parsed(input.b, .goroutineText) { try GoroutineProfileText.parse($0) })
        case .goroutine:
            let pa = try comparisons.first { $0.kind == .goroutine }?.base ?? parsed(input.a, .goroutine) { try decoder.decode($0) }
            let pb = try comparisons.first { $0.kind == .goroutine }?.current ?? parsed(input.b, .goroutine) { try decoder.decode($0) }
            growth = GoroutineGrowth.compute(a: goroutineGroups(pa), b: goroutineGroups(pb))
        default:
            break
        }

        // Runtime stats.
        var runtime: RuntimeStatsDelta?
        if planned.runtime {
            let va = try parsed(input.a, .vars) { try ExpVars.parse($0) }
            let vb = try parsed(input.b, .vars) { try ExpVars.parse($0) }
            do {
                let delta = try RuntimeStatsDelta.compute(a: va, takenAtA: input.a.takenAt, b: vb, takenAtB: input.b.takenAt)
                let (older, newer) = reversed ? (vb, va) : (va, vb)
                if let reason = RestartDetection.fromVars(older: older, newer: newer, seconds: abs(delta.seconds)) {
                    restartReasons.insert(reason, at: 0)
                }
                // The restart is reported once, with every sign of it, below.
                warnings += delta.warnings.filter { !$0.hasPrefix(RuntimeStatsDelta.restartWarningPrefix) }.map { "runtime stats: \($0)" }
                runtime = delta
            } catch {
                let side = va.memStats == nil ? input.a : input.b
                throw SnapshotDiffError.badArtifact(snapshot: side.id, artifact: side.artifactName(.vars), kind: .vars,
                                                    problem: "it has no memstats object, so runtime stats cannot be compared")
            }
        }

        // Execution traces: a trace from Go 1.21 or older is archived but not summarised (one warning says so).
        var trace: TraceComparison?
        if planned.trace {
            var unread: [String] = []
            func summary(_ side: SnapshotDiffInput.Side) throws -> TraceSummary? {
                let data = try bytes(side, .trace)
                do {
                    return try TraceSummarizer.summarize(data)
                } catch {
                    switch error.reason {
                    case .oldFormat, .unsupportedVersion:
                        // A valid trace of a format this version does not read: archived, not summarised.
                        unread.append("the trace of snapshot \(side.id) is not summarised: \(error.description)")
                        return nil
                    default:
                        throw SnapshotDiffError.badArtifact(snapshot: side.id, artifact: side.artifactName(.trace), kind: .trace, problem: "\(error)")
                    }
                }
            }
            let (ta, tb) = (try summary(input.a), try summary(input.b))
            if let ta, let tb { trace = TraceComparison(a: ta, b: tb) }
            if trace == nil && planned.profileKinds.isEmpty && planned.goroutineSource == nil && !planned.runtime {
                throw SnapshotDiffError.traceNotSummarised(a: input.a.id, b: input.b.id, reasons: unread)
            }
            warnings += unread
        }

        if let warning = RestartDetection.warning(a: input.a.id, b: input.b.id, reasons: restartReasons) {
            warnings.insert(warning, at: input.a.target == input.b.target ? 0 : 1)
        }

        // Gates.
        var metrics = gateMetrics(profiles: comparisons, goroutines: growth, runtime: runtime)
        for (k, v) in trace?.gateMetrics ?? [:] { metrics[k] = v }
        // Per-reason and per-kind trace metrics are looked up by name (a reason neither trace has reads as 0).
        let outcomes = try input.gates.map { gate in
            try gate.evaluate(knownMetrics: Array(metrics.keys)) { metrics[$0] ?? trace?.gateMetric($0) }
        }

        let report = SnapshotDiffReport(
            schema: schema,
            a: .init(id: input.a.id, target: input.a.target, takenAt: input.a.takenAt),
            b: .init(id: input.b.id, target: input.b.target, takenAt: input.b.takenAt),
            warnings: warnings,
            profiles: Dictionary(uniqueKeysWithValues: comparisons.map { ($0.kind.rawValue, ProfileDiffJSON($0.diff)) }),
            goroutines: growth.map { SnapshotDiffReport.Goroutines(source: planned.goroutineSource?.rawValue ?? "", growth: $0) },
            runtime: runtime,
            trace: trace,
            gates: outcomes.map(SnapshotDiffReport.Gate.init))
        return SnapshotDiffResult(report: report, profiles: comparisons, goroutines: growth,
                                  goroutineSource: planned.goroutineSource, runtime: runtime, trace: trace, gateOutcomes: outcomes)
    }

    /// Goroutine groups from a goroutine profile.proto: one input per sample, function names leaf first
    /// (inlined frames innermost first), string labels kept.
    public static func goroutineGroups(_ profile: Profile) -> [GoroutineGroupInput] {
        var locationIndex: [UInt64: Int] = [:]
        for (i, l) in profile.locations.enumerated() { locationIndex[l.id] = i }
        var functionNames: [UInt64: String] = [:]
        for f in profile.functions { functionNames[f.id] = f.name }
        return profile.samples.map { sample in
            var names: [String] = []
            for id in sample.locationIDs {
                guard let li = locationIndex[id] else { continue }
                for line in profile.locations[li].lines {
                    names.append(functionNames[line.functionID] ?? "")
                }
            }
            var labels: [String: String] = [:]
            for label in sample.labels {
                if case .string(let v) = label.value { labels[label.key] = v }
            }
            let count = sample.values.first.map { Int(clamping: $0) } ?? 0
            return GoroutineGroupInput.stack(rawFunctions: names, count: count, labels: labels)
        }
    }

    /// Every gate metric of a diff: the goroutine and runtime metrics, plus per compared kind
    /// `KIND.SAMPLE_TYPE` (total of that sample type in A and B, for every sample type both profiles have)
    /// and `KIND` (the compared sample type).
    public static func gateMetrics(profiles: [ProfileComparison], goroutines: GoroutineGrowth?,
                                   runtime: RuntimeStatsDelta?) -> [String: GateMetricValue] {
        var metrics: [String: GateMetricValue] = [:]
        for c in profiles {
            let namesA = Set(c.base.sampleTypes.map(\.type))
            for type in c.current.sampleTypes where namesA.contains(type.type) {
                let ia = c.base.sampleTypes.firstIndex { $0.type == type.type } ?? 0
                let ib = c.current.sampleTypes.firstIndex(of: type) ?? 0
                metrics["\(c.kind).\(type.type)"] = GateMetricValue(
                    a: Double(total(c.base, column: ia)), b: Double(total(c.current, column: ib)), unit: gateUnit(type.unit))
            }
            metrics[c.kind.rawValue] = GateMetricValue(a: Double(c.diff.totalA), b: Double(c.diff.totalB), unit: gateUnit(c.diff.sampleType.unit))
        }
        for (k, v) in goroutines?.gateMetrics ?? [:] { metrics[k] = v }
        for (k, v) in runtime?.gateMetrics ?? [:] { metrics[k] = v }
        return metrics
    }

    /// `3 s`, `5 min`, `2.0 h`, `3.0 d`: how far apart two snapshots are, for warnings.
    static func durationText(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: String(format: "%.0f s", seconds)
        case ..<7200: String(format: "%.0f min", seconds / 60)
        case ..<172_800: String(format: "%.1f h", seconds / 3600)
        default: String(format: "%.1f d", seconds / 86_400)
        }
    }

    static func total(_ p: Profile, column: Int) -> Int64 {
        var sum: Int64 = 0
        for s in p.samples where column < s.values.count { sum &+= s.values[column] }
        return sum
    }

    /// The gate unit of a profile's sample-type unit.
    public static func gateUnit(_ unit: String) -> GateMetricUnit {
        switch unit.lowercased() {
        case "bytes", "byte", "b": .bytes
        case "nanoseconds", "nanosecond", "ns": .nanoseconds
        default: .count
        }
    }
}
