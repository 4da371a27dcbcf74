import Cron
import Foundation
import GBSnapCore
import Retention
import S3
import Scheduling
import Yams

/// A loaded and validated gbsnap config file (see docs/config.md).
public struct ConfigFile: Sendable {
    /// The file name the config was loaded from (used in error messages).
    public var fileName: String
    /// `store:`: the snapshot store root, if the config sets one.
    public var store: String?
    /// `max_concurrent:`: the most captures running at once across all targets.
    public var maxConcurrent: Int
    /// `targets:`, in file order, with `defaults:` applied.
    public var targets: [TargetSpec]
    /// `schedules:`, in file order, with targets resolved and `defaults:` applied.
    public var schedules: [ConfiguredSchedule]
    /// `retention:`, if present.
    public var retention: RetentionPolicy?

    /// Default of `max_concurrent`.
    public static let defaultMaxConcurrent = 8

    /// Memberwise initializer.
    public init(fileName: String, store: String? = nil, maxConcurrent: Int = ConfigFile.defaultMaxConcurrent,
                targets: [TargetSpec], schedules: [ConfiguredSchedule], retention: RetentionPolicy? = nil) {
        self.fileName = fileName
        self.store = store
        self.maxConcurrent = maxConcurrent
        self.targets = targets
        self.schedules = schedules
        self.retention = retention
    }

    /// `s3:`: endpoint, region, credentials (secrets as file names), addressing and CA of a bucket store
    /// (`store: s3://…`); the `AWS_*` environment wins over each (docs/s3.md).
    public var s3: S3Configuration.FileSettings? = nil

    /// `metrics_listen:`: where the daemon serves `/metrics` and `/healthz`; nil (the default) serves nothing.
    public var metricsListen: ListenAddress? = nil

    /// `shard: {index: I, count: N}`: the slice of the targets this daemon captures when N daemons share a
    /// store; nil captures every target. `--shard` overrides it.
    public var shard: Shard? = nil

    /// The config as the daemon of `shard` runs it: only the targets the shard owns, in schedules and
    /// triggers alike (a schedule or trigger left with none plans nothing). `shard` nil changes nothing.
    public func restricted(to shard: Shard?) -> ConfigFile {
        guard let shard = Shard.dividing(shard) else { return self }
        var config = self
        config.targets = targets.filter { shard.owns($0.name) }
        for i in config.schedules.indices { config.schedules[i].targets.removeAll { !shard.owns($0) } }
        for i in config.triggers.indices { config.triggers[i].targets.removeAll { !shard.owns($0) } }
        return config
    }

    /// SHA-256 of the config text (64 hex digits), for the daemon's `gbsnap_config_info`.
    public var sha256 = ""

    /// `triggers:`, in file order, with targets resolved and `defaults:` kinds and params applied.
    public var triggers: [ConfiguredTrigger] = []

    /// Credential and CA files the config names (auth token and password files, TLS files), with
    /// their positions, in file order.
    public var referencedFiles: [ReferencedFile] = []

    /// Warnings for referenced files that cannot be used, at the position that names them.
    /// `problem` returns why a path is unusable (`does not exist`, `is not readable`), or nil;
    /// relative paths are as the daemon resolves them, from its working directory.
    public func fileProblems(_ problem: (String) -> String?) -> [ConfigError] {
        var seen = Set<String>()
        return referencedFiles.compactMap { f in
            guard seen.insert("\(f.line):\(f.column)").inserted, let why = problem(f.path) else { return nil }
            return ConfigError(file: fileName, line: f.line, column: f.column,
                               message: "warning: \(f.what) \(f.path) \(why); \(f.consequence)")
        }
    }

    /// The target called `name`, if any.
    public func target(named name: String) -> TargetSpec? { targets.first { $0.name == name } }

    /// The schedules as the planner sees them.
    public var scheduleSpecs: [ScheduleSpec] { schedules.map(\.spec) }

    /// A planner for all schedules with the config's concurrency cap.
    /// The planner for these schedules. With `modelConcurrencyCap`, `max_concurrent` is modelled
    /// with the estimated capture durations (what `gbsnap schedule` shows: a forecast). The daemon
    /// passes false: it enforces the cap live with real durations, and modelling it with the
    /// estimate (1 s per kind, far longer than a typical small capture) would postpone captures
    /// that could run on time.
    public func planner(modelConcurrencyCap: Bool = true) -> Planner {
        Planner(schedules: scheduleSpecs, maxConcurrent: modelConcurrencyCap ? maxConcurrent : nil)
    }

