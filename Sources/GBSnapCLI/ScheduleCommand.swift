import ArgumentParser
import Config
import Cron
import Units
import Foundation
import Scheduling

extension GBSnapCommand {
    /// `gbsnap schedule --config F [--from] [--until] [--tz] [--json]`: the planned capture timeline.
    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: "Print the planned, staggered capture timeline of a config (firings in [--from, --until)).",
            discussion: """
                Without --until the window runs from --from until every schedule has fired at least once (at least \
                one hour), and the text output shows at most --limit captures (default \(defaultLimit)); the last line \
                says how many were left out and how to see them. --json always prints the whole window.

                Where max_concurrent or a busy target would delay a capture, the start is pushed and the \
                reason shown, using a deliberately pessimistic estimate of each capture (1 s per kind plus \
                cpu/trace/custom seconds). The daemon enforces both limits live with real durations, so \
                it is usually on time where this forecast shows pushes.
                """)

        @Option(help: "The config file.")
        var config: String

        @Option(help: ArgumentHelp("Start of the window, ISO 8601 (default: now). Without an offset it is read in --tz.", valueName: "time"),
                transform: TimeArgument.parse)
        var from: TimeArgument?

        @Option(help: ArgumentHelp("End of the window, ISO 8601 (default: until every schedule has fired once, at least one hour).", valueName: "time"),
                transform: TimeArgument.parse)
        var until: TimeArgument?

        @Option(help: "Text output shows at most this many captures (0 = all; default \(defaultLimit) without --until, all with it).")
        var limit: Int?

        static let defaultLimit = 50

        @Option(help: ArgumentHelp("IANA time zone for printing and for times without an offset (default: the system zone).", valueName: "zone"),
                transform: ZoneArgument.parse)
        var tz: ZoneArgument?

        @Option(help: ArgumentHelp("Show only the captures of this shard's targets: INDEX/COUNT, e.g. 0/3 (default: the config's shard:, else all).",
                                   valueName: "index/count"),
                transform: ShardArgument.parse)
        var shard: ShardArgument?

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit \(limit) must be 0 (all) or more") }
        }

        func run() async throws {
            let zone = tz.timeZone()
            let start = from?.date(in: zone) ?? Date()
            let whole = try ConfigLoading.load(config)
            let shard = self.shard?.shard ?? whole.shard
            let loaded = whole.restricted(to: shard)
            let end = until?.date(in: zone) ?? Self.defaultEnd(loaded, from: start)
            guard end > start else { throw ValidationError("--until must be after --from") }
            let plan = loaded.planner().plan(from: start, until: end)
            if json {
                try Console.printJSONArray(plan) { PlannedCaptureJSON($0, zone: zone) }
                return
            }
            if let shard, shard.count > 1 {
                print("shard \(shard): \(loaded.targets.count) of \(whole.targets.count) targets")
            }
            if plan.isEmpty {
                print("no captures planned between \(ISO8601Offset.format(start, in: zone)) and \(ISO8601Offset.format(end, in: zone))")
                return
            }
            let limit = self.limit ?? (until == nil ? Self.defaultLimit : 0)
            let shown = limit > 0 ? Array(plan.prefix(limit)) : plan
            let rows = shown.map { c in
                [ISO8601Offset.format(c.plannedStart, in: zone), c.target, c.schedule, ISO8601Offset.format(c.fireTime, in: zone),
                 Self.seconds(c.offset), c.kinds.map(\.rawValue).joined(separator: ","), c.pushed.map { "pushed: \($0.rawValue)" } ?? ""]
            }
            print(Console.table(["START", "TARGET", "SCHEDULE", "FIRED", "OFFSET", "KINDS", "NOTE"], rows))
            let window = "from \(ISO8601Offset.format(start, in: zone)) until \(ISO8601Offset.format(end, in: zone))"
                + (until == nil ? " (until every schedule has fired once, at least an hour)" : "")
            if shown.count < plan.count {
                print("... \(plan.count - shown.count) more: \(plan.count) captures planned \(window); --limit 0 shows all, --until sets the window")
            } else {
                print("\(plan.count) capture\(plan.count == 1 ? "" : "s") planned \(window)")
            }
        }

        /// The default end of the window: when every schedule has fired once after `start` (plus its
        /// stagger, so its captures show), and at least one hour after `start`.
        static func defaultEnd(_ config: ConfigFile, from start: Date) -> Date {
            var end = start.addingTimeInterval(3600)
            for s in config.schedules where !s.targets.isEmpty {
                guard let fire = s.cron.next(after: start.addingTimeInterval(-0.001), in: s.timeZone) else { continue }
                let stagger = Double(s.stagger.components.seconds) + 1
                end = max(end, fire.addingTimeInterval(stagger))
            }
            return end
        }

        static func seconds(_ d: Duration) -> String {
            let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
            return String(format: "+%lld.%03llds", ms / 1000, ms % 1000)
        }
    }
}

/// One planned capture as `gbsnap schedule --json` prints it.
struct PlannedCaptureJSON: Encodable {
    var schedule: String
    var target: String
    var kinds: [String]
    var fireTime: String
    var offsetMillis: Int64
    var plannedStart: String
    var plannedEnd: String
    var pushed: String?

    enum CodingKeys: String, CodingKey {
        case schedule, target, kinds, pushed
        case fireTime = "fire_time", offsetMillis = "offset_ms", plannedStart = "planned_start", plannedEnd = "planned_end"
    }

    init(_ c: PlannedCapture, zone: TimeZone) {
        schedule = c.schedule
        target = c.target
        kinds = c.kinds.map(\.rawValue)
        fireTime = ISO8601Offset.format(c.fireTime, in: zone)
        offsetMillis = c.offset.components.seconds * 1000 + c.offset.components.attoseconds / 1_000_000_000_000_000
        plannedStart = ISO8601Offset.format(c.plannedStart, in: zone)
        plannedEnd = ISO8601Offset.format(c.plannedEnd, in: zone)
        pushed = c.pushed?.rawValue
    }
}
