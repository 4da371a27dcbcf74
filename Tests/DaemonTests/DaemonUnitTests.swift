import Foundation
import GBSnapTestSupport
import Logging
import ServiceLifecycle
import Testing
@testable import Daemon

@Suite("daemon log lines and notify datagrams")
struct DaemonUnitTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("journald lines carry the syslog priority of the level and no timestamp")
    func journalPrefixes() {
        let levels: [(Logger.Level, String)] = [(.debug, "<7>"), (.info, "<6>"), (.notice, "<5>"), (.warning, "<4>"), (.error, "<3>"), (.critical, "<2>")]
        for (level, prefix) in levels {
            #expect(DaemonLogHandler.format(level: level, message: "stored snapshot", metadata: [:], journal: true, now: now) == "\(prefix)stored snapshot")
        }
    }

    @Test("plain lines: UTC time, level, message, sorted key=value fields on one line; credentials redacted")
    func plainLines() {
        let line = DaemonLogHandler.format(level: .error, message: "capture not taken\nsecond line",
                                           metadata: ["target": "a", "error": "GET http://u:pw@h:1/x failed"], journal: false, now: now)
        #expect(line == "2026-11-18T11:06:40.000Z error capture not taken second line error=\"GET http://<redacted>@h:1/x failed\" target=a")
        #expect(!line.contains("pw"))
    }

    @Test("the notifier sends to a path socket and does nothing without NOTIFY_SOCKET")
    func notifier() throws {
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address]).notify("READY=1\nSTATUS=x"))
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/dir/sock"]).notify("READY=1"))
        let deadline = Date().addingTimeInterval(30)
        while listener.messages.isEmpty && Date() < deadline { usleep(10_000) }
        #expect(listener.messages == ["READY=1\nSTATUS=x"])
    }

    @Test("the watchdog pings at once, then once per interval of its clock, never early, and stops at shutdown")
    func watchdogFollowsItsClock() async throws {
        let listener = try NotifySocketListener()
        defer { listener.stop() }
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let watchdog = WatchdogService(notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address]),
                                       interval: .seconds(15), clock: clock)
        let group = ServiceGroup(services: [watchdog], logger: silentLogger)
        let running = Task {
            defer { clock.finish() }
            try await group.run()
        }
        await clock.waitForSleepers()
        for _ in 0..<3 {
            clock.advance(by: .seconds(15))
            await clock.waitForSleepers()
        }
        clock.advance(by: .seconds(14))  // one second short of the next ping
        try await waitUntil("four pings") { listener.messages.count >= 4 }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(listener.messages == Array(repeating: "WATCHDOG=1", count: 4))
        #expect(clock.sleeping == 0)
    }

    @Test("WATCHDOG_USEC is honoured only for this process")
    func watchdogInterval() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000"]) == .seconds(2))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(getpid())"]) == .seconds(2))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "zero"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
        #expect(SystemdNotifier.monotonicMicroseconds() > 0)
    }
}
