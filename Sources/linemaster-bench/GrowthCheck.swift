/// What became of the new fields of a case whose line i carries `f<i/N>=1i` (`typedgrow`): the
/// columns linemaster added for them, and whether each row's field landed in its own column.
struct GrowthCheck {
    /// The names of the columns the new fields get (as linemaster names them: after the key).
    static let columnPattern = "^f[0-9]+$"

    /// Columns named `f<k>` in the table.
    let columnsAdded: Int
    /// The new fields the lines sent brought: one per N lines.
    let columnsExpected: Int
    /// The types of those columns, each once (`bigint` when linemaster typed them by their value).
    let columnTypes: [String]
    /// Values in those columns: one per stored row when every field landed.
    let values: Int
    /// Rows whose own column (`f<i/N>`) does not hold 1, or that have a value in another one.
    let misplaced: Int

    /// Reads the columns of `table` (quoted, qualified) and checks its rows, whose line numbers
    /// are `seq` less `seqStart`.
    init(psql: Psql, table: CaseTable, name: String, lines: Int, every: Int, seqStart: Int) throws {
        let columns = try psql.query("""
            SELECT attname || '|' || format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = '\(name)'::regclass AND attnum > 0 AND NOT attisdropped AND attname ~ '\(Self.columnPattern)' ORDER BY attnum
            """).split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        columnsAdded = columns.count
        columnsExpected = (lines + every - 1) / every
        columnTypes = Array(Set(columns.map { $0[1] })).sorted()
        guard !columns.isEmpty else {
            (values, misplaced) = (0, Int(try psql.query("SELECT count(*) FROM \(name)")) ?? -1)
            return
        }
        let quoted = columns.map { quotedIdentifier($0[0]) }
        let own = zip(columns, quoted).map { "WHEN \($0[0].dropFirst()) THEN \($1)" }.joined(separator: " ")
        let filled = quoted.map { "(\($0) IS NOT NULL)::int" }.joined(separator: " + ")
        let counts = try psql.query("""
            SELECT \(quoted.map { "count(\($0))" }.joined(separator: " + ")),
                   count(*) FILTER (WHERE \(filled) <> 1 OR (CASE i / \(every) \(own) END) IS DISTINCT FROM 1)
            FROM (SELECT *, \(table.seq) - \(seqStart) AS i FROM \(name)) s
            """).split(separator: "|")
        (values, misplaced) = (Int(counts[0]) ?? -1, Int(counts[1]) ?? -1)
    }

    /// One line for the report.
    var summary: String {
        "\(columnsAdded) columns added for the new fields (expected \(columnsExpected); type \(columnTypes.joined(separator: ", "))), "
            + "\(values) values in them, \(misplaced) rows whose new field is not (only) in its own column"
    }
}
