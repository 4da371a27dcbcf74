import Foundation
import GBSnapCore
import SnapshotStore

/// `gbsnap-bench daemon --gbsnap PATH --fixture PATH [--targets N] [--fixtures F] [--kinds K,K]
///  [--stagger SECONDS] [--max-concurrent N] [--spread hash|even] [--work DIR]`
///
/// Runs the real daemon (`gbsnap run`) on N targets served by F Go fixture processes, with one
/// schedule every 5 minutes whose first firing is 60–120 s away, for one firing:
/// - idle CPU and RSS of the daemon before the firing (everything planned, nothing due) and after
///   every capture of the firing is stored (until shortly before the next firing);
/// - lateness of each capture: `started_at - scheduled_at` from every snapshot's manifest
///   (`scheduled_at` is the planned start including the stagger offset), p50/p99/max, and the
///   same for the snapshot's end;
/// - CPU and peak RSS of the daemon through the burst.
func benchDaemon(arguments: [String]) throws {
    var options = DaemonBench.Options()
    var rest = BenchFlags(arguments)
    func value(_ flag: String) throws -> String { try rest.value(flag) }
    func int(_ flag: String) throws -> Int { try rest.positiveInt(flag) }
    while let arg = rest.next() {
        switch arg {
        case "--gbsnap": options.gbsnap = try value(arg)
        case "--fixture": options.fixture = try value(arg)
        case "--targets": options.targets = try int(arg)
        case "--fixtures": options.fixtures = try int(arg)
        case "--kinds": options.kinds = try value(arg)
        case "--stagger": options.staggerSeconds = try int(arg)
        case "--max-concurrent": options.maxConcurrent = try int(arg)
        case "--spread": options.spread = try value(arg)
        case "--work": options.work = try value(arg)
        default: throw DaemonBench.Failure("unexpected argument \"\(arg)\"; usage: gbsnap-bench daemon --gbsnap PATH --fixture PATH [--targets N] [--fixtures F] [--kinds K,K] [--stagger S] [--max-concurrent N] [--spread hash|even] [--work DIR]")
        }
    }
    guard !options.gbsnap.isEmpty, !options.fixture.isEmpty else {
        throw DaemonBench.Failure("the daemon benchmark needs --gbsnap PATH (the gbsnap binary) and --fixture PATH (the built Go fixture)")
    }
    try DaemonBench(options: options).run()
}

struct DaemonBench {
    struct Options {
        var gbsnap = ""
        var fixture = ""
        var targets = 5_000
        var fixtures = 4
        var kinds = "heap,goroutine,vars"
        var staggerSeconds = 240
        var maxConcurrent = 8
        var spread = "hash"
        var work = NSTemporaryDirectory() + "gbsnap-bench-daemon-\(getpid())"
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// CPU time (user + system) and resident set of one process, from /proc.
    struct Sample {
        var wall: Date
        var cpuSeconds: Double
        var rssKiB: Int
        var peakRSSKiB: Int

        static func of(pid: Int32) -> Sample? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            // Fields after "comm)": state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
            func kib(_ key: String) -> Int {
                guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
                return Int(line.dropFirst(key.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") ?? 0
            }
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            return Sample(wall: Date(), cpuSeconds: (utime + stime) / ticks, rssKiB: kib("VmRSS:"), peakRSSKiB: kib("VmHWM:"))
        }
    }

    let options: Options

