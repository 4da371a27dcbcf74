import AsyncHTTPClient
import Foundation
import GBSnapCore
import Logging
import NIOCore
import Profiles

/// Captures pprof/expvar artifacts from live Go services over HTTP(S).
///
/// One `Capturer` owns the HTTP client (AsyncHTTPClient on the shared event loop group) and must be
/// shut down with `shutdown()`. It is safe to use from many tasks: captures of different targets
/// run concurrently, while captures of the same Go process (same scheme, host and port) wait for
/// each other, so `cpu` and `trace` are never requested concurrently on one target by this process.
public final class Capturer: Sendable {
    /// Directory where artifact bodies are written (created if missing).
    public let temporaryDirectory: String
    let logger: Logger
    let clients: ClientPool
    private let gate = TargetGate()

    /// Creates a capturer writing bodies into `temporaryDirectory`.
    public init(temporaryDirectory: String, logger: Logger = Logger(label: "gbsnap.capture")) {
        self.temporaryDirectory = temporaryDirectory
        self.logger = logger
        self.clients = ClientPool(logger: logger)
    }

    /// Checks a request without sending anything: URL, credential and TLS files, parameters.
    public static func validate(_ request: CaptureRequest) throws(CaptureConfigurationError) {
        _ = try PreparedTarget.prepare(request)
    }

    /// Captures every requested kind of one target, one after the other, and returns one artifact
    /// per kind (per endpoint for `custom`), in request order.
    ///
    /// Network and target failures never throw: they are recorded in each artifact's `outcome`,
    /// and no temporary file is left behind for them. Only a request that cannot be attempted at
    /// all (invalid URL, missing credentials file, ...) throws, before anything is sent.
    public func capture(_ request: CaptureRequest) async throws(CaptureConfigurationError) -> [CapturedArtifact] {
        let target = try PreparedTarget.prepare(request)
        do {
            try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        } catch {
            throw CaptureConfigurationError(
                reason: .temporaryDirectory, target: target.name,
                problem: "temporary directory \"\(temporaryDirectory)\" cannot be created")
        }
        let fetches = EndpointPlan.fetches(
            kinds: request.kinds, parameters: request.parameters, basePath: target.basePath,
            pprofPrefix: target.pprofPrefix, varsPath: target.varsPath)

        guard let client = clients.client(connectTimeout: target.connectTimeout) else {
            return fetches.map { fetch in
                Self.artifact(for: fetch, outcome: .failed(CaptureFailure(
                    reason: .cancelled,
                    message: "target \"\(target.name)\" at \(target.redacted): GET \(fetch.pathAndQuery): the capturer has been shut down")))
            }
        }
        let fetcher = ArtifactFetcher(client: client, target: target, logger: logger)

        await gate.acquire(target.gateKey)
        var artifacts: [CapturedArtifact] = []
        for fetch in fetches {
            if Task.isCancelled {
                artifacts.append(Self.artifact(for: fetch, outcome: .failed(CaptureFailure(
                    reason: .cancelled, message: fetcher.message(fetch, "the capture was cancelled before this artifact was requested")))))
                continue
            }
            let artifact: CapturedArtifact
            if fetch.kind == .stacks {
                artifact = await captureStacks(fetch, request: request, fetcher: fetcher)
            } else {
                artifact = await captureOne(fetch, fetcher: fetcher)
            }
            log(artifact, target: target)
            artifacts.append(artifact)
        }
        await gate.release(target.gateKey)
        return artifacts
    }

    /// Shuts the HTTP client down; later captures fail with reason `cancelled`.
    public func shutdown() async throws {
        for client in clients.closeAll() {
            try await client.shutdown()
        }
    }

    // MARK: - Artifacts

    private func captureOne(_ fetch: PlannedFetch, fetcher: ArtifactFetcher) async -> CapturedArtifact {
        let outcome = await fetcher.run(fetch, mode: .file(directory: temporaryDirectory))
        return Self.artifact(for: fetch, fetched: outcome, fetcher: fetcher)
    }

