import ArgumentParser
import BucketStore
import Config
import Foundation
import GBSnapCore
import Retention
import SnapshotStore

extension GBSnapCommand {
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the retention policy: mark every snapshot keep or remove, with reasons, then delete the removals.",
            discussion: """
                The policy comes from the retention: section of --config, or from the rule options below \
                (restic forget style, for one-off use). Pinned snapshots and the newest snapshot of each \
                target are never removed. See docs/retention.md.
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(help: ArgumentHelp("Config file whose retention: section is the policy.", valueName: "file"))
        var config: String?
        @Flag(name: .customLong("dry-run"), help: "Show the plan; delete nothing.") var dryRun = false
        @Option(help: ArgumentHelp("Plan as if it were this ISO 8601 time (default: now).", valueName: "time"), transform: TimeArgument.parse)
        var now: TimeArgument?
        @Flag(help: "Print JSON.") var json = false

        @Option(name: .customLong("keep-last"), parsing: .unconditional, help: ArgumentHelp("Keep the N newest snapshots (-1: all).", valueName: "n"))
        var keepLast: Int?
        @Option(name: .customLong("keep-hourly"), parsing: .unconditional, help: ArgumentHelp("Keep the newest snapshot of each of the last N hours that have one.", valueName: "n"))
        var keepHourly: Int?
        @Option(name: .customLong("keep-daily"), parsing: .unconditional, help: ArgumentHelp("The same for days.", valueName: "n"))
        var keepDaily: Int?
        @Option(name: .customLong("keep-weekly"), parsing: .unconditional, help: ArgumentHelp("The same for ISO weeks.", valueName: "n"))
        var keepWeekly: Int?
        @Option(name: .customLong("keep-monthly"), parsing: .unconditional, help: ArgumentHelp("The same for months.", valueName: "n"))
        var keepMonthly: Int?
        @Option(name: .customLong("keep-yearly"), parsing: .unconditional, help: ArgumentHelp("The same for years.", valueName: "n"))
        var keepYearly: Int?
        @Option(name: .customLong("keep-within"), help: ArgumentHelp("Keep everything taken within this long of the newest snapshot (e.g. 2d).", valueName: "duration"),
                transform: DurationArgument.parse)
        var keepWithin: DurationArgument?
        @Option(name: .customLong("max-age"), help: ArgumentHelp("Remove snapshots older than this (e.g. 90d).", valueName: "duration"),
                transform: DurationArgument.parse)
        var maxAge: DurationArgument?
        @Option(name: .customLong("max-total-bytes"), help: ArgumentHelp("Remove the oldest snapshots until the rest fit (e.g. 10GiB).", valueName: "size"),
                transform: ByteSizeArgument.parse)
        var maxTotalBytes: ByteSizeArgument?
        @Option(name: .customLong("keep-failed-last"), parsing: .unconditional, help: ArgumentHelp("Keep the N newest failed captures (no data) of each target (default 3; -1: all); they never count toward the other keep options.", valueName: "n"))
        var keepFailedLast: Int?
        @Option(name: .customLong("keep-failed-within"), help: ArgumentHelp("Keep every failed capture taken within this long of now (default 24h; 0: none by age).", valueName: "duration"),
                transform: DurationArgument.parse)
        var keepFailedWithin: DurationArgument?
        @Option(name: .customLong("target"), help: ArgumentHelp("Apply the rule options only to this target (name or glob; repeatable).", valueName: "name"))
        var targets: [String] = []
        @Option(name: .customLong("kind"), help: ArgumentHelp("Apply the rule options only to snapshots holding this kind (repeatable).", valueName: "kind"),
                transform: CaptureKind.parse)
        var kinds: [CaptureKind] = []
        @Option(name: [.customLong("tz"), .customLong("time-zone")], help: ArgumentHelp("IANA zone whose hours/days/weeks the rule options count in (default UTC); --tz as on every command (--time-zone is the old name).", valueName: "zone"),
                transform: ZoneArgument.parse)
        var timeZone: ZoneArgument?

        /// The rule given by options, or nil when no rule option is set (the values are parsed already).
        func commandLineRule() throws(ValidationError) -> RetentionRule? {
            let counts = [keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepFailedLast]
            guard counts.contains(where: { $0 != nil }) || keepWithin != nil || maxAge != nil || maxTotalBytes != nil
                || keepFailedWithin != nil
            else {
                if !targets.isEmpty || !kinds.isEmpty || timeZone != nil {
                    throw ValidationError("--target, --kind and --tz narrow the rule options; give at least one --keep-*, --max-age or --max-total-bytes option")
                }
                return nil
            }
            return RetentionRule(
                selector: RetentionSelector(targets: targets, kinds: kinds.map(\.rawValue)),
                keepLast: keepLast, keepHourly: keepHourly, keepDaily: keepDaily, keepWeekly: keepWeekly,
                keepMonthly: keepMonthly, keepYearly: keepYearly,
                keepWithin: keepWithin?.duration, maxAge: maxAge?.duration,
                maxTotalBytes: maxTotalBytes?.bytes, keepFailedLast: keepFailedLast,
                keepFailedWithin: keepFailedWithin?.duration)
        }

        /// Usage errors (exit 2) before anything is read.
        func validate() throws {
            let rule = try commandLineRule()
            if rule != nil && config != nil {
                throw ValidationError("give either --config or rule options (--keep-*, --max-age, --max-total-bytes), not both")
            }
            if rule == nil && config == nil {
                throw ValidationError("no retention policy: give --config FILE with a retention: section, or rule options such as --keep-daily 7")
            }
        }

        func run() async throws {
            let rule = try commandLineRule()
            let time = now?.date() ?? Date()
            try await reportingFailures {
                var location = storeOptions.location
                let policy: RetentionPolicy
                if let rule {
                    policy = RetentionPolicy(rules: [rule], timeZone: timeZone.timeZone(default: .gmt))
                } else {
                    let path = config ?? ""
                    let file = try ConfigLoading.load(path)
                    guard let retention = file.retention else {
                        throw PruneCommandError("config \(path) has no retention: section, so there is no policy to apply")
                    }
                    policy = retention
                    location = storeOptions.location(config: file.store)
                }
                if AnyStore.isBucket(location.root) {
                    let bucket = try BucketStore.open(location.root, environment: ProcessInfo.processInfo.environment)
                    do {
                        try await report(plan: { try await bucket.planPrune(policy: policy, now: time) },
                                         apply: { try await bucket.prune(policy: policy, now: time, progress: $0) })
                        await bucket.shutdown()
                    } catch {
                        await bucket.shutdown()
                        throw error
                    }
                    return
                }
                let store = try SnapshotStore(root: location.root, create: false)
                try await report(plan: { try store.planPrune(policy: policy, now: time) },
                                 apply: { try store.prune(policy: policy, now: time, progress: $0) })
            }
        }

        /// Plans (`--dry-run`) or applies, and prints the plan and what was done, the same for a local store and a bucket.
        private func report(plan makePlan: () async throws -> RetentionPlan, apply: (StoreProgress?) async throws -> PruneResult) async throws {
            if dryRun {
                let plan = try await makePlan()
                if json {
                    try Console.printJSON(plan)
                } else {
                    printPlan(plan)
                    print("would remove \(plan.removeIDs.count) \(snapshots(plan.removeIDs.count)), freeing \(ValueFormatter.format(plan.bytesFreed, unit: "bytes"))")
                }
                return
            }
            let progress = StoreProgressLine("gbsnap prune: removing", quiet: json)
            defer { progress.finish() }
            let result = try await apply(progress.callback)
            progress.finish()
            if json {
                try Console.printJSON(result)
            } else {
                printPlan(result.plan)
                for skip in result.skipped { Console.warning(skip.description) }
                print("removed \(result.removedIDs.count) \(snapshots(result.removedIDs.count)), freed \(ValueFormatter.format(result.bytesFreed, unit: "bytes"))")
            }
        }

        /// `2026-11-26T02:00:00Z` (milliseconds only when present); fast enough for a million rows.
        static func utc(_ date: Date) -> String {
            let s = Timestamp.formatUTCFast(date)
            return s.hasSuffix(".000Z") ? String(s.dropLast(5)) + "Z" : s
        }

        private func snapshots(_ n: Int) -> String { n == 1 ? "snapshot" : "snapshots" }

        private func printPlan(_ plan: RetentionPlan) {
            for warning in plan.warnings { Console.warning(warning) }
            guard !plan.decisions.isEmpty else {
                print("no snapshots")
                return
            }
            let rows = plan.decisions.map { d in
                [d.id, Self.utc(d.takenAt), d.action.rawValue, d.explanation]
            }
            print(Console.table(["ID", "TAKEN (UTC)", "ACTION", "REASONS"], rows))
        }
    }
}

/// A prune failure that is not a store or retention error (e.g. a config without a policy).
struct PruneCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
