import Glibc
import Testing

/// The throwaway PostgreSQL that `scripts/with-postgres` (run by `scripts/test`) provides, with a
/// schema of its own for each test, looked at with psql as a user would.
struct TestDatabase {
    let url: String
    let schema: String

    /// Fails the test with a clear message when no database was provided.
    init() throws {
        guard let url = getenv("LINEMASTER_TEST_DATABASE_URL").map({ String(cString: $0) }) else {
            throw MissingDatabase()
        }
        self.url = url
        schema = "test_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE SCHEMA \(schema)")
    }

    /// A database of the test's own beside the throwaway one, for what belongs to a whole
    /// database (an extension), with a schema of the test's own in it; drop it with
    /// ``dropDatabase()``. The provided URL must be `key=value` pairs (a later `dbname` wins).
    init(ownDatabase: String) throws {
        let shared = try TestDatabase()
        shared.drop()
        try shared.psql("CREATE DATABASE \(ownDatabase)")
        url = shared.url + " dbname=\(ownDatabase)"
        schema = shared.schema
        try psql("CREATE SCHEMA \(schema)")
    }

    func dropDatabase() {
        guard let shared = getenv("LINEMASTER_TEST_DATABASE_URL").map({ String(cString: $0) }) else { return }
        let name = url.split(separator: "dbname=").last.map(String.init) ?? ""
        _ = Binaries.runProgram("/usr/bin/psql", [shared, "-X", "-At", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output (`a|b` per row).
    @discardableResult
    func psql(_ sql: String) throws -> String {
        let result = Binaries.runProgram("/usr/bin/psql", [url, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        guard result.status == 0 else { throw PsqlFailed(sql: sql, output: result.output) }
        return result.output.trimmingCharacters(in: "\n")
    }

    /// A number from a query such as `SELECT count(*) ...`; -1 while the query fails (no table yet).
    func count(_ sql: String) -> Int {
        (try? psql(sql)).flatMap { Int($0) } ?? -1
    }

    func drop() {
        _ = try? psql("DROP SCHEMA \(schema) CASCADE")
    }
}

struct MissingDatabase: Error, CustomStringConvertible {
    var description: String { "LINEMASTER_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL" }
}

struct PsqlFailed: Error, CustomStringConvertible {
    let sql: String
    let output: String
    var description: String { "psql failed on \(sql): \(output)" }
}
