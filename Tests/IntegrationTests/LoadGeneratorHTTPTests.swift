import Glibc
import Testing

/// `linemaster-load --http` against a real HTTP server (python3's http.server, started here) that
/// answers 204 and records the seq of every line it acknowledged: what the generator reports as
/// sent must be exactly what the server acknowledged, each line once.
@Suite struct LoadGeneratorOverHTTP {
    @Test func everyLineOfARequestAnswered204IsCountedAsSentOnceOverKeepAliveConnections() throws {
        let server = try CountingHTTPServer(refusingFirst: 0)
        let output = load(server, ["-n", "10000", "--connections", "4", "--lines-per-request", "333", "--gzip"])
        let tally = server.stop()
        #expect(output.contains("sent 10000 lines in 31 requests"))
        #expect(output.contains("answers: 204 x31"))
        #expect(output.contains("latency: p50 "))
        #expect(tally == .init(lines: 10000, distinctSeq: 10000, lowestSeq: 500, highestSeq: 10499, connections: 4))
    }

    @Test func aRequestAnswered503WithRetryAfterIsSentAgainWithRetryAndAcknowledgedOnce() throws {
        let server = try CountingHTTPServer(refusingFirst: 3)
        let output = load(server, ["-n", "10000", "--connections", "2", "--lines-per-request", "1000", "--retry"])
        let tally = server.stop()
        #expect(output.contains("sent 10000 lines in 10 requests"))
        #expect(output.contains("answers: 204 x10, 503 x3"))
        #expect(output.contains("retried: 3 times"))
        #expect(tally.lines == 10000 && tally.distinctSeq == 10000)
    }

    @Test func withoutRetryTheLinesOfA503AreNotAcknowledgedAndNotCountedAsSent() throws {
        let server = try CountingHTTPServer(refusingFirst: 2)
        let output = load(server, ["-n", "10000", "--connections", "1", "--lines-per-request", "1000"])
        let tally = server.stop()
        #expect(output.contains("sent 8000 lines in 8 requests"))
        #expect(output.contains("not acknowledged (no 204): 2000 lines in 2 requests"))
        #expect(tally == .init(lines: 8000, distinctSeq: 8000, lowestSeq: 2500, highestSeq: 10499, connections: 1))
    }

    private func load(_ server: CountingHTTPServer, _ options: [String]) -> String {
        let result = Binaries.run("linemaster-load", ["--http", "http://127.0.0.1:\(server.port)/write?db=test", "--seq-start", "500"] + options)
        #expect(result.status == 0, "\(result.output)")
        return result.output
    }
}

/// A python3 http.server on a free loopback port: the first `refusingFirst` requests get 503 with
/// `Retry-After: 0`, every other one 204 once its lines (gzip or not) are recorded.
private final class CountingHTTPServer {
    struct Tally: Equatable {
        var lines = 0, distinctSeq = 0, lowestSeq = -1, highestSeq = -1, connections = 0
    }

    static let script = #"""
        import gzip, http.server, os, signal, sys, threading
        refuse_first = int(sys.argv[1])
        lock = threading.Lock()
        requests, seqs, peers = 0, [], set()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def do_POST(self):
                global requests
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with lock:
                    requests += 1
                    refuse = requests <= refuse_first
                    if not refuse:
                        seqs.extend(int(line.split(b"seq=")[1].split(b"i")[0]) for line in body.splitlines() if line)
                        peers.add(self.client_address)
                if refuse:
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                else:
                    self.send_response(204)
                self.end_headers()

        def report(*_):
            with lock:
                print(f"tally {len(seqs)} {len(set(seqs))} {min(seqs, default=-1)} {max(seqs, default=-1)} {len(peers)}", flush=True)
            os._exit(0)

        signal.signal(signal.SIGTERM, report)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(f"port {server.server_address[1]}", flush=True)
        server.serve_forever()
        """#

    let port: Int
    private let pid: pid_t
    private let logPath: String, scriptPath: String

    init(refusingFirst refused: Int) throws {
        let base = "/tmp/linemaster-http-server-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let (scriptPath, logPath) = (base + ".py", base + ".log")
        writeFile(scriptPath, Self.script)
        pid = Binaries.spawnProgram("/usr/bin/python3", [scriptPath, String(refused)], logPath: logPath)
        var port: Int?
        try waitUntil("the HTTP server prints its port") {
            port = Self.value(after: "port ", in: readFile(logPath) ?? "").first
            return port != nil
        }
        (self.port, self.scriptPath, self.logPath) = (port!, scriptPath, logPath)
    }

    /// Stops the server and returns what it acknowledged.
    func stop() -> Tally {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        defer { unlink(scriptPath); unlink(logPath) }
        let v = Self.value(after: "tally ", in: readFile(logPath) ?? "")
        guard v.count == 5 else { return Tally() }
        return Tally(lines: v[0], distinctSeq: v[1], lowestSeq: v[2], highestSeq: v[3], connections: v[4])
    }

    private static func value(after prefix: String, in log: String) -> [Int] {
        guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
        return line.dropFirst(prefix.count).split(separator: " ").compactMap { Int($0) }
    }
}
