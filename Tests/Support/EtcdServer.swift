// A real etcd (Debian's etcd-server, installed by scripts/setup) on loopback: a real Go service with
// client_golang's Prometheus /metrics and, with `pprof: true`, net/http/pprof on its client URL.

import Foundation

/// One running etcd; `stop()` (or deinit) ends it and removes its data directory.
public final class EtcdServer: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`, the client URL (serving /metrics, and /debug/pprof with pprof on).
    public let baseURL: String
    private let process: Process
    private let dataDirectory: String

    /// The etcd binary scripts/setup installs.
    public static let binary = "/usr/bin/etcd"

    /// Starts etcd on free-looking loopback ports and waits until it serves /metrics.
    public static func start(pprof: Bool = false) async throws -> EtcdServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw GoFixtureError(description: "etcd is missing at \(binary): scripts/setup installs etcd-server")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gbsnap-etcd-\(UUID().uuidString)").path
        let port = Int.random(in: 20000..<40000)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--data-dir", dir, "--listen-client-urls", "http://127.0.0.1:\(port)", "--advertise-client-urls", "http://127.0.0.1:\(port)",
                       "--listen-peer-urls", "http://127.0.0.1:\(port + 1)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(port + 1)",
                       "--initial-cluster", "default=http://127.0.0.1:\(port + 1)"] + (pprof ? ["--enable-pprof"] : [])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let server = EtcdServer(baseURL: "http://127.0.0.1:\(port)", process: p, dataDirectory: dir)
        for _ in 0..<200 {
            if (try? server.get("/metrics")) != nil { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw GoFixtureError(description: "etcd did not serve /metrics on port \(port) within 20 s")
    }

    private init(baseURL: String, process: Process, dataDirectory: String) {
        self.baseURL = baseURL
        self.process = process
        self.dataDirectory = dataDirectory
    }

    /// The body of GET `path`, as text.
    public func get(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(string: baseURL + path)!)
        return String(decoding: data, as: UTF8.self)
    }

    /// Stops etcd and removes its data.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }
}
