import Glibc
import PostgresSink
import Testing

/// PostgreSQL down or restarting: typed errors, nothing committed, reconnect on the next call.
@Suite struct ConnectionTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    @Test func anUnreachableServerIsAConnectionErrorWithoutThePassword() throws {
        let sink = PostgresSink(settings: SinkSettings(conninfo: "host=/nonexistent port=1 user=u password=hunter2", schema: db.schema))
        do {
            try sink.connect()
            Issue.record("connected to nothing")
        } catch {
            guard case .connectionLost(let message) = error else { throw error }
            #expect(!message.contains("hunter2"))
            #expect(message.contains("nonexistent"))
            #expect(sink.stats.lastError == error.description)
        }
    }

    @Test func aConnectionKilledMidwayIsReportedThenReestablished() throws {
        let name = "victim_\(db.schema)"
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " application_name=\(name)", schema: db.schema))
        let inserter = Inserter(sink)
        try inserter.write("cpu x=1i 1")
        try db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(name)'")
        #expect {
            try inserter.write("cpu x=2i 2")
        } throws: { error in
            if case SinkError.connectionLost = error { return true }
            return false
        }
        try inserter.write("cpu x=3i 3")
        #expect(try db.column("SELECT _fields->>'x' FROM $schema.cpu ORDER BY _time") == ["1", "3"])
        #expect(try sink.isCommitted(epoch: 1, firstSeq: 2, lastSeq: 2) == false)
    }

    @Test func aURLConnectionStringWorks() throws {
        let host = try environment("PGHOST"), port = try environment("PGPORT"), user = try environment("PGUSER")
        let url = "postgresql://\(user)@:\(port)/linemaster_test?host=\(host)"
        let outcome = try Inserter(PostgresSink(settings: SinkSettings(conninfo: url, schema: db.schema))).write("cpu x=1i 1")
        #expect(outcome.inserted == 1)
    }

    @Test func anEmptyConnectionStringUsesThePGEnvironmentVariables() throws {
        _ = try environment("PGHOST")
        let outcome = try Inserter(PostgresSink(settings: SinkSettings(conninfo: "", schema: db.schema))).write("cpu x=1i 1")
        #expect(outcome.inserted == 1)
    }

    private func environment(_ name: String) throws -> String {
        guard let value = getenv(name) else {
            throw TestDatabase.Failure(description: "\(name) is not set: run the tests under scripts/with-postgres")
        }
        return String(cString: value)
    }

    @Test func aMissingSchemaIsAConfigurationError() throws {
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo, schema: "no_such_schema_\(db.schema)"))
        #expect {
            try sink.connect()
        } throws: { error in
            guard case SinkError.misconfigured(let message) = error else { return false }
            return message.contains("does not exist") && message.contains("[database] schema")
        }
    }

    @Test func theConnectionSummaryNamesTheServerButNotThePassword() throws {
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " password=hunter2", schema: db.schema))
        try sink.connect()
        let summary = try #require(sink.connectionSummary)
        #expect(summary.contains("dbname=linemaster_test") && !summary.contains("hunter2"))
    }
}
