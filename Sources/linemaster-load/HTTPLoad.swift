import CZlib
import Glibc
import Synchronization

/// `--http`: the numbered lines as POST bodies over keep-alive connections, each on its own
/// thread. Requests take the lines in order from one shared counter, so line i has seq
/// seq-start + i whichever connection sends it; a request counts as sent only once answered 204.
struct HTTPLoad: Sendable {
    let target: HTTPTarget
    let lines: Int
    let linesPerRequest: Int
    let connections: Int
    let gzip: Bool
    /// Retry a 503 or 429 that carries `Retry-After`, after waiting that long, as clients do.
    let retry: Bool
    let measurement: String
    let series: Int
    let seqStart: Int64
    /// A new field every this many lines (0: never), as over UDP.
    let newFieldEvery: Int

    /// How often one request is sent at most when `retry` is on: the generator ends by itself.
    static let maxAttempts = 20

    /// Runs every connection to the end; the tally of all of them.
    func run() throws -> HTTPTally {
        // Fails here, not on a thread, when the options cannot build a line.
        _ = try LineGenerator(measurement: measurement, series: series, seqStart: seqStart, newFieldEvery: newFieldEvery)
        let nextRequest = NextRequest()
        let tallies = runOnThreads(connections) { _ in self.sendRequests(taking: nextRequest) }
        return tallies.reduce(into: HTTPTally()) { $0.merge($1) }
    }

    /// One connection's loop: take the next request's lines, send them until answered.
    private func sendRequests(taking next: NextRequest) -> HTTPTally {
        var tally = HTTPTally()
        var generator = try! LineGenerator(measurement: measurement, series: series, seqStart: seqStart, newFieldEvery: newFieldEvery)
        let connection = HTTPConnection(target: target, gzip: gzip)
        var body: [UInt8] = []
        while true {
            let first = next.counter.add(1, ordering: .relaxed).oldValue * linesPerRequest
            guard first < lines else { return tally }
            let count = min(linesPerRequest, lines - first)
            body.removeAll(keepingCapacity: true)
            generator.seek(toLine: first)
            _ = generator.fill(&body, maxLines: count, maxBytes: .max)
            let payload = gzip ? Gzip.compress(body) : body
            send(payload, lines: count, over: connection, into: &tally)
        }
    }

    private func send(_ payload: [UInt8], lines count: Int, over connection: HTTPConnection, into tally: inout HTTPTally) {
        for attempt in 1...Self.maxAttempts {
            let start = monotonicSeconds()
            let response: HTTPConnection.Response
            do { response = try connection.post(payload) } catch {
                tally.noAnswer(error.description)
                break
            }
            tally.answered(response.status, seconds: monotonicSeconds() - start)
            if response.status == 204 {
                tally.acknowledged(lines: count, bytes: payload.count)
                return
            }
            guard retry, response.status == 503 || response.status == 429, let wait = response.retryAfter,
                  attempt < Self.maxAttempts else { break }
            tally.retries += 1
            sleepSeconds(wait)
        }
        tally.unacknowledgedLines += count
        tally.unacknowledgedRequests += 1
    }
}

/// The index of the next request to send, shared by the connections.
private final class NextRequest: Sendable {
    let counter = Atomic<Int>(0)
}

/// What the connections counted.
struct HTTPTally: Sendable {
    var acknowledgedLines = 0, acknowledgedRequests = 0, acknowledgedBytes = 0
    var unacknowledgedLines = 0, unacknowledgedRequests = 0
    var retries = 0
    /// Answers by status code.
    var statuses: [Int: Int] = [:]
    /// Requests that got no answer (the connection failed), and the first reason.
    var noAnswers = 0
    var firstFailure: String?
    /// Seconds from the request's first byte written to its answer's last byte read, per answer.
    var latencies: [Double] = []

    mutating func answered(_ status: Int, seconds: Double) {
        statuses[status, default: 0] += 1
        latencies.append(seconds)
    }

    mutating func acknowledged(lines: Int, bytes: Int) {
        acknowledgedLines += lines
        acknowledgedRequests += 1
        acknowledgedBytes += bytes
    }

    mutating func noAnswer(_ reason: String) {
        noAnswers += 1
        if firstFailure == nil { firstFailure = reason }
    }

    mutating func merge(_ other: HTTPTally) {
        acknowledgedLines += other.acknowledgedLines
        acknowledgedRequests += other.acknowledgedRequests
        acknowledgedBytes += other.acknowledgedBytes
        unacknowledgedLines += other.unacknowledgedLines
        unacknowledgedRequests += other.unacknowledgedRequests
        retries += other.retries
        statuses.merge(other.statuses, uniquingKeysWith: +)
        noAnswers += other.noAnswers
        firstFailure = firstFailure ?? other.firstFailure
        latencies += other.latencies
    }
}

/// gzip bodies, as Telegraf's `content_encoding = "gzip"` sends them.
enum Gzip {
    /// zlib's fastest level: the generator shares its cores with what it measures.
    static let level: Int32 = 1

    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: lm_gzip_bound(bytes.count))
        let size = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { lm_gzip(input.baseAddress, input.count, $0.baseAddress, $0.count, level) }
        }
        precondition(size >= 0, "zlib failed to compress a body into its own bound")
        out.removeSubrange(size...)
        return out
    }
}

/// Runs `body(i)` for i in 0..<count, each on its own thread, and returns the results in order.
private func runOnThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = (0..<count).map { _ in ThreadResult<T>() }
    let threads = (0..<count).map { i -> pthread_t in
        let job = ThreadJob { results[i].value = body(i) }
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadJob>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(job).toOpaque())
        precondition(rc == 0, "pthread_create: \(String(cString: strerror(rc)))")
        return thread
    }
    for thread in threads { pthread_join(thread, nil) }
    return results.map { $0.value! }
}

private final class ThreadJob: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Written by one thread, read by another once it has joined the first.
private final class ThreadResult<T>: @unchecked Sendable {
    var value: T?
}
