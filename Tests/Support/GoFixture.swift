// The Go fixture service (Tests/Fixtures/goservice) for tests: built once per test process with
// `go build`, started per test as a subprocess on 127.0.0.1:0. Self-contained (Foundation only),
// so it can be copied into any test target whose folder sits beside Tests/Fixtures.
//
//     let fixture = try await GoFixture.start()
//     defer { fixture.stop() }
//     _ = try await fixture.get("/leak?kind=chanrecv&n=25")
//     // capture from fixture.baseURL, or fixture.baseURL + "/fault/hang-before" as prefix base ...

import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why the fixture could not be built or started.
public struct GoFixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// One running instance of the Go fixture service.
public final class GoFixture: @unchecked Sendable {
    /// `127.0.0.1:PORT` as printed by the fixture.
    public let address: String
    /// Port the fixture listens on.
    public let port: Int
    /// Scheme (`http`, or `https` when started with TLS).
    public let scheme: String
    /// Path of the fixture's self-signed certificate (a CA file for clients) when started with TLS.
    public let certificateFile: String?
    /// The client certificates written by a fixture started with `requireClientCertificate`, else nil.
    public let clientCertificates: ClientCertificateFiles?
    private let process: Process
    private let workDirectory: URL

    /// `http://127.0.0.1:PORT` (or `https://...`).
    public var baseURL: String { "\(scheme)://\(address)" }

    /// Go toolchain version used to build the fixture, e.g. `go1.19.8`.
    public static var goVersion: String {
        get async throws { try await builtBinary.value.goVersion }
    }

    /// Minor version of the Go that built the fixture (19 for go1.19.8).
    public static var goMinorVersion: Int {
        get async throws {
            let version = try await goVersion
            let parts = version.dropFirst(2).split(separator: ".")
            guard parts.count >= 2, let minor = Int(parts[1]) else {
                throw GoFixtureError(description: "cannot read the Go minor version from \"\(version)\"")
            }
            return minor
        }
    }

    private struct Build: Sendable {
        var binary: String
        var goVersion: String
    }

    /// The fixture binary, built at most once per test process.
    private static let builtBinary = Task<Build, any Error> { try await offCooperativePool { try build() } }

