#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Ingest
import NIOHTTP1
import SharedRing
import WorkerGrants

/// What the connections of one HTTP worker share: the service, the commit watch, and the count of
/// open connections. The worker runs one event loop, and all of this is used on it only: that is
/// the reason for `@unchecked Sendable`, which NIO's initializer closures require.
final class ServerState: @unchecked Sendable {
    let settings: HTTPGrant
    let service: WriteService
    let commits: CommitWatch
    private let stats: WorkerStatsSlot?
    private(set) var isStopping = false
    /// Bytes of request bodies held by all connections: bounded, so that many clients each
    /// sending up to `max_body_size` slowly cannot exhaust the worker's memory.
    private(set) var bodyBytesHeld = 0
    private var connections: [ObjectIdentifier: RequestHandler] = [:]

    init(ring: SharedRing, settings: HTTPGrant, stats: WorkerStatsSlot?, rejects: RejectKeeper, metrics: MetricsSource?,
         eventLoop: EventLoop) {
        self.settings = settings
        self.stats = stats
        service = WriteService(ring: ring, settings: settings, stats: stats, rejects: rejects, metrics: metrics)
        commits = CommitWatch(ring: ring, eventLoop: eventLoop)
    }

    var connectionCount: Int { connections.count }

    /// Counts an answer in `linemaster_http_requests_total`, in shared memory, so that the
    /// count survives the worker's restarts; refused requests (503, 429, 413) included.
    func count(_ status: HTTPResponseStatus, endpoint: String) {
        guard let stats else { return }
        HTTPRequestCounters.count(status: Int(status.code), endpoint: endpoint, in: stats)
    }

    /// What all bodies in progress may hold together: eight of the largest.
    var bodyBudget: Int { 8 * settings.maxBodySize }

    /// Accounts for `delta` more (or, negative, fewer) body bytes held; false when the budget is spent.
    func holdBodyBytes(_ delta: Int) -> Bool {
        bodyBytesHeld += delta
        return delta <= 0 || bodyBytesHeld <= bodyBudget
    }

    /// Sets up a new connection: HTTP/1.1 with pipelining and NIO's answers to malformed requests,
    /// bounded headers, then a ``RequestHandler``; or a 503 and close beyond `max_connections`.
    func configure(_ channel: Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        guard connections.count < settings.maxConnections, !isStopping else {
            try pipeline.addHandler(RefusedConnection())
            count(.serviceUnavailable, endpoint: "other")
            return
        }
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = Self.maxHeaderBytes
        limits.maxHeaderFieldSize = Self.maxHeaderBytes
        limits.maxHeaderFieldCount = Self.maxHeaderCount
        let handler = RequestHandler(server: self)
        try pipeline.addHandler(RequestStartWatch(handler))
        try pipeline.configureHTTPServerPipeline(withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
        try pipeline.addHandler(handler)
        let id = ObjectIdentifier(channel)
        connections[id] = handler
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in self?.connections[id] = nil }
    }

    /// Headers beyond these sizes are refused (NIO answers 400 and closes): a client's headers
    /// are a few hundred bytes, and a worker serves thousands of connections.
    static let maxHeaderBytes = 16 << 10
    static let maxHeaderCount = 100

    /// Stops taking new requests: idle connections close now, busy ones after their answer; or,
    /// `abandoningRequests` (a crash restart: SIGQUIT), every connection closes now, unanswered,
    /// so that the clients send again what may not be safe.
    func stop(abandoningRequests: Bool) {
        isStopping = true
        for handler in connections.values { handler.close(evenIfBusy: abandoningRequests) }
    }

    /// `127.0.0.1:8086`, `[::1]:8086`, or a Unix socket's path, as the rejects table names sources.
    static func text(_ address: SocketAddress?) -> String {
        switch address {
        case .v4(let a)?: return "\(a.host):\(address?.port ?? 0)"
        case .v6(let a)?: return "[\(a.host)]:\(address?.port ?? 0)"
        case .unixDomainSocket?: return address?.pathname ?? "unix"
        case nil: return "unknown"
        }
    }
}

/// A connection beyond `max_connections`: told 503 at once and closed, so that the client retries
/// later instead of waiting in a queue nobody serves.
final class RefusedConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    static let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"

    func channelActive(context: ChannelHandlerContext) {
        let bytes = context.channel.allocator.buffer(string: Self.response)
        context.writeAndFlush(NIOAny(bytes)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
