import Glibc

/// One keep-alive HTTP/1.1 connection that writes a POST and reads its answer: the status line,
/// the headers and a `Content-Length` body. It reconnects for the next request after a
/// `Connection: close`, a body without a length, or any failure.
final class HTTPConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What the load generator needs of an answer.
    struct Response {
        let status: Int
        /// `Retry-After` in seconds (a date is taken as one second).
        let retryAfter: Double?
    }

    /// How long a connect, a write or a read may wait: a load generator stops by itself.
    static let timeoutSeconds = 60

    private let target: HTTPTarget
    private let headerPrefix: [UInt8]
    private var fd: Int32 = -1
    private var received: [UInt8] = []

    init(target: HTTPTarget, gzip: Bool) {
        self.target = target
        headerPrefix = Array(("POST \(target.pathAndQuery) HTTP/1.1\r\nHost: \(target.authority)\r\n"
            + "User-Agent: linemaster-load\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + (gzip ? "Content-Encoding: gzip\r\n" : "")).utf8)
    }

    deinit { disconnect() }

    /// Sends `body` as one request and returns the answer; throws when the connection fails or
    /// the answer is not HTTP, and then starts over with a new connection at the next request.
    func post(_ body: [UInt8]) throws(Failure) -> Response {
        do {
            if fd < 0 { try connectToTarget() }
            // MSG_MORE: the headers leave with the body's first bytes, not in a segment of their own.
            try writeAll(headerPrefix + Array("Content-Length: \(body.count)\r\n\r\n".utf8), flags: Int32(MSG_MORE))
            try writeAll(body, flags: 0)
            let (response, keepAlive) = try readResponse()
            if !keepAlive { disconnect() }
            return response
        } catch {
            disconnect()
            throw error
        }
    }

    private func connectToTarget() throws(Failure) {
        fd = socket(target.address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: Self.timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = target.address.withSockaddr { connect(fd, $0, $1) }
        guard rc == 0 else { throw failure("connect to \(target.authority)") }
    }

    private func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        received.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8], flags: Int32) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL) | flags) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("send") }
            offset += n
        }
    }

    /// Reads more bytes into `received`; false at the end of the stream.
    private func fill() throws(Failure) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(errno == EAGAIN ? "no answer within \(Self.timeoutSeconds) s" : "recv") }
            received += chunk[0..<n]
            return n > 0
        }
    }

    /// The answer at the start of `received`, and whether the connection stays open after it.
    private func readResponse() throws(Failure) -> (Response, keepAlive: Bool) {
        var headerEnd: Int?
        while true {
            headerEnd = Self.endOfHeaders(in: received)
            if headerEnd != nil { break }
            guard try fill() else { throw Failure(description: "the server closed the connection before it answered") }
        }
        let head = try ResponseHead(parsing: received[..<headerEnd!])
        received.removeSubrange(..<headerEnd!)
        if head.chunked {
            // The body is only skipped: wait for the last chunk (no trailers), not its sizes.
            while Self.endOfChunks(in: received) == nil {
                guard try fill() else { throw Failure(description: "the server closed the connection within a chunked body") }
            }
            received.removeSubrange(..<Self.endOfChunks(in: received)!)
            return (head.response, head.keepAlive)
        }
        guard let length = head.contentLength else {
            while try fill() {}
            return (head.response, false)
        }
        while received.count < length {
            guard try fill() else { throw Failure(description: "the server closed the connection within a body") }
        }
        received.removeSubrange(..<length)
        return (head.response, head.keepAlive)
    }

    /// The index just past the blank line that ends the headers, if it has arrived.
    private static func endOfHeaders(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 {
            return i + 1
        }
        return nil
    }

    /// The index just past the last chunk, `0` CRLF CRLF, if it has arrived.
    private static func endOfChunks(in bytes: [UInt8]) -> Int? {
        let last = Array("0\r\n\r\n".utf8)
        guard bytes.count >= last.count else { return nil }
        for start in 0...(bytes.count - last.count) where bytes[start] == last[0]
            && (start == 0 || bytes[start - 1] == 10) && Array(bytes[start..<start + last.count]) == last {
            return start + last.count
        }
        return nil
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// The status line and the headers of an answer that matter to the load generator.
private struct ResponseHead {
    let response: HTTPConnection.Response
    /// Nil when the body runs to the end of the stream.
    let contentLength: Int?
    let chunked: Bool
    let keepAlive: Bool

    init(parsing bytes: ArraySlice<UInt8>) throws(HTTPConnection.Failure) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n")
        let statusLine = lines.first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HTTPConnection.Failure(description: "not an HTTP/1.x answer: \"\(statusLine.prefix(80))\"")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingBlanks
        }
        let bodiless = status == 204 || status == 304 || status < 200
        chunked = !bodiless && headers["transfer-encoding"]?.lowercased().hasSuffix("chunked") == true
        contentLength = bodiless ? 0 : headers["content-length"].flatMap { Int($0) }
        keepAlive = parts[0] == "HTTP/1.1" && headers["connection"]?.lowercased() != "close"
        response = .init(status: status, retryAfter: headers["retry-after"].map { Double($0) ?? 1 })
    }
}

extension Substring {
    fileprivate var trimmingBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