    private static var sourceDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/goservice")
    }

    /// PEM files for mutual TLS with a fixture that requires client certificates
    /// (all ECDSA P-256; keys are PKCS#8 `PRIVATE KEY` PEM).
    public struct ClientCertificateFiles: Sendable {
        /// The client CA: the fixture accepts only client certificates it signed.
        public let caFile: String
        /// A client certificate signed by `caFile`, which the fixture accepts.
        public let certificateFile: String
        /// The private key of `certificateFile`.
        public let keyFile: String
        /// A client certificate signed by a different CA, which the fixture refuses.
        public let rogueCertificateFile: String
        /// The private key of `rogueCertificateFile`.
        public let rogueKeyFile: String

        init(directory: URL) {
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            caFile = path("client-ca.pem")
            certificateFile = path("client-cert.pem")
            keyFile = path("client-key.pem")
            rogueCertificateFile = path("rogue-cert.pem")
            rogueKeyFile = path("rogue-key.pem")
        }
    }

    /// Builds and starts a fixture; `tls` makes it serve HTTPS with a fresh self-signed certificate.
    /// `requireClientCertificate` (which implies `tls`) makes it also demand and verify a client
    /// certificate (mutual TLS) and write the files of `clientCertificates`.
    public static func start(tls: Bool = false, requireClientCertificate: Bool = false, arguments: [String] = []) async throws -> GoFixture {
        try await start(build: try await builtBinary.value, tls: tls, requireClientCertificate: requireClientCertificate, arguments: arguments)
    }

    /// Builds the fixture with the Go toolchain at `goExecutable` (once per toolchain and test process)
    /// and starts it like `start(tls:requireClientCertificate:arguments:)`.
    public static func start(goExecutable: String, arguments: [String] = []) async throws -> GoFixture {
        try await start(build: try await toolchainBuilds.build(goExecutable), tls: false, requireClientCertificate: false, arguments: arguments)
    }

    /// The `GOVERSION` of the toolchain at `goExecutable`, e.g. `go1.27.3` (builds the fixture with it).
    public static func goVersion(goExecutable: String) async throws -> String {
        try await toolchainBuilds.build(goExecutable).goVersion
    }

    /// Fixture builds by toolchain path.
    private actor ToolchainBuilds {
        private var builds: [String: Task<Build, any Error>] = [:]
        func build(_ go: String) async throws -> Build {
            if let task = builds[go] { return try await task.value }
            let task = Task<Build, any Error> { try await offCooperativePool { try GoFixture.build(go: go) } }
            builds[go] = task
            return try await task.value
        }
    }

    private static let toolchainBuilds = ToolchainBuilds()

    private static func start(build: Build, tls: Bool, requireClientCertificate: Bool, arguments: [String]) async throws -> GoFixture {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("gbsnap-goservice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let tls = tls || requireClientCertificate
        var args = ["-addr", "127.0.0.1:0"]
        if tls { args += ["-tls-dir", work.path] }
        if requireClientCertificate { args += ["-tls-client-auth"] }
        args += arguments

        let process = Process()
        process.executableURL = URL(fileURLWithPath: build.binary)
        process.arguments = args
        let stdout = Pipe()
        process.standardOutput = stdout
        let stderrPath = work.appendingPathComponent("stderr.txt")
        guard FileManager.default.createFile(atPath: stderrPath.path, contents: nil) else {
            throw GoFixtureError(description: "cannot create \(stderrPath.path) for the fixture's stderr")
        }
        process.standardError = try FileHandle(forWritingTo: stderrPath)
        try process.run()

        let line = await readLine(stdout.fileHandleForReading)
        guard let line, line.hasPrefix("listening on "),
              let portText = line.split(separator: ":").last, let port = Int(portText)
        else {
            process.terminate()
            process.waitUntilExit()
            let stderr = (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? ""
            throw GoFixtureError(description: "the Go fixture did not print its listening line (got \(line.map { "\"\($0)\"" } ?? "nothing")); stderr: \(stderr)")
        }
        return GoFixture(
            address: String(line.dropFirst("listening on ".count)), port: port, scheme: tls ? "https" : "http",
            certificateFile: tls ? work.appendingPathComponent("cert.pem").path : nil,
            clientCertificates: requireClientCertificate ? ClientCertificateFiles(directory: work) : nil,
            process: process, workDirectory: work)
    }

    private init(
        address: String, port: Int, scheme: String, certificateFile: String?, clientCertificates: ClientCertificateFiles?,
        process: Process, workDirectory: URL
    ) {
        self.address = address
        self.port = port
        self.scheme = scheme
        self.certificateFile = certificateFile
        self.clientCertificates = clientCertificates
        self.process = process
        self.workDirectory = workDirectory
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Sends SIGTERM and waits for the fixture to exit; returns its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: workDirectory)
        return process.terminationStatus
    }

    /// GETs a control endpoint such as `/leak?kind=chansend&n=25` (plain HTTP only) and returns the body.
    @discardableResult
    public func get(_ pathAndQuery: String) async throws -> String {
        guard scheme == "http", let url = URL(string: baseURL + pathAndQuery) else {
            throw GoFixtureError(description: "control requests need a plain-HTTP fixture and a valid path, not \(pathAndQuery)")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = 600
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        guard status == 200 else {
            throw GoFixtureError(description: "fixture control request \(pathAndQuery) answered HTTP \(status): \(text)")
        }
        return text
    }

    /// GETs `pathAndQuery` (plain HTTP only) and returns the body's bytes, e.g. a `/debug/pprof/trace?seconds=1` capture.
    public func getBytes(_ pathAndQuery: String) async throws -> [UInt8] {
        guard scheme == "http", let url = URL(string: baseURL + pathAndQuery) else {
            throw GoFixtureError(description: "control requests need a plain-HTTP fixture and a valid path, not \(pathAndQuery)")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = 600
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw GoFixtureError(description: "fixture request \(pathAndQuery) answered HTTP \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return [UInt8](data)
    }

    // MARK: - Build and output

    private static func build() throws -> Build {
        guard let go = findExecutable("go") else {
            throw GoFixtureError(description: "Go is required to build the test fixture Tests/Fixtures/goservice, but no `go` executable is on PATH (install Go 1.19 or newer, e.g. apt-get install golang-go)")
        }
        return try build(go: go)
    }

    private static func build(go: String) throws -> Build {
        // One output directory per toolchain, so fixtures built with different Go versions coexist.
        let tag = String(UInt(bitPattern: go.hashValue), radix: 36)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gbsnap-goservice-build-\(getpid())-\(tag)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let binary = out.appendingPathComponent("goservice").path
        var environment = ProcessInfo.processInfo.environment
        if environment["HOME"] == nil && environment["GOCACHE"] == nil {
            environment["GOCACHE"] = out.appendingPathComponent("gocache").path
        }
        environment["GOTOOLCHAIN"] = "local"  // never download a toolchain
        environment["CGO_ENABLED"] = "0"
        let (status, output) = try run(go, ["build", "-o", binary, "."], in: sourceDirectory, environment: environment)
        guard status == 0 else {
            throw GoFixtureError(description: "go build of Tests/Fixtures/goservice failed (exit \(status)): \(output)")
        }
        let (_, version) = try run(go, ["env", "GOVERSION"], in: sourceDirectory, environment: environment)
        return Build(binary: binary, goVersion: version.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func run(_ executable: String, _ arguments: [String], in directory: URL, environment: [String: String])
        throws -> (Int32, String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Reads one line from `handle` on a background thread (nil at end of file).
    private static func readLine(_ handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                while true {
                    let data = handle.readData(ofLength: 1)
                    guard let byte = data.first else {
                        continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
                        return
                    }
                    if byte == UInt8(ascii: "\n") {
                        continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
                        return
                    }
                    bytes.append(byte)
                }
            }
        }
    }
}
