import Glibc

/// One HTTP response as it came over the wire.
struct WireResponse: Equatable, CustomStringConvertible {
    let status: Int
    /// Header names lowercased, in their order.
    let headers: [(name: String, value: String)]
    let body: String

    func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }

    var description: String { "\(status) \(headers.map { "\($0.name): \($0.value)" }) \(body)" }

    static func == (a: WireResponse, b: WireResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.elementsEqual(b.headers, by: ==)
    }

    /// Parses one response (head, then a `Content-Length` body) from the start of `bytes`;
    /// nil while it is incomplete. Returns the bytes it used.
    static func parse(_ bytes: [UInt8]) -> (WireResponse, used: Int)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), String(line[line.index(after: colon)...]).trimmingCharacters(in: " "))
        }
        let length = headers.first { $0.name == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = end + separator.count
        guard bytes.count >= bodyStart + length else { return nil }
        let body = String(decoding: bytes[bodyStart ..< bodyStart + length], as: UTF8.self)
        return (WireResponse(status: status, headers: headers, body: body), bodyStart + length)
    }
}

/// A TCP connection to 127.0.0.1 that sends bytes exactly as given, for what clients libraries
/// do not let a test do: pipelining, trickling, oversized heads. Every read gives up after 10 s,
/// so that a server that never answers fails the test instead of hanging it.
final class RawHTTPConnection {
    private let fd: Int32
    private var received: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard UDPSender.withLoopback(port, { connect(fd, $0, $1) }) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ConnectionFailed(what: "connect to 127.0.0.1:\(port): \(reason)")
        }
    }

    deinit { close(fd) }

    /// Sends every byte (a peer that closed the connection fails the send instead of the test process).
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ConnectionFailed(what: "send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// The next response; a `100 Continue` counts as one.
    func response() throws -> WireResponse {
        while true {
            if let (response, used) = WireResponse.parse(received) {
                received.removeFirst(used)
                return response
            }
            guard try readMore() else { throw ConnectionFailed(what: "closed by the server before a whole response: \(String(decoding: received, as: UTF8.self))") }
        }
    }

    /// Whether the server closes the connection (EOF or reset) with nothing more to read, within 10 s.
    func isClosedByServer() -> Bool {
        guard received.isEmpty else { return false }
        do { return try !readMore() } catch { return false }
    }

    /// Whether a response is waiting to be read (the server answered without being asked again).
    func hasDataWithin(milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return !received.isEmpty || poll(&descriptor, 1, milliseconds) > 0
    }

    /// False at EOF or on a reset; throws when nothing arrived within the read timeout.
    private func readMore() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        if n > 0 {
            received += buffer[..<n]
            return true
        }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw ConnectionFailed(what: "nothing received within 10 s") }
        return false
    }
}

struct ConnectionFailed: Error, CustomStringConvertible {
    let what: String
    var description: String { what }
}

/// `curl` run to completion: the final response (interim `100 Continue` skipped) and curl's exit status.
func curl(_ arguments: [String]) -> (exit: Int32, response: WireResponse?) {
    let result = Binaries.runProgram("/usr/bin/curl", ["-s", "-i", "--max-time", "20"] + arguments)
    var bytes = Array(result.output.utf8)
    var last: WireResponse?
    while let (response, used) = WireResponse.parse(bytes) {
        last = response
        bytes.removeFirst(used)
    }
    return (result.status, last)
}