    func run() throws {
        let work = options.work
        try SystemIO.makeDirectories(work)
        var processes: [Process] = []
        defer {
            for p in processes where p.isRunning { p.terminate() }
            for p in processes { p.waitUntilExit() }
        }

        let urls = try startFixtures(into: &processes)

        // First firing 60-120 s from now, on a minute; then every 5 minutes.
        let now = Date()
        let firstFire = (now.timeIntervalSince1970 / 60).rounded(.up) * 60 + 60
        let minute = Int(firstFire / 60) % 60
        let cron = "\(minute % 5)/5 * * * *"
        let fire = Date(timeIntervalSince1970: firstFire)
        let config = "\(work)/bench.yaml"
        try writeConfig(config, urls: urls, cron: cron)
        let store = "\(work)/store"
        print("daemon: \(options.targets) targets on \(options.fixtures) fixture processes, kinds \(options.kinds), cron \"\(cron)\" (UTC), stagger \(options.staggerSeconds)s \(options.spread), max_concurrent \(options.maxConcurrent)")
        print("  first firing \(Timestamp.formatUTC(fire)); store \(store)")

        let daemon = try spawn(options.gbsnap, ["run", "--config", config, "--store", store],
                               stdout: "\(work)/daemon.out", stderr: "\(work)/daemon.log")
        processes.append(daemon)
        let pid = daemon.processIdentifier

        // Idle before the firing: let start-up settle, then measure until 5 s before the firing.
        Thread.sleep(forTimeInterval: 15)
        guard let idle1Start = Sample.of(pid: pid) else { throw Failure("the daemon exited early; see \(work)/daemon.log") }
        Thread.sleep(until: fire.addingTimeInterval(-5))
        guard let idle1End = Sample.of(pid: pid) else { throw Failure("the daemon exited early; see \(work)/daemon.log") }
        report("idle, \(options.targets * options.kinds.split(separator: ",").count) captures planned", idle1Start, idle1End)

        // The burst: wait until every target has a snapshot (or the stagger window plus 90 s).
        let burstStart = Sample.of(pid: pid) ?? idle1End
        let deadline = fire.addingTimeInterval(Double(options.staggerSeconds) + 90)
        var stored = 0
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 2)
            stored = countStored(store)
            if stored >= options.targets { break }
        }
        guard let burstEnd = Sample.of(pid: pid) else { throw Failure("the daemon exited during the burst; see \(work)/daemon.log") }
        print(String(format: "  burst: %d of %d snapshots stored by %+.1f s after the firing; daemon CPU %.1f s, peak RSS %.1f MiB",
                     stored, options.targets, burstEnd.wall.timeIntervalSince(fire), burstEnd.cpuSeconds - burstStart.cpuSeconds,
                     Double(burstEnd.peakRSSKiB) / 1024))

        // Idle after the firing, until 5 s before the next one.
        let next = fire.addingTimeInterval(300)
        Thread.sleep(forTimeInterval: 5)
        if let idle2Start = Sample.of(pid: pid), next.timeIntervalSinceNow > 20 {
            Thread.sleep(until: next.addingTimeInterval(-5))
            if let idle2End = Sample.of(pid: pid) { report("idle after the firing", idle2Start, idle2End) }
        }

        daemon.terminate()
        daemon.waitUntilExit()
        print("  daemon exit status after SIGTERM: \(daemon.terminationStatus)")
        try reportLateness(store: store)
    }

    func report(_ label: String, _ a: Sample, _ b: Sample) {
        let wall = b.wall.timeIntervalSince(a.wall)
        let cpu = b.cpuSeconds - a.cpuSeconds
        print(String(format: "  %@: %.2f s CPU over %.0f s (%.2f%% of one core), RSS %.1f MiB", label, cpu, wall,
                     cpu / wall * 100, Double(b.rssKiB) / 1024))
    }

