/// What an inserter sets in its own session when it connects, in one round trip, and only where
/// nobody else has: a setting the URL (`options=-c lock_timeout=5s`), the role, the database or
/// the server's config gave is kept (`pg_settings.source` is then not `default`).
enum SessionSettings {
    /// Name, value, and whether it applies only where the database has the citus extension.
    ///
    /// `lock_timeout = 1s`: a COPY behind a lock someone holds (LOCK TABLE, CREATE INDEX, ALTER
    /// TABLE that rewrites, VACUUM FULL) would otherwise wait for as long as it is held, with the
    /// batch, and so the ring, behind it; with a timeout it fails with 55P03 (``ErrorClass/contention``),
    /// and a table still locked at the batch's second try has its rows parked. One second is
    /// PostgreSQL's own `deadlock_timeout`, its measure of a lock wait worth looking at: DDL that
    /// takes a table's lock briefly (ADD COLUMN, CREATE TRIGGER, the truncation at the end of a
    /// VACUUM) is done well within it, and a lock held longer is mostly held for minutes, which
    /// waiting longer would not cure. So a table locked for good holds a batch about 2.1 s (two
    /// tries, 0.1 s apart), and each later batch one `LOCK ... NOWAIT`.
    ///
    /// No `statement_timeout`: lock waits are what leave a COPY waiting without end, and
    /// `lock_timeout` bounds them; a statement timeout would also cancel a COPY that is slow only
    /// because the server is busy or the batch is large (Citus), and its retry would do the same
    /// work again, slower. A server or role setting one is kept; its 57014 counts as contention.
    ///
    /// `citus.max_cached_conns_per_worker = 16`: without it Citus opens a connection per shard
    /// for each batch's COPY and closes it at COMMIT (8-11k rows/s into a 32-shard table, issue 14;
    /// 62-77k with 16 and 20,000-row batches). On plain PostgreSQL, nothing is set.
    static let settings: [(name: String, value: String, citusOnly: Bool)] = [
        ("lock_timeout", "1s", false),
        ("citus.max_cached_conns_per_worker", "16", true),
    ]

    /// Applies ``settings`` to the session (`set_config(..., false)`: for the session, not a
    /// transaction): one statement, values as parameters.
    static func apply(on connection: Connection) throws(StatementFailure) {
        var values: [String] = [], parameters: [String?] = []
        for (i, setting) in settings.enumerated() {
            values.append("($\(3 * i + 1), $\(3 * i + 2), $\(3 * i + 3)::boolean)")
            parameters += [setting.name, setting.value, String(setting.citusOnly)]
        }
        try connection.query("""
            SELECT pg_catalog.set_config(s.name, v.value, false)
            FROM (VALUES \(values.joined(separator: ", "))) AS v(name, value, citus_only)
            JOIN pg_catalog.pg_settings s ON s.name = v.name AND s.source = 'default'
            WHERE NOT v.citus_only OR EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus')
            """, parameters)
    }
}
