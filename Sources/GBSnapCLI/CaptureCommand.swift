import ArgumentParser
import BucketStore
import Capture
import Config
import Foundation
import GBSnapCore
import Logging
import S3
import SnapshotStore
import Snapshotter

extension GBSnapCommand {
    struct Capture: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Capture one snapshot now and print its id.",
            discussion: """
            Either a target of a config file (`gbsnap capture TARGET --config F`) or an ad hoc one \
            (`gbsnap capture --url URL --name NAME`). Credentials in the URL (http://user:pass@host) are used as \
            basic auth and never stored. Without --kinds, a config target takes the kinds of the first schedule \
            that captures it; otherwise \(Self.defaultKinds.map(\.rawValue).joined(separator: ",")). \
            Exit status: 0 when the snapshot is complete or partial (failed artifacts are warned about on \
            stderr), 1 when every artifact failed (the snapshot is still stored) or nothing could be attempted.
            """)

        static let defaultKinds: [CaptureKind] = [.heap, .goroutine, .stacks, .vars]

        @Argument(help: "A target name from --config.") var target: String?
        @Option(help: ArgumentHelp("The config file that defines TARGET; its store: is used unless --store or GBSNAP_STORE is given.", valueName: "file"))
        var config: String?
        @Option(help: ArgumentHelp("Ad hoc target: its base URL, e.g. http://10.0.0.5:6060.", valueName: "url")) var url: String?
        @Option(help: ArgumentHelp("Ad hoc target: its name in the store.", valueName: "name")) var name: String?
        @Option(help: ArgumentHelp("Comma-separated capture kinds, e.g. heap,goroutine,vars.", valueName: "k1,k2"), transform: KindListArgument.parse)
        var kinds: KindListArgument?
        @Option(name: .customLong("label"), help: ArgumentHelp("Ad hoc target label key=value (repeatable).", valueName: "k=v"),
                transform: LabelArgument.parse)
        var labels: [LabelArgument] = []
        @Option(help: ArgumentHelp("Per-request timeout (cpu and trace add their seconds), e.g. 30s.", valueName: "duration"),
                transform: PositiveDurationArgument.parse)
        var timeout: PositiveDurationArgument?
        @Option(help: ArgumentHelp("Seconds for cpu and trace captures.", valueName: "n")) var seconds: Int?
        @Flag(help: "Print the snapshot's catalog entry as JSON instead of its id.") var json = false
        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            switch (target, url) {
            case (nil, nil): throw ValidationError("give a TARGET with --config, or --url and --name")
            case (.some, .some): throw ValidationError("give either a TARGET or --url, not both")
            case (.some, nil):
                if config == nil { throw ValidationError("TARGET \"\(target ?? "")\" needs --config FILE that defines it") }
                if name != nil || !labels.isEmpty { throw ValidationError("--name and --label are for --url targets") }
            case (nil, .some):
                guard let name, !name.isEmpty else { throw ValidationError("--url needs --name NAME for the store") }
            }
            if let seconds, seconds <= 0 { throw ValidationError("--seconds \(seconds) must be at least 1") }
        }

        func run() async throws {
            let kindList = kinds?.kinds
            try await reportingFailures {
                var spec: TargetSpec
                var requestKinds: [CaptureKind]
                var parameters = CaptureParameters()
                var location = storeOptions.location
                var s3Settings: S3Configuration.FileSettings?
                if let target, let config {
                    let file = try ConfigLoading.load(config)
                    guard let found = file.target(named: target) else {
                        throw CaptureCommandError("target \"\(target)\" is not defined in \(config); known targets: \(file.targets.map(\.name).joined(separator: ", "))")
                    }
                    spec = found
                    let schedule = file.schedules.first { $0.targets.contains(target) }
                    requestKinds = kindList ?? schedule?.kinds ?? Self.defaultKinds
                    parameters = schedule?.parameters ?? parameters
                    location = storeOptions.location(config: file.store)
                    s3Settings = file.s3
                } else {
                    spec = TargetSpec(name: name ?? "", baseURL: url ?? "", labels: labels.map)
                    requestKinds = kindList ?? Self.defaultKinds
                }
                if let timeout { spec.timeouts.total = timeout.duration }
                if let seconds {
                    parameters.cpuSeconds = seconds
                    parameters.traceSeconds = seconds
                }
                // Failures are reported below, one warning per artifact; the library's progress lines are not needed here.
                var logger = Logger(label: "gbsnap.capture")
                logger.logLevel = .error
                let bucket: BucketStore?
                let snapshotter: Snapshotter
                if AnyStore.isBucket(location.root) {
                    let opened = try BucketStore.open(location.root, environment: ProcessInfo.processInfo.environment,
                                                      settings: s3Settings ?? S3Configuration.FileSettings())
                    bucket = opened
                    do {
                        try await opened.checkAccess()
                        warnAdopted((try? await opened.adoptUnrecorded(targets: [spec.name])) ?? [])
                        snapshotter = try Snapshotter.forBucket(opened, logger: logger)
                    } catch {
                        await opened.shutdown()
                        throw error
                    }
                } else {
                    let store = try SnapshotStore(root: location.root, create: true)
                    // Cheap: one listing of this target's directories and one read of its catalog shard.
                    warnAdopted((try? store.adoptUncataloguedArchives(targets: [spec.name])) ?? [])
                    bucket = nil
                    snapshotter = try Snapshotter(store: store, logger: logger)
                }
                let taken: TakenSnapshot
                let countdown = CaptureCountdown.start(kinds: requestKinds, parameters: parameters, quiet: json)
                do {
                    taken = try await snapshotter.takeRecorded(CaptureRequest(target: spec, kinds: requestKinds, parameters: parameters),
                                                               schedule: "manual")
                } catch {
                    await countdown?.stop()
                    await snapshotter.shutdown()
                    await bucket?.shutdown()
                    throw error
                }
                await countdown?.stop()
                await snapshotter.shutdown()
                await bucket?.shutdown()
                let entry = taken.entry
                if json { try Console.printJSON(entry) } else { print(entry.id) }
                for a in taken.manifest?.artifacts ?? [] {
                    // With nothing captured, a kind the target does not serve is a reason too.
                    if a.status == .failed || (entry.status == .failed && a.status != .ok) {
                        Console.warning("\(entry.id): \(a.name) \(a.status.rawValue): \(a.error ?? a.note ?? "no reason recorded")")
                    }
                }
                if entry.status == .failed {
                    Console.error("snapshot \(entry.id) of \(spec.name) failed: no artifact was captured (the reason for each is above; the snapshot is stored, see `gbsnap list --failed`)")
                    throw ExitCode(1)
                }
            }
        }
    }
}

