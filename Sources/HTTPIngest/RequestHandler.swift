import NIOCore
import Ingest
import NIOHTTP1

/// One HTTP connection: reads each request's body within its limits and deadline, has the
/// ``WriteService`` decide, and answers, after the commit when `ack = "commit"`.
///
/// NIO's pipelining handler in front of it hands over one request at a time, so a connection is
/// always in exactly one of these states:
/// - `idle`: between requests; closed after the idle timeout.
/// - `reading`: a request was admitted and its body arrives; answered 408 and closed once the
///   request timeout has passed since its first byte, so that a slow client cannot hold a
///   connection (a head that is still arriving then is closed without an answer).
/// - `waitingForCommit`: answered once its rows are committed; no deadline (the rows are in the
///   ring: an answer other than 204 would have the client send them again).
/// - `closing`: an answer that closes the connection was sent; what the client still sends is
///   ignored until it closes, or the request timeout has passed.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case reading(AdmittedRequest, head: HTTPRequestHead, body: RequestBody)
        case waitingForCommit
        case closing
    }

    private let server: ServerState
    private var state = State.idle
    private var keepAlive = true
    private var deadline: Scheduled<Void>?
    /// When the request in progress began to arrive (``RequestStartWatch`` sees its first byte
    /// before the decoder has its whole head); nil between requests.
    private var requestStarted: NIODeadline?
    private var context: ChannelHandlerContext?
    /// What this connection's body in progress counts in ``ServerState/bodyBytesHeld``.
    private var heldBytes = 0

    init(server: ServerState) { self.server = server }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        expect(by: .now() + Self.timeAmount(server.settings.idleTimeout))
    }

    /// Bytes arrived: when they begin a request, its request timeout starts now.
    func bytesArrived() {
        guard case .idle = state, requestStarted == nil else { return }
        let started = NIODeadline.now()
        requestStarted = started
        expect(by: started + Self.timeAmount(server.settings.requestTimeout))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        releaseBody()
        self.context = nil
    }

    private func releaseBody() {
        _ = server.holdBodyBytes(-heldBytes)
        heldBytes = 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle): begin(head)
        case (.body(let bytes), .reading(let request, let head, let body)): receive(bytes, of: request, head: head, into: body)
        case (.end, .reading(let request, let head, let body)): finish(request, head: head, body: body)
        case (.head, .reading), (.head, .waitingForCommit), (.head, .closing),
             (.body, .idle), (.body, .waitingForCommit), (.body, .closing),
             (.end, .idle), (.end, .waitingForCommit), (.end, .closing):
            return  // after an early answer, or parts NIO's pipelining handler would not send
        }
    }

    private func begin(_ head: HTTPRequestHead) {
        keepAlive = head.isKeepAlive && !server.isStopping
        switch server.service.admit(head, now: .now) {
        case .refuse(let answer):
            send(Self.hasBody(head) ? answer.closing() : answer, for: head)
        case .read(let request):
            do {
                let body = try RequestBody(gzip: request.gzip, limit: server.settings.maxBodySize)
                state = .reading(request, head: head, body: body)
            } catch {
                return send(.error(.internalServerError, request.endpoint.apiVersion, code: "internal error", "\(error)"), for: head)
            }
            expect(by: (requestStarted ?? .now()) + Self.timeAmount(server.settings.requestTimeout)) { [weak self] in
                self?.send(.error(.requestTimeout, request.endpoint.apiVersion, code: "request timeout",
                                  "the request was not complete within request_timeout") .closing(), for: head)
            }
            if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context?.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        }
    }

    private func receive(_ bytes: ByteBuffer, of request: AdmittedRequest, head: HTTPRequestHead, into body: RequestBody) {
        do {
            try body.append(bytes)
        } catch {
            return send(Self.answer(to: error, request.endpoint.apiVersion, server.service).closing(), for: head)
        }
        let grown = body.heldBytes - heldBytes
        heldBytes = body.heldBytes
        if !server.holdBodyBytes(grown) {
            send(.busy(request.endpoint.apiVersion, "the worker holds too many request bodies: retry later").closing(), for: head)
        }
    }

    private func finish(_ request: AdmittedRequest, head: HTTPRequestHead, body: RequestBody) {
        if server.isStopping && server.settings.ack == .commit, case .write(let version) = request.endpoint {
            // The inserters may stop before these rows could be committed: the client sends them again.
            return send(.busy(version, "linemaster is stopping: retry later"), for: head)
        }
        let bytes: [UInt8]
        do { bytes = try body.finish() } catch {
            return send(Self.answer(to: error, request.endpoint.apiVersion, server.service), for: head)
        }
        releaseBody()
        let channel = context?.channel
        let reply = bytes.withUnsafeBytes {
            server.service.complete(request, body: $0, now: .now, receivedAt: WallClock.nanosecondsSinceEpoch(),
                                    source: RejectSource(transport: "http", local: ServerState.text(channel?.localAddress),
                                                         peer: ServerState.text(channel?.remoteAddress)))
        }
        switch reply {
        case .now(let answer): send(answer, for: head)
        case .afterCommit(let sequence, let answer):
            deadline?.cancel()
            state = .waitingForCommit
            server.commits.wait(until: sequence) { [weak self] in self?.send(answer, for: head) }
        }
    }

    private static func answer(to error: RequestBody.Failure, _ version: APIVersion, _ service: WriteService) -> Answer {
        switch error {
        case .tooLarge: return .tooLarge(version, service.bodyTooLarge)
        case .corrupt(let reason): return .error(.badRequest, version, code: "invalid", "bad gzip body: \(reason)")
        }
    }

    /// Writes the answer; then waits for the next request, or closes.
    ///
    /// Every decision is made before the write: writing the end of a response makes NIO's
    /// pipelining handler deliver the next pipelined request at once, into this handler, which
    /// must then be in the state that request finds.
    private func send(_ answer: Answer, for request: HTTPRequestHead) {
        guard let context else { return }
        releaseBody()
        server.count(answer.status, endpoint: Endpoint.label(of: request))
        var headers = HTTPHeaders(answer.extraHeaders)
        headers.add(name: "X-Influxdb-Version", value: Answer.influxVersion)
        headers.add(name: "X-Influxdb-Build", value: "OSS")
        headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
        let closes = answer.closesConnection || !keepAlive || server.isStopping
        headers.add(name: "Connection", value: closes ? "close" : "keep-alive")
        requestStarted = nil
        if closes {
            state = .closing
            expect(by: .now() + Self.timeAmount(server.settings.requestTimeout))
        } else {
            state = .idle
            expect(by: .now() + Self.timeAmount(server.settings.idleTimeout))
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: answer.status, headers: headers))), promise: nil)
        if !answer.body.isEmpty && request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closes {
            // Only the output is closed: what the client still sends (the body of a request
            // refused from its head) is read and dropped until it closes, or for at most the
            // request timeout. A full close would reset the connection under a client still
            // sending, which would lose this answer and see a connection error, and retry.
            written.assumeIsolated().whenComplete { [weak self] _ in self?.context?.close(mode: .output, promise: nil) }
        }
    }

    /// A client that sends requests faster than it reads the answers is not read from until
    /// its answers have gone out, so that they cannot pile up in the worker's memory.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    /// Closes the connection (or runs `expired`) unless another deadline replaces this one first.
    private func expect(by time: NIODeadline, expired: (() -> Void)? = nil) {
        deadline?.cancel()
        guard let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: time) { [weak self] in
            if let expired { expired() } else { self?.context?.close(promise: nil) }
        }
    }

    /// Closes the connection now if no request is in progress, or even if one is (the worker is stopping).
    func close(evenIfBusy: Bool) {
        if case .idle = state { return context?.close(promise: nil) ?? () }
        if evenIfBusy { context?.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // NIO's protocol error handler has answered a malformed request 400 (its head could
        // not be parsed: no endpoint) before it passed the error on.
        if error is HTTPParserError { server.count(.badRequest, endpoint: "other") }
        context.close(promise: nil)
    }

    /// Whether a body follows the head (which an early answer leaves unread).
    private static func hasBody(_ head: HTTPRequestHead) -> Bool {
        head.headers["transfer-encoding"].contains { $0.lowercased().contains("chunked") }
            || (head.headers["content-length"].first.flatMap(Int.init) ?? 0) > 0
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
