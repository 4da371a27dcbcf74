import Foundation
import GBSnapTestSupport
import Testing

/// The shipped unit file, systemd/gbsnap.service.
@Suite("systemd unit")
struct SystemdUnitTests {
    static let unitPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("systemd/gbsnap.service").path

    @Test("systemd-analyze verify accepts the unit (with its ExecStart binary present)")
    func verify() async throws {
        let dir = TemporaryDirectory("gbsnap-unit")
        defer { dir.cleanup() }
        let text = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        let binary = dir.path + "/gbsnap"
        try FileManager.default.copyItem(atPath: GBSnapExecutable.path, toPath: binary)
        let unit = dir.file("gbsnap.service", text.replacingOccurrences(of: "/usr/local/bin/gbsnap", with: binary))
        let result = try await runCommand("/usr/bin/systemd-analyze", ["verify", unit])
        #expect(result.status == 0, "systemd-analyze verify: \(result.stderr)")
        #expect(!result.stderr.contains("gbsnap.service"), "warnings about the unit: \(result.stderr)")
    }

    @Test("the unit is a notify service with watchdog, reload, restart, a state directory and the hardening options")
    func contents() throws {
        let lines = try String(contentsOfFile: Self.unitPath, encoding: .utf8).split(separator: "\n").map(String.init)
        for setting in ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure", "StateDirectory=gbsnap",
                        "DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
                        "PrivateDevices=yes", "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                        "SystemCallFilter=@system-service", "SystemCallArchitectures=native", "MemoryDenyWriteExecute=yes",
                        "LockPersonality=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
                        "ProtectControlGroups=yes", "RestrictNamespaces=yes", "UMask=0027"] {
            #expect(lines.contains(setting), "missing \(setting)")
        }
        #expect(lines.contains { $0.hasPrefix("WatchdogSec=") })
        #expect(lines.contains { $0.hasPrefix("ExecStart=/usr/local/bin/gbsnap run --config ") && $0.contains("--store /var/lib/gbsnap/") })
    }
}
