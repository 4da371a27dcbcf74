import Units
import Cron
import Foundation
import GBSnapCore
import Retention
import Scheduling
import Testing
@testable import Config

/// The repository's `schedules/` directory.
let schedulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("schedules")

@Suite("Shipped configs")
struct ExampleConfigTests {
    @Test("Every config in schedules/ loads without errors")
    func everyShippedConfigLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: schedulesDirectory.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        #expect(files.contains("example.yaml"))
        for file in files {
            do {
                let config = try ConfigFile.load(path: schedulesDirectory.appendingPathComponent(file).path)
                #expect(!config.targets.isEmpty, "\(file)")
            } catch {
                Issue.record("\(file) does not load:\n\(error.description)")
            }
        }
    }

    @Test("example.yaml: defaults are applied and targets are resolved from names and labels")
    func example() throws {
        let config = try ConfigFile.load(path: schedulesDirectory.appendingPathComponent("example.yaml").path)
        #expect(config.store == "/var/lib/gbsnap")
        #expect(config.maxConcurrent == 16)
        #expect(config.targets.map(\.name) == ["order-api-east-1", "order-api-east-2", "order-api-north-1",
                                                "inventory-east-1", "payment-gw-east-1", "promo-worker-staging"])
        let order = try #require(config.target(named: "order-api-east-1"))
        #expect(order.baseURL == "http://10.20.1.11:6060")
        #expect(order.labels == ["env": "prod", "service": "order-api", "region": "cn-east", "tier": "critical"])
        #expect(order.timeouts == TargetSpec.Timeouts(connect: .seconds(3), total: .seconds(30)))
        #expect(order.maxArtifactBytes == 256 << 20)
        let payment = try #require(config.target(named: "payment-gw-east-1"))
        #expect(payment.pprofPrefix == "/internal/debug/pprof")
        #expect(payment.timeouts.total == .seconds(45))
        #expect(payment.auth == TargetSpec.Auth(bearerTokenFile: "/etc/gbsnap/secrets/payment-gw.token"))
        #expect(payment.tls == TargetSpec.TLS(caFile: "/etc/gbsnap/tls/internal-ca.pem", certFile: "/etc/gbsnap/tls/gbsnap-client.pem",
                                              keyFile: "/etc/gbsnap/tls/gbsnap-client-key.pem"))
        let staging = try #require(config.target(named: "promo-worker-staging"))
        #expect(staging.labels["env"] == "staging")
        #expect(staging.auth == TargetSpec.Auth(basicUsername: "gbsnap", basicPasswordFile: "/etc/gbsnap/secrets/promo-worker.password"))

        #expect(config.schedules.map(\.name) == ["every-5m", "nightly", "promo-hours-cpu", "staging-daily"])
        let every5 = config.schedules[0]
        #expect(every5.targets == ["order-api-east-1", "order-api-east-2", "order-api-north-1", "inventory-east-1", "payment-gw-east-1"])
        #expect(every5.kinds == [.heap, .goroutine, .vars])
        #expect(every5.stagger == .seconds(240) && every5.spread == .even && every5.catchUp == .skip)
        #expect(every5.timeZone.identifier == "Asia/Shanghai")
        let nightly = config.schedules[1]
        #expect(nightly.targets == ["order-api-east-1", "order-api-east-2", "order-api-north-1", "payment-gw-east-1"])
        #expect(nightly.parameters.cpuSeconds == 30 && nightly.parameters.traceSeconds == 10 && nightly.parameters.heapGC)
        #expect(nightly.catchUp == .once && nightly.stagger == .seconds(1200))
        #expect(nightly.estimatedCaptureDuration == .seconds(9 + 30 + 10))
        #expect(config.schedules[2].kinds == [.cpu, .goroutineText])
        #expect(config.schedules[3].parameters.customEndpoints
            == [CaptureParameters.CustomEndpoint(name: "fgprof.pb.gz", path: "/debug/fgprof", query: "seconds=10&format=pprof", extraSeconds: 10)])

        let retention = try #require(config.retention)
        #expect(retention.timeZone.identifier == "Asia/Shanghai" && retention.schedule == "@hourly")
        #expect(retention.rules == [
            RetentionRule(selector: RetentionSelector(kinds: ["trace"]), keepLast: 3, keepDaily: 7, maxAge: .seconds(30 * 86_400)),
            RetentionRule(selector: RetentionSelector(labels: ["tier": "critical"]), keepHourly: 48, keepDaily: 30, keepWeekly: 12,
                          keepMonthly: 12, keepWithin: .seconds(86_400), maxTotalBytes: 40 << 30),
            RetentionRule(keepDaily: 14, keepWeekly: 8, maxAge: .seconds(180 * 86_400)),
        ])
    }

    @Test("example.yaml plans a staggered night: 02:00 Shanghai, inside a 20-minute window, no overlaps")
    func examplePlan() throws {
        let config = try ConfigFile.load(path: schedulesDirectory.appendingPathComponent("example.yaml").path)
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let from = try #require(ISO8601Offset.parse("2026-11-27T01:59:00", in: shanghai))
        let plan = config.planner().plan(from: from, until: from.addingTimeInterval(3600))
        let nightly = plan.filter { $0.schedule == "nightly" }
        #expect(nightly.count == 4)
        #expect(nightly.allSatisfy { ISO8601Offset.format($0.fireTime, in: shanghai) == "2026-11-27T02:00:00+08:00" })
        #expect(nightly.allSatisfy { $0.plannedStart.timeIntervalSince($0.fireTime) < 1200 + 60 })
        #expect(Set(nightly.map(\.offset)).count == 4)
    }
}
