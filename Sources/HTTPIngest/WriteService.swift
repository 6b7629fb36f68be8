import Ingest
import NIOHTTP1
import LineProtocol
import Metrics
import SharedRing
import WorkerGrants

/// A request whose head was accepted: its body is to be read.
struct AdmittedRequest {
    var endpoint: Endpoint
    var query: QueryParameters
    var write: WriteParameters?
    /// `Content-Encoding: gzip`.
    var gzip: Bool
}

/// What to do with a request head.
enum Admission {
    /// Read the body, then ``WriteService/complete(_:body:now:receivedAt:source:)``.
    case read(AdmittedRequest)
    /// Answer at once without reading the body (the connection is closed when one follows).
    case refuse(Answer)
}

/// When to send an answer.
enum Reply: Equatable {
    case now(Answer)
    /// Once the ring has released every record below `sequence` (`ack = "commit"`): the inserters
    /// release a record only after the transaction that stored it has committed.
    case afterCommit(UInt64, Answer)
}

/// The HTTP API without the HTTP: decides, for a request's head and then its body, what InfluxDB
/// would answer, publishing the rows of a write on the way. One per event loop; not thread-safe.
final class WriteService {
    private let ring: SharedRing
    private let settings: HTTPGrant
    private let authenticator: Authenticator
    private let publisher: BodyPublisher
    private let stats: WorkerStatsSlot?
    private let rejects: RejectKeeper
    private let metrics: MetricsSource?
    private(set) var health: RingHealth

    init(ring: SharedRing, settings: HTTPGrant, stats: WorkerStatsSlot?, rejects: RejectKeeper, metrics: MetricsSource?) {
        self.ring = ring
        self.settings = settings
        self.stats = stats
        self.rejects = rejects
        self.metrics = metrics
        authenticator = Authenticator(tokens: settings.authTokens, users: settings.users)
        publisher = BodyPublisher(ring: ring, databaseTag: settings.databaseTag)
        health = RingHealth(stallLimit: settings.commitTimeout)
    }

    /// Routes the request and checks what its head alone decides: credentials, body size,
    /// encoding, precision.
    func admit(_ head: HTTPRequestHead, now: ContinuousClock.Instant) -> Admission {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let endpoint: Endpoint
        switch Endpoint.route(head.method, path: path) {
        case .success(let found): endpoint = found
        case .failure(.notFound): return .refuse(.error(.notFound, .v1, code: "not found", "not found: \(path.prefix(200))"))
        case .failure(.methodNotAllowed(let allowed)):
            var answer = Answer.error(.methodNotAllowed, .v1, code: "method not allowed", "method not allowed")
            answer.extraHeaders.append(("Allow", allowed.map(\.rawValue).joined(separator: ", ")))
            return .refuse(answer)
        }
        let version = endpoint.apiVersion
        let query = QueryParameters(uri: head.uri)
        if endpoint.requiresCredentials && !authenticator.admits(head.headers, query) { return .refuse(.unauthorized(version)) }
        let encoding = head.headers["content-encoding"].first?.lowercased() ?? "identity"
        guard encoding == "gzip" || encoding == "identity" else {
            return .refuse(.error(.unsupportedMediaType, version, code: "invalid", "unsupported Content-Encoding \(encoding.prefix(50)): send gzip or none"))
        }
        if let length = head.headers["content-length"].first.flatMap(Int.init), length > settings.maxBodySize {
            return .refuse(.tooLarge(version, bodyTooLarge))
        }
        var request = AdmittedRequest(endpoint: endpoint, query: query, write: nil, gzip: encoding == "gzip")
        if case .write = endpoint {
            guard let parameters = WriteParameters(query, version: version) else {
                return .refuse(.error(.badRequest, version, code: "invalid", "invalid precision"))
            }
            if settings.ack == .commit, let away = health.problem(of: ring, now: now) { return .refuse(.busy(version, away)) }
            request.write = parameters
        }
        return .read(request)
    }

    var bodyTooLarge: String { "request body larger than max_body_size (\(settings.maxBodySize) bytes)" }

    /// The answer to a request whose body has been read (inflated already); `source` says where
    /// it came from, for the rejects table.
    func complete(_ request: AdmittedRequest, body: UnsafeRawBufferPointer, now: ContinuousClock.Instant, receivedAt: Int64,
                  source: @autoclosure () -> RejectSource) -> Reply {
        switch request.endpoint {
        case .write(let version): return write(body, request.write!, version: version, receivedAt: receivedAt, source: source)
        case .ping:
            guard request.query["verbose"] == "true" else { return .now(.noContent) }
            return .now(.json(.ok, #"{"version":"\#(Answer.influxVersion)"}"#))
        case .health:
            let problem = health.problem(of: ring, now: now)
            let (status, state) = problem == nil ? (HTTPResponseStatus.ok, "pass") : (.serviceUnavailable, "fail")
            return .now(.json(status, #"{"name":"linemaster","message":\#(jsonString(problem ?? "ready for writes")),"status":"\#(state)","checks":[],"version":"\#(Answer.influxVersion)"}"#))
        case .ready: return .now(.json(.ok, #"{"status":"ready"}"#))
        case .query: return .now(.json(.ok, #"{"results":[{"statement_id":0}]}"#))
        case .metrics:
            guard let metrics else {
                return .now(.error(.notFound, .v1, code: "not found", "/metrics is served under a linemaster supervisor only"))
            }
            return .now(Answer(status: .ok, body: metrics.render(), extraHeaders: [("Content-Type", PrometheusText.contentType)]))
        }
    }

    private func write(_ body: UnsafeRawBufferPointer, _ parameters: WriteParameters, version: APIVersion, receivedAt: Int64,
                       source: () -> RejectSource) -> Reply {
        let outcome = publisher.publish(body, precision: parameters.precision, receivedAt: receivedAt, database: parameters.database)
        stats?.add(to: .messagesReceived)
        if outcome.accepted == 0 && outcome.rejected == 0 {
            return .now(version == .v1 ? .noContent : .error(.badRequest, .v2, code: "invalid", "writing requires points"))
        }
        let sequences: Range<UInt64>
        switch outcome.publication {
        case .published(let range): sequences = range
        case .ringFull: return .now(.busy(version, "the ring is full: retry later"))
        case .tooLargeForRing:
            return .now(.tooLarge(version, "the request's rows need more than a quarter of the ring (\(ring.capacity / 4) bytes): send smaller batches or raise [ring] size"))
        }
        stats?.add(UInt64(body.count), to: .bytesReceived)
        stats?.add(UInt64(outcome.accepted), to: .rowsParsed)
        stats?.add(UInt64(outcome.accepted), to: .rowsPublished)
        if outcome.rejected > 0 { stats?.add(UInt64(outcome.rejected), to: .linesRejected) }
        // Kept only once the request's rows are in: a refused request's retry would keep them again.
        for error in outcome.rejections { rejects.keep(error, in: body, receivedAt: receivedAt, from: source()) }
        if outcome.rejected > outcome.rejections.count {
            stats?.add(UInt64(outcome.rejected - outcome.rejections.count), to: .rejectedLinesNotKept)
        }
        let answer: Answer
        if let firstRejection = outcome.firstRejection {
            let message = outcome.accepted > 0 ? "partial write: \(firstRejection) dropped=\(outcome.rejected)" : firstRejection
            answer = .error(.badRequest, version, code: "invalid", message)
        } else {
            answer = .noContent
        }
        return settings.ack == .commit && !sequences.isEmpty ? .afterCommit(sequences.upperBound, answer) : .now(answer)
    }
}