    /// Reads and validates the file at `path`; every problem found is reported at once.
    public static func load(path: String) throws(ConfigErrors) -> ConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: "cannot read the config file: \(reason)",
                                                underlying: error)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: "the config file is not valid UTF-8 text")])
        }
        return try parse(yaml: text, fileName: path)
    }

    /// Parses and validates YAML text; `fileName` is used in the error messages.
    public static func parse(yaml: String, fileName: String) throws(ConfigErrors) -> ConfigFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigErrors([yamlError(error, fileName: fileName)])
        }
        guard let root, !NodeReader.isNull(root) else {
            throw ConfigErrors([ConfigError(file: fileName, line: 0, column: 0,
                                            message: "the config file is empty; expected a mapping with at least a targets: list")])
        }
        var loader = Loader(reader: NodeReader(file: fileName))
        let config = loader.load(root)
        guard loader.reader.errors.isEmpty, var config else { throw ConfigErrors(loader.reader.errors) }
        var hasher = SHA256Hasher()
        hasher.update(Array(yaml.utf8))
        config.sha256 = hasher.finalizeHex()
        return config
    }

    static func yamlError(_ error: any Error, fileName: String) -> ConfigError {
        guard let y = error as? YamlError else {
            return ConfigError(file: fileName, line: 0, column: 0, message: "the file is not valid YAML: \(error)", underlying: error)
        }
        switch y {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { " \($0.text)" } ?? ""
            return ConfigError(file: fileName, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(ctx)", underlying: y)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: fileName, line: context.mark.line, column: context.mark.column,
                               message: "duplicate key \"\(duplicates.first ?? "")\" in a mapping")
        case .reader(let problem, let offset, _, _):
            return ConfigError(file: fileName, line: 0, column: 0,
                               message: "invalid YAML text: \(problem)\(offset.map { " at byte \($0)" } ?? "")")
        default:
            return ConfigError(file: fileName, line: 0, column: 0, message: "the file is not valid YAML: \(y)")
        }
    }
}

/// A file a config names (a token, password, CA, certificate or key file) and where.
public struct ReferencedFile: Sendable, Hashable {
    /// The path as written.
    public var path: String
    /// Which setting names it, e.g. `target "payment-gw": tls ca_file`.
    public var what: String
    /// 1-based line and column of the value.
    public var line: Int
    public var column: Int
    /// What fails while the file is unusable, for the warning.
    public var consequence: String = ReferencedFile.captureConsequence

    /// The consequence of a target's unusable credential or TLS file.
    public static let captureConsequence = "every capture of the target would fail"
}

/// One schedule of the config, resolved.
public struct ConfiguredSchedule: Sendable, Hashable {
    /// `name:`, unique in the file.
    public var name: String
    /// Parsed with the schedule name as the `H` hash key.
    public var cron: CronExpression
    /// `time_zone:` (default UTC), the zone the cron expression is read in.
    public var timeZone: TimeZone
    /// Target names, in config order: those listed under `targets:` plus those the selector matches.
    public var targets: [String]
    /// Kinds in the order given; one capture takes them one after another.
    public var kinds: [CaptureKind]
    /// `params:` over `defaults: params:` over the built-in defaults.
    public var parameters: CaptureParameters
    /// `stagger:`: the window captures are spread over after each firing.
    public var stagger: Duration
    /// `spread:`: `hash` or `even`.
    public var spread: StaggerSpread
    /// `catch_up:`: `skip` or `once`.
    public var catchUp: CatchUpPolicy

    /// Memberwise initializer.
    public init(name: String, cron: CronExpression, timeZone: TimeZone, targets: [String], kinds: [CaptureKind],
                parameters: CaptureParameters, stagger: Duration, spread: StaggerSpread, catchUp: CatchUpPolicy) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.targets = targets
        self.kinds = kinds
        self.parameters = parameters
        self.stagger = stagger
        self.spread = spread
        self.catchUp = catchUp
    }

    /// Estimated duration of one capture of all kinds: 1 s per request plus the cpu, trace and
    /// custom endpoints' seconds.
    public var estimatedCaptureDuration: Duration {
        CaptureEstimate.duration(kinds: kinds, cpuSeconds: parameters.cpuSeconds,
                                 traceSeconds: parameters.traceSeconds,
                                 customSeconds: parameters.customEndpoints.reduce(0) { $0 + $1.extraSeconds })
    }

    /// The planner's view of this schedule.
    public var spec: ScheduleSpec {
        ScheduleSpec(name: name, cron: cron, timeZone: timeZone, targets: targets, kinds: kinds,
                     stagger: stagger, spread: spread, catchUp: catchUp, estimatedCaptureDuration: estimatedCaptureDuration)
    }
}