/// One warning per archive a crash had left out of the catalog: adopted, or left out with why.
private func warnAdopted(_ found: [AdoptedArchive]) {
    for found in found {
        if let entry = found.entry {
            Console.warning("adopted snapshot \(entry.id) into the catalog: its archive \(found.key) was stored but its catalog entry was not (an interrupted capture)")
        } else if let problem = found.problem {
            Console.warning(problem)
        }
    }
}

/// While a cpu or trace capture runs (the target profiles for its seconds before it answers), a line on a terminal
/// counting those seconds, so a quiet wait does not look like a hang. Timed here rather than from the bytes the
/// fetcher receives: a profile arrives only once its seconds are over.
struct CaptureCountdown {
    private let task: Task<Void, Never>

    /// Starts the line, or returns nil when nothing waits (no cpu or trace), stderr is no terminal, or `quiet`.
    static func start(kinds: [CaptureKind], parameters: CaptureParameters, quiet: Bool) -> CaptureCountdown? {
        var waits: [String] = []
        var expected = 0
        if kinds.contains(.cpu) {
            waits.append("cpu")
            expected += parameters.cpuSeconds
        }
        if kinds.contains(.trace) {
            waits.append("trace")
            expected += parameters.traceSeconds  // one target's cpu and trace are fetched one after the other
        }
        let line = TerminalProgress("gbsnap capture: \(waits.joined(separator: " and "))", total: expected, quiet: quiet)
        guard !waits.isEmpty, line.enabled else { return nil }
        let started = ContinuousClock.now
        return CaptureCountdown(task: Task {
            var line = line
            while !Task.isCancelled {
                let elapsed = Int((ContinuousClock.now - started).components.seconds)
                line.update(text: elapsed < expected ? "\(elapsed)s of \(expected)s" : "\(expected)s of \(expected)s, waiting for the answer")
                try? await Task.sleep(for: .milliseconds(250))
            }
            line.finish()
        })
    }

    /// Erases the line (before the snapshot's id or warnings are printed).
    func stop() async {
        task.cancel()
        await task.value
    }
}

/// A `gbsnap capture` problem with its inputs.
struct CaptureCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
