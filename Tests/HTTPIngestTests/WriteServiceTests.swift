@testable import HTTPIngest
import Ingest
import LineProtocol
import NIOHTTP1
import SharedRing
import Synchronization
import Testing
import WorkerGrants

#if canImport(Glibc)
import Glibc
#endif

/// The write API's decisions against a real ring: what is published, and what is answered.
@Suite struct WriteServiceDecisions {
    private static let counter = Atomic<Int>(0)
    let name = "/lmtest-http.\(getpid()).\(WriteServiceDecisions.counter.add(1, ordering: .relaxed).newValue)"
    let ring: SharedRing

    init() throws { ring = try SharedRing.create(name: name, size: 1 << 20) }

    func service(_ configure: (inout HTTPGrant) -> Void = { _ in }) -> WriteService {
        var settings = HTTPGrant()
        configure(&settings)
        return WriteService(ring: ring, settings: settings, stats: nil,
                            rejects: RejectKeeper(ring: ring, stats: nil, worker: "http") { _ in }, metrics: nil)
    }

    /// Admits and completes one request; the reply, or the refusal as `.now`.
    func send(_ service: WriteService, _ uri: String, _ body: String = "", method: HTTPMethod = .POST,
              headers: [(String, String)] = []) -> Reply {
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
        switch service.admit(head, now: .now) {
        case .refuse(let answer): return .now(answer)
        case .read(let request):
            return Array(body.utf8).withUnsafeBytes { service.complete(request, body: $0, now: .now, receivedAt: 7_000_000_000,
                                                                source: RejectSource(transport: "http", local: "test")) }
        }
    }

    func storedPoints() -> [Point] {
        var points: [Point] = []
        while let batch = ring.claim(maxRecords: 100, timeout: .zero) {
            points += batch.records.compactMap { record in
                RecordKind(of: record.payload) == .point ? try? PointRecordView(record.payload).makePoint() : nil
            }
            ring.release(batch)
        }
        return points
    }

    @Test func aWriteIsPublishedAndAnswered204() {
        defer { SharedSegment.unlink(name: name) }
        #expect(send(service(), "/write?db=x&precision=s", "cpu,host=a v=1 5\ncpu v=2") == .now(.noContent))
        #expect(storedPoints() == [
            Point(measurement: "cpu", tags: [.init("host", "a")], fields: [.init("v", .float(1))], time: 5_000_000_000),
            Point(measurement: "cpu", tags: [], fields: [.init("v", .float(2))], time: 7_000_000_000),
        ])
    }

    @Test func badLinesCostThemselvesOnlyAndAreNamedInA400() {
        defer { SharedSegment.unlink(name: name) }
        let reply = send(service(), "/write", "cpu v=1 1\nnot a line\ncpu v=3 3\nalso bad")
        guard case .now(let answer) = reply else { Issue.record("\(reply)"); return }
        #expect(answer.status == .badRequest)
        #expect(answer.body.hasPrefix(#"{"error":"partial write: unable to parse 'not a line': "#))
        #expect(answer.body.hasSuffix(#"dropped=2"}"#))
        #expect(storedPoints().map(\.time) == [1, 3])
    }

    /// A ring record keeps names in 16 bits: a longer one used to be answered 204 and reach the
    /// inserter cut, as a record that reads as another row or as none.
    @Test func aNameTooLongForARowIsRefusedNotStoredWrong() {
        defer { SharedSegment.unlink(name: name) }
        let long = String(repeating: "m", count: 70_000)
        let reply = send(service(), "/write", "\(long),host=a v=1 1\ncpu v=2 2")
        guard case .now(let answer) = reply else { Issue.record("\(reply)"); return }
        #expect(answer.status == .badRequest)
        #expect(answer.body.contains("is longer than 65535 bytes"))
        #expect(storedPoints() == [Point(measurement: "cpu", tags: [], fields: [.init("v", .float(2))], time: 2)])
    }

    @Test func anEmptyBodyIs204OnV1And400OnV2() {
        defer { SharedSegment.unlink(name: name) }
        #expect(send(service(), "/write", "") == .now(.noContent))
        #expect(send(service(), "/api/v2/write?bucket=b", "") == .now(Answer.error(.badRequest, .v2, code: "invalid", "writing requires points")))
    }

    @Test func aFullRingRefusesTheWholeRequestAndStoresNoneOfIt() {
        defer { SharedSegment.unlink(name: name) }
        let service = service()
        let body = (0 ..< 1000).map { "cpu,host=h\($0) value=\($0)i \($0)" }.joined(separator: "\n")
        var accepted = 0
        while case .now(let answer) = send(service, "/write", body), answer.status == .noContent { accepted += 1 }
        #expect(accepted > 0)
        #expect(send(service, "/write", body) == .now(.busy(.v1, "the ring is full: retry later")))
        #expect(send(service, "/api/v2/write?bucket=b", body) == .now(.busy(.v2, "the ring is full: retry later")))
        #expect(storedPoints().count == accepted * 1000, "nothing of a refused request is in the ring")
    }

    @Test func withAckCommitTheAnswerWaitsForTheRequestsLastRecord() throws {
        defer { SharedSegment.unlink(name: name) }
        let service = service { $0.ack = .commit }
        let reply = send(service, "/write", "cpu v=1\ncpu v=2")
        guard case .afterCommit(let sequence, let answer) = reply else { Issue.record("\(reply)"); return }
        #expect(answer == .noContent)
        #expect(sequence == ring.nextPublishedSequence)
    }

    @Test func theHeadAloneDecidesAuthSizeEncodingAndPrecision() {
        defer { SharedSegment.unlink(name: name) }
        let service = service { $0.authTokens = ["t"]; $0.maxBodySize = 1024 }
        let token = ("Authorization", "Token t")
        #expect(send(service, "/write", "cpu v=1") == .now(.unauthorized(.v1)))
        #expect(send(service, "/ping", method: .GET) == .now(.noContent), "probes need no credentials")
        #expect(send(service, "/write", headers: [token, ("Content-Length", "1025")]) == .now(.tooLarge(.v1, service.bodyTooLarge)))
        #expect(send(service, "/api/v2/write?precision=h", headers: [token])
            == .now(.error(.badRequest, .v2, code: "invalid", "invalid precision")))
        guard case .now(let unsupported) = send(service, "/write", headers: [token, ("Content-Encoding", "br")]) else {
            Issue.record("an unknown encoding is refused from the head")
            return
        }
        #expect(unsupported.status == HTTPResponseStatus.unsupportedMediaType)
        #expect(send(service, "/query?q=CREATE+DATABASE+x", method: .GET, headers: [token]) == .now(.json(.ok, #"{"results":[{"statement_id":0}]}"#)))
    }

    @Test func aRowLargerThanARingRecordIsRefusedLikeABadLine() {
        defer { SharedSegment.unlink(name: name) }
        let long = String(repeating: "x", count: 300_000)
        let reply = send(service(), "/write", "cpu v=1 1\ncpu s=\"\(long)\" 2")
        guard case .now(let answer) = reply else { Issue.record("\(reply)"); return }
        #expect(answer.body == #"{"error":"partial write: line 2: a row of 300027 bytes, more than a ring record holds (262128) dropped=1"}"#)
        #expect(storedPoints().map(\.time) == [1])
    }

    @Test func aDatabaseTagCarriesTheRequestsDatabase() {
        defer { SharedSegment.unlink(name: name) }
        #expect(send(service { $0.databaseTag = "db" }, "/api/v2/write?bucket=metrics", "cpu v=1") == .now(.noContent))
        #expect(storedPoints().first?.tags == [.init("db", "metrics")])
    }
}
