import FoundationEssentials

/// InfluxDB 1.x as the peer of the HTTP cases: the same load generator and bodies against its
/// `/write`, a fresh database per case, and what it stored counted through its `/query` API.
struct InfluxPeer {
    /// `http://HOST:PORT` of influxd.
    let baseURL: String

    /// Sends `bench` into database `bench_NUMBER`; what influxd acknowledged and then counts.
    func run(_ bench: BenchCase, number: Int, seqStart: Int, bin: String) throws -> CaseResult {
        let database = "bench_\(number)"
        _ = try query("CREATE DATABASE \(database)")
        defer { _ = try? query("DROP DATABASE \(database)") }
        say("== influxdb: \(bench.label), \(bench.lines) lines, seq from \(seqStart), database \(database)")
        let start = Machine.now
        let load = try LoadRun(bin: bin, arguments: LoadRun.arguments(
            for: bench, destination: "\(baseURL)/write?db=\(database)", seqStart: seqStart, series: CaseTable.series))
        let seconds = Machine.now - start
        let stored = try count("count(seq)", database: database)
        let distinct = try count("count(distinct(seq))", database: database)
        var result = CaseResult(system: "influxdb", bench: bench, load: load, stored: stored, distinct: distinct, seconds: seconds)
        result.drained = true
        return result
    }

    /// `SELECT WHAT FROM cpu`: its one number, 0 when the measurement has no points.
    private func count(_ what: String, database: String) throws -> Int {
        let answer = try query("SELECT \(what) FROM cpu", database: database)
        guard let decoded = try? JSONDecoder().decode(QueryAnswer.self, from: Data(answer.utf8)) else {
            throw BenchmarkFailure("influxdb answered a query with \(answer.prefix(200))")
        }
        return decoded.results.first?.series?.first?.values.first?.last?.number ?? 0
    }

    /// POSTs `q` to `/query` with curl; the answer's body.
    private func query(_ q: String, database: String? = nil) throws -> String {
        var argv = ["curl", "-sS", "--max-time", "300", "-XPOST", "\(baseURL)/query", "--data-urlencode", "q=\(q)"]
        if let database { argv += ["--data-urlencode", "db=\(database)"] }
        let (status, output) = try runCapturing(argv)
        guard status == 0, output.contains("\"results\""), !output.contains("\"error\"") else {
            throw BenchmarkFailure("influxdb query \(q) failed: \(output.prefix(300))")
        }
        return output
    }
}

/// `{"results":[{"series":[{"values":[["1970-01-01T00:00:00Z",300000]]}]}]}`
private struct QueryAnswer: Decodable {
    struct Result: Decodable { let series: [Series]? }
    struct Series: Decodable { let values: [[Value]] }
    /// A time (text) or a count.
    struct Value: Decodable {
        let number: Int?
        init(from decoder: Decoder) throws {
            number = (try? decoder.singleValueContainer().decode(Double.self)).map { Int($0) }
        }
    }
    let results: [Result]
}
