import Foundation
import GBSnapCore
import SnapshotStore

/// `gbsnap-bench daemon --gbsnap PATH --fixture PATH [--targets N] [--fixtures F] [--kinds K,K]
///  [--stagger SECONDS] [--max-concurrent N] [--spread hash|even] [--work DIR] [--probe-health]`
///
/// Runs the real daemon (`gbsnap run`) on N targets served by F Go fixture processes, with one
/// schedule every 5 minutes whose first firing is 60–120 s away, for one firing:
/// - idle CPU and RSS of the daemon before the firing (everything planned, nothing due) and after
///   every capture of the firing is stored (until shortly before the next firing);
/// - lateness of each capture: `started_at - scheduled_at` from every snapshot's manifest
///   (`scheduled_at` is the planned start including the stagger offset), p50/p99/max, and the
///   same for the snapshot's end;
/// - CPU and peak RSS of the daemon through the burst;
/// - with `--probe-health`, the daemon serves `metrics_listen` and `GET /healthz` is asked every 0.5 s
///   through the burst (curl, 10 s timeout): how many answers, which status, how fast. /healthz is 503
///   when the scheduler loop has not beaten lately, so this shows whether the daemon's timers and HTTP
///   serving keep going while its store is slow.
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
        case "--probe-health": options.probeHealth = true
        default: throw DaemonBench.Failure("unexpected argument \"\(arg)\"; usage: gbsnap-bench daemon --gbsnap PATH --fixture PATH [--targets N] [--fixtures F] [--kinds K,K] [--stagger S] [--max-concurrent N] [--spread hash|even] [--work DIR] [--probe-health]")
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
        var probeHealth = false
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
        let healthPort = options.probeHealth ? try Self.freePort() : nil
        try writeConfig(config, urls: urls, cron: cron, metricsPort: healthPort)
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
        let probe = healthPort.map { HealthProbe(port: $0) }
        probe?.start()
        var stored = 0
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 2)
            stored = countStored(store)
            if stored >= options.targets { break }
        }
        if let probe { print("  " + probe.stop()) }
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

    func writeConfig(_ path: String, urls: [String], cron: String, metricsPort: Int?) throws {
        var yaml = "max_concurrent: \(options.maxConcurrent)\n"
        if let metricsPort { yaml += "metrics_listen: \"127.0.0.1:\(metricsPort)\"\n" }
        yaml += "targets:\n"
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

extension DaemonBench {
    /// A port free on loopback now (bound to 0 and released), for the daemon's `metrics_listen`.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure("cannot bind a loopback socket to find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Asks `GET /healthz` every 0.5 s on a thread of its own (curl, 10 s timeout) until stopped.
final class HealthProbe: @unchecked Sendable {
    private let port: Int
    private let lock = NSLock()
    private var running = true
    private var results: [(status: String, seconds: Double)] = []
    private let done = DispatchSemaphore(value: 0)

    init(port: Int) { self.port = port }

    func start() {
        Thread { [self] in
            while lock.withLock({ running }) {
                let began = Date()
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                p.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "http://127.0.0.1:\(port)/healthz"]
                let out = Pipe()
                p.standardOutput = out
                p.standardError = FileHandle.nullDevice
                var status = "error"
                if (try? p.run()) != nil {
                    let data = out.fileHandleForReading.readDataToEndOfFile()
                    p.waitUntilExit()
                    status = String(decoding: data, as: UTF8.self)
                }
                let seconds = Date().timeIntervalSince(began)
                lock.withLock { results.append((status, seconds)) }
                Thread.sleep(forTimeInterval: max(0, 0.5 - seconds))
            }
            done.signal()
        }.start()
    }

    /// Stops probing; one line: answers by status and the latency percentiles (curl's process start included).
    func stop() -> String {
        lock.withLock { running = false }
        done.wait()
        let all = lock.withLock { results }
        guard !all.isEmpty else { return "/healthz: no probe ran" }
        let byStatus = Dictionary(grouping: all, by: \.status).map { "\($0.value.count) × \($0.key == "000" ? "no answer in 10 s" : $0.key)" }.sorted()
        let s = all.map(\.seconds).sorted()
        func p(_ q: Double) -> Double { s[min(s.count - 1, Int((Double(s.count) * q).rounded(.up)) - 1)] * 1000 }
        return String(format: "/healthz during the burst: %d probes (%@), round trip p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                      all.count, byStatus.joined(separator: ", "), p(0.5), p(0.99), s[s.count - 1] * 1000)
    }
}