    func countStored(_ store: String) -> Int {
        // Counting catalog lines is cheap and needs no lock: one `put` line per snapshot.
        let dir = "\(store)/catalog"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return 0 }
        var n = 0
        for name in names where name.hasSuffix(".jsonl") {
            if let bytes = try? SystemIO.readFile("\(dir)/\(name)", limit: 1 << 30) {
                n += bytes.lazy.filter { $0 == UInt8(ascii: "\n") }.count
            }
        }
        return n
    }

    func reportLateness(store path: String) throws {
        let store = try SnapshotStore(root: path, create: false)
        let entries = try store.list()
        var startLate: [Double] = []
        var endLate: [Double] = []
        var failed = 0
        for e in entries {
            let m = try store.readManifest(archivePath: store.path(forKey: e.key))
            guard let planned = m.scheduledAt.flatMap(Timestamp.parseUTCFast),
                  let started = Timestamp.parseUTCFast(m.startedAt),
                  let finished = Timestamp.parseUTCFast(m.finishedAt) else { continue }
            startLate.append(started.timeIntervalSince(planned))
            endLate.append(finished.timeIntervalSince(planned))
            if m.status != .complete { failed += 1 }
        }
        func percentiles(_ values: [Double]) -> String {
            let s = values.sorted()
            guard !s.isEmpty else { return "no data" }
            func p(_ q: Double) -> Double { s[min(s.count - 1, Int((Double(s.count) * q).rounded(.up)) - 1)] }
            return String(format: "p50 %.3f s, p99 %.3f s, max %.3f s", p(0.50), p(0.99), s[s.count - 1])
        }
        print("  snapshots: \(entries.count) (\(failed) not complete)")
        print("  lateness of the capture start vs planned: \(percentiles(startLate))")
        print("  capture end vs planned start (lateness + capture time): \(percentiles(endLate))")
    }

    func writeConfig(_ path: String, urls: [String], cron: String) throws {
        var yaml = "max_concurrent: \(options.maxConcurrent)\ntargets:\n"
        let width = String(options.targets - 1).count
        var names: [String] = []
        for i in 0..<options.targets {
            let digits = String(i)
            let name = "svc-" + String(repeating: "0", count: width - digits.count) + digits
            names.append(name)
            yaml += "  - name: \(name)\n    url: \(urls[i % urls.count])\n    labels: { fleet: bench }\n"
        }
        yaml += """
        schedules:
          - name: bench
            cron: "\(cron)"
            time_zone: UTC
            selector: { labels: { fleet: bench } }
            kinds: [\(options.kinds)]
            stagger: \(options.staggerSeconds)s
            spread: \(options.spread)

        """
        try SystemIO.writeFileAtomically(path, bytes: Array(yaml.utf8))
    }

    func spawn(_ executable: String, _ arguments: [String], stdout: String, stderr: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: stdout)
        p.standardError = FileHandle(forWritingAtPath: stderr)
        do { try p.run() } catch { throw Failure("cannot start \(executable): \(error)") }
        return p
    }

    /// Starts `options.fixtures` Go fixture processes on loopback (appended to `processes`); returns their base URLs.
    func startFixtures(into processes: inout [Process]) throws -> [String] {
        var urls: [String] = []
        for i in 0..<options.fixtures {
            let out = "\(options.work)/fixture-\(i).out"
            processes.append(try spawn(options.fixture, ["-addr", "127.0.0.1:0"], stdout: out, stderr: "\(options.work)/fixture-\(i).err"))
            urls.append("http://" + (try waitForLine(in: out, prefix: "listening on ")))
        }
        return urls
    }

    func waitForLine(in path: String, prefix: String) throws -> String {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure("\(path) never said \"\(prefix)…\"")
    }
}

/// The flags of a benchmark subcommand, read one at a time.
struct BenchFlags {
    private var rest: ArraySlice<String>

    init(_ arguments: [String]) { rest = arguments[...] }

    mutating func next() -> String? { rest.popFirst() }

    /// The value after `flag`.
    mutating func value(_ flag: String) throws -> String {
        guard let v = rest.popFirst() else { throw DaemonBench.Failure("\(flag) needs a value") }
        return v
    }

    /// The positive integer after `flag`.
    mutating func positiveInt(_ flag: String) throws -> Int {
        let text = try value(flag)
        guard let n = Int(text), n > 0 else { throw DaemonBench.Failure("\(flag) \"\(text)\" is not a positive integer") }
        return n
    }
}
