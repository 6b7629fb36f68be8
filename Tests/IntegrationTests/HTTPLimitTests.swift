import Glibc
import Testing

/// What the HTTP worker does with clients that ask too much, too slowly or too often: each is
/// refused in HTTP's terms, and the worker neither dies nor grows. One worker, so that its
/// per-process limits apply exactly; no inserter (accepted rows stay in the ring, counted by
/// `rows_in`).
@Suite struct HTTPLimits {
    static let limits = """
        max_body_size = "1MiB"
        idle_timeout = "1s"
        request_timeout = "1s"
        max_connections = 10
        """

    private func started(_ http: String = limits) throws -> (HTTPWorkerSetup, pid_t) {
        let setup = HTTPWorkerSetup(http: http)
        try setup.start()
        return (setup, try #require(setup.supervisor.worker("http")).pid)
    }

    /// The worker that served before still serves: same process, never restarted.
    private func expectSameWorker(_ setup: HTTPWorkerSetup, _ pid: pid_t) {
        #expect(curl([setup.url + "/ping"]).response?.status == 204)
        #expect(setup.supervisor.worker("http")?.pid == pid)
        #expect(setup.supervisor.status()["http"]?["restarts"] == "0")
    }

    @Test func aHeaderOverTheLimitIsAnswered400AndTheConnectionClosed() throws {
        let (setup, pid) = try started()
        let connection = try RawHTTPConnection(port: setup.port)

        try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20 << 10))\r\n\r\n")

