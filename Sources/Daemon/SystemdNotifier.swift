import GBSnapCore
import Foundation

/// Sends sd_notify(3) datagrams to `$NOTIFY_SOCKET` (AF_UNIX, SOCK_DGRAM; a leading `@` names the
/// abstract namespace). Without `$NOTIFY_SOCKET` every call does nothing, so the daemon runs the
/// same outside systemd.
public struct SystemdNotifier: Sendable {
    /// The socket path, if notifications are enabled.
    public let socketPath: String?

    /// A notifier for `$NOTIFY_SOCKET` of `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Sends `state` (newline-separated `KEY=VALUE` assignments). Returns whether it was sent;
    /// failures are not errors for the daemon (systemd may be gone while stopping).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        return SystemIO.sendDatagram(Array(state.utf8), toUnixSocket: socketPath)
    }

    /// `CLOCK_MONOTONIC` in microseconds, for `MONOTONIC_USEC=` with `RELOADING=1`.
    public static func monotonicMicroseconds() -> UInt64 { SystemIO.monotonicMicroseconds() }

    /// The watchdog interval systemd asked for (`$WATCHDOG_USEC`, when `$WATCHDOG_PID` is unset or
    /// this process), or nil when the watchdog is off.
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], !pid.isEmpty, pid != "\(SystemIO.currentProcessID)" { return nil }
        return .microseconds(Int64(clamping: usec))
    }
}
