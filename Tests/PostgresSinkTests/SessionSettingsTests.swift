import PostgresSink
import Testing

/// What the sink sets in its own session when it connects, seen from inside its COPY: a trigger
/// writes the session's settings into the row it stores.
@Suite struct SessionSettingsTests {
    let db: TestDatabase
    init() throws {
        db = try TestDatabase()
        try db.execute("""
            CREATE TABLE $schema.cpu (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE FUNCTION $schema.settings() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW._tags := jsonb_build_object(
                    'lock_timeout', current_setting('lock_timeout'),
                    'statement_timeout', current_setting('statement_timeout'),
                    'citus', coalesce(current_setting('citus.max_cached_conns_per_worker', true), 'unset'));
                RETURN NEW;
            END $$;
            CREATE TRIGGER settings BEFORE INSERT ON $schema.cpu FOR EACH ROW EXECUTE FUNCTION $schema.settings();
            """)
    }

    private func settings(with conninfo: String) throws -> [String?] {
        try Inserter(PostgresSink(settings: SinkSettings(conninfo: conninfo, schema: db.schema))).write("cpu x=1i 1")
        let row = try db.query("SELECT _tags->>'lock_timeout', _tags->>'statement_timeout', _tags->>'citus' FROM $schema.cpu")
        try db.execute("TRUNCATE $schema.cpu")
        return row.first ?? []
    }

    /// On plain PostgreSQL (no citus extension) the session gets a lock timeout of 1 s, keeps the
    /// server's statement timeout (none), and no Citus setting.
    @Test func aSessionWaitsForALockAtMostOneSecondAndSetsNothingForCitusOnPlainPostgreSQL() throws {
        #expect(try db.column("SELECT count(*) FROM pg_extension WHERE extname = 'citus'") == ["0"])
        #expect(try settings(with: db.conninfo) == ["1s", "0", "unset"])
    }

    /// A lock timeout someone chose (here in the connection string) is kept.
    @Test func aLockTimeoutTheConnectionStringSetsIsKept() throws {
        #expect(try settings(with: db.conninfo + " options='-c lock_timeout=250ms'") == ["250ms", "0", "unset"])
    }
}
