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
                Where max_concurrent or a busy target would delay a capture, the start is pushed and the \
                reason shown, using a deliberately pessimistic estimate of each capture (1 s per kind plus \
                cpu/trace/custom seconds). The daemon enforces both limits live with real durations, so \
                it is usually on time where this forecast shows pushes.
                """)

        @Option(help: "The config file.")
        var config: String

        @Option(help: "Start of the window, ISO 8601 (default: now). Without an offset it is read in --tz.")
        var from: String?

        @Option(help: "End of the window, ISO 8601 (default: 24 hours after --from).")
        var until: String?

        @Option(help: "IANA time zone for printing and for times without an offset (default: the system zone).")
        var tz: String?

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            let zone = try CLIZone.resolve(tz)
            for (name, value) in [("--from", from), ("--until", until)] {
                if let value, ISO8601Offset.parse(value, in: zone) == nil {
                    throw ValidationError("\(name) \"\(value)\" is not an ISO 8601 time such as 2026-11-27T02:00:00+08:00")
                }
            }
        }

        func run() async throws {
            let zone = try CLIZone.resolve(tz)
            let start = from.flatMap { ISO8601Offset.parse($0, in: zone) } ?? Date()
            let end = until.flatMap { ISO8601Offset.parse($0, in: zone) } ?? start.addingTimeInterval(86_400)
            guard end > start else { throw ValidationError("--until must be after --from") }
            let loaded = try ConfigLoading.load(config)
            let plan = loaded.planner().plan(from: start, until: end)
            if json {
                try Console.printJSONArray(plan) { PlannedCaptureJSON($0, zone: zone) }
                return
            }
            if plan.isEmpty {
                print("no captures planned between \(ISO8601Offset.format(start, in: zone)) and \(ISO8601Offset.format(end, in: zone))")
                return
            }
            let rows = plan.map { c in
                [ISO8601Offset.format(c.plannedStart, in: zone), c.target, c.schedule, ISO8601Offset.format(c.fireTime, in: zone),
                 Self.seconds(c.offset), c.kinds.joined(separator: ","), c.pushed.map { "pushed: \($0.rawValue)" } ?? ""]
            }
            print(Console.table(["START", "TARGET", "SCHEDULE", "FIRED", "OFFSET", "KINDS", "NOTE"], rows))
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
        kinds = c.kinds
        fireTime = ISO8601Offset.format(c.fireTime, in: zone)
        offsetMillis = c.offset.components.seconds * 1000 + c.offset.components.attoseconds / 1_000_000_000_000_000
        plannedStart = ISO8601Offset.format(c.plannedStart, in: zone)
        plannedEnd = ISO8601Offset.format(c.plannedEnd, in: zone)
        pushed = c.pushed?.rawValue
    }
}
