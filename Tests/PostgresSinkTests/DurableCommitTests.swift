import PostgresSink
import Testing

/// A batch's COMMIT is durable whatever the session's default: `synchronous_commit = off` is
/// raised to `on` for the batch's transaction, and any other value is left as it is.
@Suite struct DurableCommitTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    /// The table's default records the setting in force while the batch's COPY runs.
    @Test(arguments: [("off", "on"), ("local", "local"), ("on", "on"), ("remote_apply", "remote_apply")])
    func aBatchCommitsWithAtLeastALocalFlush(sessionSetting: String, inTransaction: String) throws {
        try db.execute("""
            CREATE TABLE $schema.cpu (_time timestamptz, _fields jsonb, commit_mode text DEFAULT current_setting('synchronous_commit'))
            """)
        let conninfo = db.conninfo + " options='-c synchronous_commit=\(sessionSetting)'"
        let sink = PostgresSink(settings: SinkSettings(conninfo: conninfo, schema: db.schema))
        try Inserter(sink).write("cpu x=1i 1")
        #expect(try db.column("SELECT commit_mode FROM $schema.cpu") == [inTransaction])
    }
}