        #expect(try connection.response().status == 400)
        #expect(connection.isClosedByServer())
        expectSameWorker(setup, pid)
    }

    @Test func tooManyHeadersAreAnswered400AndTheConnectionClosed() throws {
        let (setup, pid) = try started()
        let connection = try RawHTTPConnection(port: setup.port)
        let headers = (0..<150).map { "X-H\($0): v\r\n" }.joined()

        try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")

        #expect(try connection.response().status == 400)
        #expect(connection.isClosedByServer())
        expectSameWorker(setup, pid)
    }

    /// Refused from the head alone: the body is never read, and the connection is closed.
    @Test func aDeclaredBodyOverMaxBodySizeIsAnswered413InTheShapeOfEachAPI() throws {
        let (setup, pid) = try started()
        let message = "request body larger than max_body_size (1048576 bytes)"
        for (path, body) in [("/write?db=x", #"{"error":"\#(message)"}"#), ("/api/v2/write?bucket=x", #"{"code":"request too large","message":"\#(message)"}"#)] {
            let connection = try RawHTTPConnection(port: setup.port)
            try connection.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(2 << 20)\r\n\r\n")
            let response = try connection.response()
            #expect(response.status == 413)
            #expect(response.body == body)
            #expect(response.header("connection") == "close")
            #expect(connection.isClosedByServer())
        }
        expectSameWorker(setup, pid)
    }

    /// Most clients send the whole body (no `Expect: 100-continue`) before they read the answer;
    /// here the body follows once the 413 is there, as over a slow network. The worker drops the
    /// rest of the body instead of resetting the connection under the client, which would then
    /// fail to send, see a network error instead of the 413, and retry for ever.
    @Test func aClientStillSendingABodyOverMaxBodySizeGetsToReadThe413() throws {
        let (setup, pid) = try started()
        let body = Array(String(repeating: "cpu v=1i\n", count: 250_000).utf8)  // 2.25 MB
        let connection = try RawHTTPConnection(port: setup.port)
        try connection.send("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
        #expect(connection.hasDataWithin(milliseconds: 10_000))

        try connection.send(body)

        #expect(try connection.response().status == 413)
        #expect(connection.isClosedByServer())
        #expect(setup.rowsIn() == 0)
        expectSameWorker(setup, pid)
    }

    /// A chunked body declares no length: it is counted as it arrives and refused past the limit.
    @Test func aChunkedBodyThatGrowsOverMaxBodySizeIsAnswered413() throws {
        let (setup, pid) = try started()
        let connection = try RawHTTPConnection(port: setup.port)
        let chunk = String(repeating: "cpu v=1i\n", count: 7_000)  // 63,000 bytes
        try connection.send("POST /api/v2/write?bucket=x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")

        for _ in 0..<20 {
            let sent = (try? connection.send(String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n")) != nil
            if !sent || connection.hasDataWithin(milliseconds: 50) { break }
        }
        let response = try connection.response()

        #expect(response.status == 413)
        #expect(response.body == #"{"code":"request too large","message":"request body larger than max_body_size (1048576 bytes)"}"#)
        #expect(setup.rowsIn() == 0)
        expectSameWorker(setup, pid)
    }

    /// 100 MiB of zeros, gzipped to about 100 KiB, against max_body_size = 1MiB: inflating stops
    /// at the limit, so the worker holds at most about that much.
    @Test func aGzipBombIsAnswered413WithoutTheWorkerGrowing() throws {
        let (setup, pid) = try started()
        let bomb = setup.supervisor.directory + "/bomb.gz"
        #expect(Binaries.runProgram("/bin/sh", ["-c", "head -c 100M /dev/zero | gzip -c > \(bomb)"]).status == 0)
        let before = try #require(Self.privateMemoryKiB(pid))

        let answer = curl(["-XPOST", setup.url + "/write?db=x", "-H", "Content-Encoding: gzip", "--data-binary", "@" + bomb])

        #expect(answer.response?.status == 413, "curl exit \(answer.exit)")
        #expect(answer.response?.body == #"{"error":"request body larger than max_body_size (1048576 bytes)"}"#)
        let after = try #require(Self.privateMemoryKiB(pid))
        #expect(after - before < 8 << 10, "RssAnon grew from \(before) KiB to \(after) KiB")
        expectSameWorker(setup, pid)
    }

    @Test func anIdleConnectionIsClosedAfterIdleTimeout() throws {
        let (setup, _) = try started()
        let silent = try RawHTTPConnection(port: setup.port)
        let afterARequest = try RawHTTPConnection(port: setup.port)
        try afterARequest.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try afterARequest.response().header("connection") == "keep-alive")

        #expect(silent.isClosedByServer())
        #expect(afterARequest.isClosedByServer())
    }

    /// Headers at once, then a byte of body every 100 ms: the whole request is not there within
    /// request_timeout, and the worker answers 408 and closes instead of waiting for ever.
    @Test func aClientTricklingItsBodyBeyondRequestTimeoutIsAnswered408AndClosed() throws {
        let (setup, pid) = try started()
        let connection = try RawHTTPConnection(port: setup.port)
        let body = Array(String(repeating: "cpu v=1i\n", count: 20).utf8)
        try connection.send("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")

        var sent = 0
        while sent < body.count && !connection.hasDataWithin(milliseconds: 100) {
            try connection.send([body[sent]])
            sent += 1
        }

        #expect(sent < body.count, "the whole body was sent before any answer")
        let response = try connection.response()
        #expect(response.status == 408)
        #expect(response.body == #"{"error":"the request was not complete within request_timeout"}"#)
        #expect(connection.isClosedByServer())
        #expect(setup.rowsIn() == 0)
        expectSameWorker(setup, pid)
    }

    /// The request timeout starts at a request's first byte, not at the end of its head: a client
    /// that sends its head a byte at a time is closed after request_timeout, not idle_timeout.
    @Test func aClientTricklingItsHeadBeyondRequestTimeoutIsClosed() throws {
        let (setup, pid) = try started(#"request_timeout = "1s"\#nidle_timeout = "1m""#)
        let connection = try RawHTTPConnection(port: setup.port)
        let head = Array("POST /write?db=x HTTP/1.1\r\nHost: x\r\nX-Pad: \(String(repeating: "a", count: 200))\r\nContent-Length: 9\r\n\r\n".utf8)

        var sent = 0
        while sent < head.count && !connection.hasDataWithin(milliseconds: 100) {
            try connection.send([head[sent]])
            sent += 1
        }

        #expect(sent < head.count, "the whole head was sent before the connection was closed")
        #expect(connection.isClosedByServer())
        expectSameWorker(setup, pid)
    }

    /// Ten connections are served; the eleventh to the twentieth are told 503 with Retry-After
    /// at once and closed; once one of the ten closes, a new connection is served again.
    @Test func connectionsBeyondMaxConnectionsAreAnswered503AndClosed() throws {
        let (setup, _) = try started(#"max_connections = 10"#)
        var served: [RawHTTPConnection] = []
        for _ in 0..<10 {
            let connection = try RawHTTPConnection(port: setup.port)
            try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try connection.response().status == 204)
            served.append(connection)
        }

        var refused: [WireResponse] = []
        for _ in 0..<10 {
            let connection = try RawHTTPConnection(port: setup.port)
            refused.append(try connection.response())
            #expect(connection.isClosedByServer())
        }

        #expect(refused.map(\.status) == Array(repeating: 503, count: 10))
        #expect(refused.allSatisfy { $0.header("retry-after") == "1" })
        served.removeFirst()
        try waitUntil("a new connection is served") {
            guard let connection = try? RawHTTPConnection(port: setup.port), (try? connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")) != nil else { return false }
            return (try? connection.response().status) == 204
        }
    }

    @Test func expect100ContinueIsAnsweredBeforeTheBodyIsSent() throws {
        let (setup, _) = try started()
        let connection = try RawHTTPConnection(port: setup.port)
        let body = "cpu,host=a v=1i\ncpu,host=b v=2i\n"

        try connection.send("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
        let interim = try connection.response()
        try connection.send(body)

        #expect(interim.status == 100)
        #expect(try connection.response().status == 204)
        #expect(setup.rowsIn() == 2)
    }

    @Test func aChunkedBodyFromCurlIsStored() throws {
        let (setup, _) = try started()
        let file = setup.supervisor.directory + "/body.txt"
        writeFile(file, (0..<500).map { "cpu,host=h\($0 % 7) v=\($0)i\n" }.joined())

        let answer = curl(["-XPOST", setup.url + "/api/v2/write?bucket=x", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file])

        #expect(answer.response?.status == 204, "curl exit \(answer.exit)")
        #expect(setup.rowsIn() == 500)
    }

    @Test func aKeepAliveConnectionServesRequestsOneAfterAnother() throws {
        let (setup, _) = try started()
        let connection = try RawHTTPConnection(port: setup.port)

        var statuses: [Int] = []
        for i in 0..<3 {
            try connection.send("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\ncpu v=\(i)i\n")
            let response = try connection.response()
            statuses.append(response.status)
            #expect(response.header("connection") == "keep-alive")
        }

        #expect(statuses == [204, 204, 204])
        #expect(setup.rowsIn() == 3)
    }

    @Test func aWorkerServesAThousandConnectionsAtOnce() throws {
        let (setup, pid) = try started("")
        let connections = try (0..<1000).map { _ in try RawHTTPConnection(port: setup.port) }

        for connection in connections { try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n") }
        let statuses = try connections.map { try $0.response().status }

        #expect(statuses == Array(repeating: 204, count: 1000))
        try withExtendedLifetime(connections) {
            try waitUntil("the worker's title counts 1000 connections") { setup.supervisor.worker("http")?.title.contains(" 1000 connections ") ?? false }
        }
        #expect(setup.supervisor.worker("http")?.pid == pid)
    }

    /// Two requests in one send: a write, then a query; answered in that order on the connection.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let (setup, _) = try started()
        let connection = try RawHTTPConnection(port: setup.port)

        try connection.send("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\ncpu v=1i\nGET /query?q=SHOW+DATABASES HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try connection.response()
        let second = try connection.response()

        #expect(first.status == 204)
        #expect(second.status == 200)
        #expect(second.body == #"{"results":[{"statement_id":0}]}"#)
        #expect(setup.rowsIn() == 1)
    }

    /// RssAnon of a process, in KiB: the memory it holds of its own (no shared libraries, no ring).
    static func privateMemoryKiB(_ pid: pid_t) -> Int? {
        (readFile("/proc/\(pid)/status") ?? "").split(separator: "\n").first { $0.hasPrefix("RssAnon:") }
            .flatMap { Int($0.split(separator: " ")[1]) }
    }
}

/// With `auth_tokens` and `users` set: what clients must present, what stays open, and where the
/// secrets never appear.
@Suite struct HTTPAuthentication {
    static let token = "tok-7f3a9c2e51"
    static let password = "pw-b81d44e0c9"

    private func started() throws -> HTTPWorkerSetup {
        let setup = HTTPWorkerSetup(http: """
            auth_tokens = ["\(Self.token)"]
            users = ["telegraf:\(Self.password)"]
            """, httpWorkers: 2)
        try setup.start(httpWorkers: 2)
        return setup
    }

    @Test func aWriteWithoutCredentialsIsAnswered401InTheShapeOfEachAPI() throws {
        let setup = try started()

        let v1 = curl(["-XPOST", setup.url + "/write?db=x", "--data-binary", "cpu v=1i"]).response
        let v2 = curl(["-XPOST", setup.url + "/api/v2/write?bucket=x", "--data-binary", "cpu v=1i"]).response

        #expect(v1?.status == 401)
        #expect(v1?.header("www-authenticate") == #"Basic realm="linemaster""#)
        #expect(v1?.body == #"{"error":"unauthorized access"}"#)
        #expect(v2?.status == 401)
        #expect(v2?.body == #"{"code":"unauthorized","message":"unauthorized access"}"#)
        #expect(curl(["-XPOST", setup.url + "/api/v2/write?bucket=x", "-H", "Authorization: Token wrong", "--data-binary", "cpu v=1i"]).response?.status == 401)
        #expect(setup.rowsIn() == 0)
    }

    @Test func eachFormOfCredentialsInfluxDBAcceptsIsAnswered204() throws {
        let setup = try started()
        let forms: [(String, [String])] = [
            ("v2 token", ["-H", "Authorization: Token \(Self.token)", setup.url + "/api/v2/write?bucket=x"]),
            ("v1 token", ["-H", "Authorization: Token \(Self.token)", setup.url + "/write?db=x"]),
            ("basic", ["-u", "telegraf:\(Self.password)", setup.url + "/write?db=x"]),
            ("u and p", [setup.url + "/write?db=x&u=telegraf&p=\(Self.password)"]),
            ("token name:password", ["-H", "Authorization: Token telegraf:\(Self.password)", setup.url + "/write?db=x"]),
        ]

        for (form, arguments) in forms {
            #expect(curl(["-XPOST", "--data-binary", "cpu v=1i"] + arguments).response?.status == 204, "\(form)")
        }

        #expect(setup.rowsIn() == forms.count)
    }

    @Test func realClientsAuthenticateWithAPasswordOrAToken() throws {
        let setup = try started()

        let clients = Binaries.runProgram("/usr/bin/env", ["python3", clientPath("authenticated_clients.py"), String(setup.port)],
                                          stdin: "\(Self.token)\ntelegraf\n\(Self.password)\n")

        #expect(clients.output == "v1 written\nv1 wrong password 401\nv2 written\nv2 wrong token 401\n")
        #expect(clients.status == 0)
        #expect(setup.rowsIn() == 2)
    }

    @Test func pingAndHealthNeedNoCredentials() throws {
        let setup = try started()

        #expect(curl([setup.url + "/ping"]).response?.status == 204)
        #expect(curl([setup.url + "/health"]).response?.status == 200)
    }

    @Test func theSecretsAreInNoWorkersCommandLineOrEnvironmentNorInTheLog() throws {
        let setup = try started()
        #expect(curl(["-XPOST", "-H", "Authorization: Token \(Self.token)", setup.url + "/write?db=x", "--data-binary", "cpu v=1i"]).response?.status == 204)
        let pids = [setup.supervisor.pid] + HTTPWorkerSetup.names(2).compactMap { setup.supervisor.worker($0)?.pid }
        #expect(pids.count == 3)

        for pid in pids {
            for file in ["cmdline", "environ"] {
                let text = try #require(readFile("/proc/\(pid)/\(file)"), "/proc/\(pid)/\(file)")
                #expect(!text.contains(Self.token) && !text.contains(Self.password), "/proc/\(pid)/\(file)")
            }
        }
        let log = setup.supervisor.log()
        #expect(log.contains("serving the InfluxDB write API"))
        #expect(!log.contains(Self.token) && !log.contains(Self.password))
    }
}
