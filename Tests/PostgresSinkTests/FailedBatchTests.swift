import PostgresSink
import Testing

/// A batch the server refuses as a whole ends its transaction before the sink returns: the
/// inserter then backs off for up to 10 s, and a transaction left open meanwhile would hold its
/// locks, and its uncommitted ledger row, which an overlapping range would wait for.
@Suite struct FailedBatchTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    /// A trigger on `table` refuses every row with SQLSTATE 53000 (insufficient resources): a
    /// class the sink reports as the batch's failure, to be retried, rather than isolating rows.
    /// On the measurement's table the COPY fails under its savepoint and the transaction is still
    /// usable; on the ledger, the statement fails outside any savepoint and aborts it.
    @Test(arguments: ["cpu", "linemaster_ledger"])
    func aBatchTheServerRefusesLeavesNoTransactionNorLockBehind(refusingTable table: String) throws {
        let name = "refused_\(db.schema)"
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " application_name=\(name)", schema: db.schema))
        try sink.connect()
        try db.execute("""
            CREATE TABLE $schema.cpu (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'no room' USING ERRCODE = 'insufficient_resources'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON $schema.\(table) FOR EACH ROW EXECUTE FUNCTION $schema.refuse();
            """)

        #expect {
            try Inserter(sink).write("cpu x=1i 1\ncpu x=2i 2")
        } throws: { error in
            guard case SinkError.server(let server) = error else { return false }
            return server.sqlstate == "53000"
        }

        let session = "FROM pg_stat_activity WHERE application_name = '\(name)'"
        let states = try db.column("SELECT state \(session)")
        let locks = try db.column("SELECT locktype || ' ' || mode FROM pg_locks WHERE pid IN (SELECT pid \(session))")
        #expect(states == ["idle"])
        #expect(locks == [])
    }
}
