import Foundation
import Glibc
import Testing

/// `GET /metrics` on the HTTP worker: the text `linemaster status --prometheus` prints, scraped
/// without credentials, with every answer of the worker counted in shared memory.
@Suite struct MetricsEndpoint {
    /// Samples of a scrape, parsed by `prometheus_client`, without the scrape's own count.
    static func samples(_ text: String) throws -> [String: Double] {
        try PrometheusExposition.parse(text).compactMapValues { $0 as? Double }.filter { !$0.key.contains(#""endpoint":"/metrics""#) }
    }

    @Test func aScrapeServesWhatStatusPrintsAndCountsEveryAnswerByEndpointAndCode() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let setup = HTTPWorkerSetup(http: #"max_body_size = "1KiB""# + "\nauth_tokens = [\"t0ken\"]", database: database)
        try setup.start()
        let auth = ["-H", "Authorization: Token t0ken"]
        #expect(curl(auth + ["--data-binary", "cpu,host=a v=1 1\ncpu,host=b v=2 2", "\(setup.url)/write"]).response?.status == 204)
        #expect(curl(["--data-binary", "cpu v=3 3", "\(setup.url)/write"]).response?.status == 401)
        #expect(curl(auth + ["--data-binary", String(repeating: "cpu v=4 4\n", count: 200), "\(setup.url)/write"]).response?.status == 413)
        #expect(curl(["\(setup.url)/nowhere"]).response?.status == 404)
        let malformed = try RawHTTPConnection(port: setup.port)
        try malformed.send("GET /ping HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        #expect(try malformed.response().status == 400)
        try waitUntil("the rows are stored") { database.count("SELECT count(*) FROM \(database.schema).cpu") == 2 }

        let scrape = try #require(curl(["\(setup.url)/metrics"]).response)
        #expect(scrape.status == 200)
        #expect(scrape.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let printed = setup.supervisor.control(["status", "-D", setup.supervisor.dataDirectory, "--prometheus"])
        #expect(printed.status == 0)
        let served = try Self.samples(scrape.body)
        #expect(served == (try Self.samples(printed.output)))

        func requests(_ endpoint: String, _ code: Int) -> Double? {
            served[#"linemaster_http_requests_total{"code":"\#(code)","endpoint":"\#(endpoint)","worker":"http"}"#]
        }
        #expect(requests("/write", 204) == 1 && requests("/write", 401) == 1 && requests("/write", 413) == 1)
        #expect(requests("other", 404) == 1 && requests("other", 400) == 1)
        #expect((requests("/ping", 204) ?? 0) >= 1)
        #expect(served[#"linemaster_batch_write_seconds_count{"worker":"inserter"}"#] ?? 0 >= 1)
        #expect(served[#"linemaster_batch_write_seconds_bucket{"le":"+Inf","worker":"inserter"}"#]
                == served[#"linemaster_batch_write_seconds_count{"worker":"inserter"}"#])
        #expect(served[#"linemaster_database_up{}"#] == 1)
        #expect(served[#"linemaster_lines_received_total{"protocol":"http","worker":"http"}"#] == 2)
        #expect(served[#"linemaster_rows_stored_total{"worker":"inserter"}"#] == 2)
    }

    @Test func answersRefusedForAFullRingAreCountedAndSurviveTheWorkersRestart() throws {
        // No inserter: the ring fills and stays full.
        let setup = HTTPWorkerSetup(ring: "1MiB")
        try setup.start()
        let body = String(repeating: "m,host=h value=\"" + String(repeating: "x", count: 900) + "\"\n", count: 100)
        var refused = 0
        for _ in 0 ..< 20 where curl(["--data-binary", body, "\(setup.url)/write"]).response?.status == 503 { refused += 1 }
        #expect(refused > 0)
        let before = try Self.samples(try #require(curl(["\(setup.url)/metrics"]).response).body)
        #expect(before[#"linemaster_http_requests_total{"code":"503","endpoint":"/write","worker":"http"}"#] == Double(refused))

        let killed = try #require(setup.supervisor.worker("http")).pid
        kill(killed, SIGKILL)
        try waitUntil("the HTTP worker serves again") {
            setup.supervisor.worker("http").map { $0.pid != killed } == true && curl(["\(setup.url)/ping"]).response?.status == 204
        }
        let after = try Self.samples(try #require(curl(["\(setup.url)/metrics"]).response).body)
        #expect(after[#"linemaster_http_requests_total{"code":"503","endpoint":"/write","worker":"http"}"#] == Double(refused))
        #expect(after[#"linemaster_worker_restarts_total{"worker":"http"}"#] == 1)
    }
}
