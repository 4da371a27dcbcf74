import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GBSnapCore
import Profiles

/// `gbsnap-bench triggers --gbsnap PATH --fixture PATH [--targets N] [--fixtures F] [--poll SECONDS] [--seconds S] [--work DIR]`
///
/// Runs the real daemon on N targets served by F Go fixture processes with one trigger rule on every
/// target (the goroutine count from the `/debug/pprof/` index page, a threshold never reached) and no
/// scheduled capture in the window, then measures over S seconds: the daemon's CPU and RSS, and the
/// polls the fixtures actually served (their `requests_served` counter), against the N × S / poll expected.
func benchTriggers(arguments: [String]) throws {
    var bench = DaemonBench.Options()
    var pollSeconds = 10
    var seconds = 120
    var rest = BenchFlags(arguments)
    func value(_ flag: String) throws -> String { try rest.value(flag) }
    func int(_ flag: String) throws -> Int { try rest.positiveInt(flag) }
    while let arg = rest.next() {
        switch arg {
        case "--gbsnap": bench.gbsnap = try value(arg)
        case "--fixture": bench.fixture = try value(arg)
        case "--targets": bench.targets = try int(arg)
        case "--fixtures": bench.fixtures = try int(arg)
        case "--poll": pollSeconds = try int(arg)
        case "--seconds": seconds = try int(arg)
        case "--work": bench.work = try value(arg)
        default: throw DaemonBench.Failure("unexpected argument \"\(arg)\"; usage: gbsnap-bench triggers --gbsnap PATH --fixture PATH [--targets N] [--fixtures F] [--poll S] [--seconds S] [--work DIR]")
        }
    }
    guard !bench.gbsnap.isEmpty, !bench.fixture.isEmpty else {
        throw DaemonBench.Failure("the trigger benchmark needs --gbsnap PATH (the gbsnap binary) and --fixture PATH (the built Go fixture)")
    }
    let runner = DaemonBench(options: bench)
    let work = bench.work
    try SystemIO.makeDirectories(work)
    var processes: [Process] = []
    defer {
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
    }
    let urls = try runner.startFixtures(into: &processes)
    var yaml = "targets:\n"
    let width = String(bench.targets - 1).count
    for i in 0..<bench.targets {
        let digits = String(i)
        yaml += "  - name: svc-\(String(repeating: "0", count: width - digits.count) + digits)\n    url: \(urls[i % urls.count])\n    labels: { fleet: bench }\n"
    }
    yaml += """
    schedules:
      - name: yearly
        cron: "0 0 1 1 *"
        selector: { labels: { fleet: bench } }
        kinds: [vars]
    triggers:
      - name: pileup
        selector: { labels: { fleet: bench } }
        signal: goroutines
        poll: \(pollSeconds)s
        above: 100000000
        kinds: [goroutine]

    """
    let config = "\(work)/triggers.yaml"
    try SystemIO.writeFileAtomically(config, bytes: Array(yaml.utf8))
    print("triggers: \(bench.targets) targets on \(bench.fixtures) fixture processes, goroutines from the pprof index every \(pollSeconds) s")

    let daemon = try runner.spawn(bench.gbsnap, ["run", "--config", config, "--store", "\(work)/store"],
                                  stdout: "\(work)/daemon.out", stderr: "\(work)/daemon.log")
    processes.append(daemon)
    // Let start-up and the first round of polls settle.
    Thread.sleep(forTimeInterval: Double(pollSeconds) + 5)
    guard let start = DaemonBench.Sample.of(pid: daemon.processIdentifier) else {
        throw DaemonBench.Failure("the daemon exited early; see \(work)/daemon.log")
    }
    let servedBefore = try urls.map(served)
    Thread.sleep(forTimeInterval: Double(seconds))
    guard let end = DaemonBench.Sample.of(pid: daemon.processIdentifier) else {
        throw DaemonBench.Failure("the daemon exited during the run; see \(work)/daemon.log")
    }
    let servedAfter = try urls.map(served)
    // Each of our own counter reads is one request too.
    let polls = zip(servedBefore, servedAfter).map { $1 - $0 - 1 }.reduce(0, +)
    let wall = end.wall.timeIntervalSince(start.wall)
    let expected = Double(bench.targets) * wall / Double(pollSeconds)
    let cpu = end.cpuSeconds - start.cpuSeconds
    print(String(format: "  %d polls served in %.0f s (%.0f expected, %.0f per second); daemon CPU %.2f s (%.1f%% of one core, %.1f µs per poll), RSS %.1f MiB, peak %.1f MiB",
                 polls, wall, expected, Double(polls) / wall, cpu, cpu / wall * 100, cpu / Double(max(polls, 1)) * 1e6,
                 Double(end.rssKiB) / 1024, Double(end.peakRSSKiB) / 1024))
    let log = (try? String(contentsOfFile: "\(work)/daemon.log", encoding: .utf8)) ?? ""
    let failing = log.components(separatedBy: "trigger poll failing").count - 1
    print("  poll failures logged: \(failing); snapshots taken: \(log.components(separatedBy: "trigger fired").count - 1)")
    daemon.terminate()
    daemon.waitUntilExit()
}

/// The fixture's `requests_served` expvar.
private func served(_ url: String) throws -> Int {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var body: Data?
    URLSession.shared.dataTask(with: URL(string: url + "/debug/vars")!) { data, _, _ in
        body = data
        done.signal()
    }.resume()
    done.wait()
    guard let body, let vars = try? ExpVars.parse(body), let n = vars.other["requests_served"]?.doubleValue else {
        throw DaemonBench.Failure("cannot read requests_served from \(url)/debug/vars")
    }
    return Int(n)
}