    /// The safety governor: reads the goroutine count from the first line of `goroutine?debug=1`
    /// before a `debug=2` dump, and downgrades or skips above the limit.
    private func captureStacks(_ fetch: PlannedFetch, request: CaptureRequest, fetcher: ArtifactFetcher) async -> CapturedArtifact {
        let parameters = request.parameters
        let limit = parameters.stacksGoroutineLimit
        let countFetch = EndpointPlan.fetch(
            for: .goroutineText, parameters: parameters, basePath: fetcher.target.basePath,
            pprofPrefix: fetcher.target.pprofPrefix, varsPath: fetcher.target.varsPath)
        let counted = await fetcher.run(countFetch, mode: .firstLine)
        let count: Int
        switch counted.result {
        case .firstLine(let line):
            guard let total = EndpointPlan.goroutineTotal(firstLine: line) else {
                let what = ArtifactSniffer.mismatch(Array(line.utf8), expected: .goroutineText, contentType: counted.contentType)
                    .map { "\($0); without the goroutine count the stacks dump was not taken" }
                    ?? "the first line is not \"goroutine profile: total N\", so the goroutine count is unknown and the stacks dump was not taken"
                return Self.artifact(for: fetch, outcome: .failed(CaptureFailure(
                    reason: .goroutineCountUnavailable, message: fetcher.message(countFetch, what))), fetched: counted)
            }
            count = total
        case .failed(let failure):
            return Self.artifact(for: fetch, outcome: .failed(CaptureFailure(
                reason: .goroutineCountUnavailable,
                message: failure.message + "; without the goroutine count the stacks dump was not taken")), fetched: counted)
        case .notFound, .stored, .rejected:
            return Self.artifact(for: fetch, outcome: .failed(CaptureFailure(
                reason: .goroutineCountUnavailable,
                message: fetcher.message(countFetch, "no goroutine count was returned, so the stacks dump was not taken"))), fetched: counted)
        }

        guard count > limit else {
            var artifact = await captureOne(fetch, fetcher: fetcher)
            artifact.goroutineCount = count
            return artifact
        }
        let why = "\(count) goroutines exceed the stacks limit of \(limit) (a debug=2 dump stops the world for a time that grows with the goroutine count)"
        var artifact: CapturedArtifact
        switch parameters.stacksOverLimit {
        case .skip:
            artifact = Self.artifact(for: fetch, outcome: .skipped(reason: "\(why), so the stacks dump was skipped"))
        case .downgrade where request.kinds.contains(.goroutineText):
            artifact = Self.artifact(for: fetch, outcome: .skipped(
                reason: "\(why), so the stacks dump was skipped; this snapshot's goroutine-text artifact holds the cheaper debug=1 dump"))
        case .downgrade:
            artifact = await captureOne(countFetch, fetcher: fetcher)
            artifact.requestedKind = .stacks
            if artifact.outcome == .captured {
                artifact.outcome = .downgraded(from: .stacks, reason: "\(why), so goroutine-text (debug=1) was captured instead of stacks (debug=2)")
            } else if case .failed(var failure) = artifact.outcome {
                failure.message += " (this goroutine-text capture replaced stacks because \(why))"
                artifact.outcome = .failed(failure)
            }
        }
        artifact.goroutineCount = count
        return artifact
    }

    private static func artifact(for fetch: PlannedFetch, fetched: FetchOutcome, fetcher: ArtifactFetcher) -> CapturedArtifact {
        var artifact = artifact(for: fetch, outcome: .captured, fetched: fetched)
        switch fetched.result {
        case .stored(let body):
            artifact.file = body.path
            artifact.bytes = body.bytes
            artifact.sha256 = body.sha256
        case .failed(let failure):
            artifact.outcome = .failed(failure)
        case .rejected(let failure, let head):
            artifact.outcome = .failed(failure)
            artifact.file = head.path
            artifact.bytes = head.bytes
            artifact.sha256 = head.sha256
        case .notFound:
            artifact.outcome = .notSupported(reason: fetcher.message(
                fetch, "HTTP 404: this target does not serve \(fetch.kind.rawValue) (it needs Go 1.26 or newer)"))
        case .firstLine:
            artifact.outcome = .failed(CaptureFailure(reason: .protocolError, message: fetcher.message(fetch, "no body was stored")))
        }
        return artifact
    }

    private static func artifact(for fetch: PlannedFetch, outcome: CapturedArtifact.Outcome, fetched: FetchOutcome? = nil) -> CapturedArtifact {
        CapturedArtifact(
            name: fetch.name, kind: fetch.kind, requestedKind: fetch.kind, file: nil, bytes: 0, sha256: nil,
            contentType: fetched?.contentType, endpoint: fetch.endpoint, query: fetch.query,
            httpStatus: fetched?.httpStatus, goroutineCount: nil, attempts: fetched?.attempts ?? 0,
            startedAt: fetched?.startedAt ?? Date(), duration: fetched?.duration ?? .zero, outcome: outcome)
    }

    private func log(_ artifact: CapturedArtifact, target: PreparedTarget) {
        var metadata: Logger.Metadata = [
            "target": "\(target.name)", "kind": "\(artifact.requestedKind.rawValue)",
            "status": "\(artifact.outcome.status)", "bytes": "\(artifact.bytes)",
            "duration": "\(format(artifact.duration))",
        ]
        if let message = artifact.outcome.message { metadata["message"] = "\(message)" }
        // The manifest records every failure; the daemon logs a target's failures once per change.
        logger.debug(artifact.outcome.isFailure ? "artifact capture failed" : "artifact captured", metadata: metadata)
    }
}

/// The HTTP clients of one capturer: one per distinct connect timeout (AsyncHTTPClient sets the
/// connect timeout per client), normally exactly one. All share the default event loop group.
final class ClientPool: @unchecked Sendable {
    private let lock = NSLock()
    private var clients: [Int64: HTTPClient] = [:]
    private var closed = false
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func client(connectTimeout: Duration) -> HTTPClient? {
        let nanos = connectTimeout.totalNanoseconds
        return lock.withLock {
            if closed { return nil }
            if let client = clients[nanos] { return client }
            var pool = HTTPClient.Configuration.ConnectionPool()
            // Capture retries itself, knowing which requests are safe to repeat.
            pool.retryConnectionEstablishment = false
            let configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .nanoseconds(nanos)),
                connectionPool: pool,
                decompression: .disabled)
            let client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
                backgroundActivityLogger: logger)
            clients[nanos] = client
            return client
        }
    }

    func closeAll() -> [HTTPClient] {
        lock.withLock {
            closed = true
            defer { clients = [:] }
            return Array(clients.values)
        }
    }
}

/// Serializes captures per Go process: one capture at a time per key, waiters served in order.
actor TargetGate {
    private var busy = Set<String>()
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ key: String) async {
        if busy.insert(key).inserted { return }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()  // ownership passes to the next waiter; the key stays busy
        } else {
            busy.remove(key)
        }
    }
}
