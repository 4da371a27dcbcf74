import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The listener could not be opened. The description names the address and what to do.
public struct MetricsServerError: Error, Sendable, CustomStringConvertible {
    /// The address as configured (`HOST:PORT`).
    public var address: String
    /// One sentence naming the address and the problem.
    public var description: String
}

/// What a request asks for. Pure, so the routing is tested without a socket.
enum MetricsRoute: Equatable {
    case metrics, health, notFound, methodNotAllowed

    /// `GET /metrics` and `GET /healthz` (a query string is ignored); other paths 404, other methods 405.
    static func route(method: HTTPMethod, uri: String) -> MetricsRoute {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard path == "/metrics" || path == "/healthz" else { return .notFound }
        guard method == .GET else { return .methodNotAllowed }
        return path == "/metrics" ? .metrics : .health
    }
}

/// `GET /metrics` (Prometheus text format) and `GET /healthz` on one HTTP/1.1 listener, as a
/// swift-service-lifecycle service: ``bind(host:port:metrics:probeInterval:probeStore:logger:)``
/// opens the listener (so a port in use fails the daemon's start, before it reports ready), and
/// ``run()`` probes the store every `probeInterval` (so `/healthz` never touches the disk) and
/// closes the listener on graceful shutdown.
///
/// It runs on NIO's shared event loop group, the one AsyncHTTPClient's captures already use; the
/// exposition is rendered on NIO's shared thread pool, so a large scrape never blocks that loop.
public struct MetricsServer: Service {
    /// The host bound (an IP address or a name; an IPv6 address without brackets).
    public let host: String
    /// The port bound (the one the system chose when 0 was asked).
    public let port: Int
    public let metrics: DaemonMetrics
    /// How often the store is probed for `/healthz` and `gbsnap_store_writable`.
    public let probeInterval: Duration
    /// Tries to write to the store; nil when it could, else one line saying why not.
    public let probeStore: @Sendable () async -> String?
    public let logger: Logger
    private let channel: any Channel

    /// Opens the listener on `host:port` (0: a free port, then ``port`` says which), probes the
    /// store once and logs `metrics listening`; throws ``MetricsServerError`` when it cannot listen.
    /// A connection that sends nothing for `idleTimeout` is closed.
    public static func bind(host: String, port: Int, metrics: DaemonMetrics, probeInterval: Duration = .seconds(5),
                            idleTimeout: Duration = .seconds(30),
                            probeStore: @escaping @Sendable () async -> String?, logger: Logger) async throws -> MetricsServer {
        let channel = try await listen(host: host, port: port, metrics: metrics, idleTimeout: idleTimeout)
        let server = MetricsServer(host: host, port: channel.localAddress?.port ?? port, metrics: metrics,
                                   probeInterval: probeInterval, probeStore: probeStore, logger: logger, channel: channel)
        // The first probe before anyone can ask, so /healthz never says "not probed yet" once listening.
        await server.probe()
        logger.info("metrics listening", metadata: [
            "address": "\(Self.format(host: host, port: server.port))", "paths": "/metrics,/healthz",
        ])
        return server
    }

    private init(host: String, port: Int, metrics: DaemonMetrics, probeInterval: Duration,
                 probeStore: @escaping @Sendable () async -> String?, logger: Logger, channel: any Channel) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.probeInterval = probeInterval
        self.probeStore = probeStore
        self.logger = logger
        self.channel = channel
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    static func format(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Probes the store until graceful shutdown (or cancellation), then closes the listener.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await ContinuousClock().sleep(for: probeInterval) } catch { return }
                await probe()
            }
        }
        try? await channel.close()
        logger.info("metrics listener closed")
    }

    func probe() async {
        let problem = await probeStore()
        metrics.health.storeProbed(problem: problem)
        metrics.storeProbed(writable: problem == nil)
    }

    static func listen(host: String, port: Int, metrics: DaemonMetrics, idleTimeout: Duration) async throws -> any Channel {
        let idle = TimeAmount.nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000)
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // A connection that sends nothing for a while is closed (MetricsHTTPHandler), so idle clients cannot pile up.
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(metrics: metrics))
                    }
                }
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
        } catch {
            let address = format(host: host, port: port)
            throw MetricsServerError(address: address,
                                     description: "cannot listen for metrics on \(address) (metrics_listen): \(error); choose a free port and an address of this host")
        }
    }
}

/// Answers one request per connection, then closes it.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: DaemonMetrics
    private var head: HTTPRequestHead?

    init(metrics: DaemonMetrics) { self.metrics = metrics }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch MetricsRoute.route(method: head.method, uri: head.uri) {
        case .metrics:
            let metrics = self.metrics
            NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { metrics.exposition() }
                .assumeIsolated()
                .whenComplete { result in
                    switch result {
                    case .success(let bytes):
                        self.respond(context, .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes)
                    case .failure(let error):
                        self.respond(context, .internalServerError, contentType: "text/plain; charset=utf-8",
                                     Array("cannot render the metrics: \(error)\n".utf8))
                    }
                }
        case .health:
            let report = metrics.health.report()
            respond(context, report.healthy ? .ok : .serviceUnavailable, contentType: "text/plain; charset=utf-8",
                    Array((report.reason + "\n").utf8))
        case .notFound:
            respond(context, .notFound, contentType: "text/plain; charset=utf-8",
                    Array("not found: \(head.uri); this listener serves GET /metrics and GET /healthz\n".utf8))
        case .methodNotAllowed:
            respond(context, .methodNotAllowed, contentType: "text/plain; charset=utf-8",
                    Array("method \(head.method) not allowed; use GET\n".utf8), extra: [("Allow", "GET")])
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, contentType: String, _ body: [UInt8],
                         extra: [(String, String)] = []) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)"), ("Connection", "close")])
        headers.add(contentsOf: extra)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)))
            .assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }
}
