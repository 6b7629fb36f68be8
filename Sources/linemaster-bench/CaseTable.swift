/// The table a case stores into, and the COPY ceiling it is compared with: the same definition,
/// and the load generator's formulas for its rows.
enum CaseTable: Hashable {
    /// `create_tables = "jsonb"`: `(_time, _tags jsonb, _fields jsonb)`.
    case jsonb
    /// `create_tables = "columns"`: a typed column per tag and field key, made by linemaster.
    case typed

    /// Distinct series (host/region tags) of the load generator's lines.
    static let series = 1000

    var createTables: String {
        switch self {
        case .jsonb: "jsonb"
        case .typed: "columns"
        }
    }

    /// The table linemaster makes for the load generator's lines (as `pg_attribute` reads back:
    /// see ``definitionQuery(_:leavingOut:)``), which the ceiling's table copies.
    var definition: String {
        switch self {
        case .jsonb: "_time timestamp with time zone not null, _tags jsonb, _fields jsonb"
        case .typed: "_time timestamp with time zone not null, host text, region text, usage double precision, idle bigint, label text, seq bigint, _tags jsonb, _fields jsonb"
        }
    }

    /// The stored seq of a row, in SQL.
    var seq: String {
        switch self {
        case .jsonb: "(_fields->>'seq')::bigint"
        case .typed: "seq"
        }
    }

    // Line i (from 0): cpu,host=h<i%S>,region=r<i%S%8> usage=<(i*7919)%10000 / 100>,idle=<i>i,label="x<i%100>",seq=<X+i>i

    /// The columns of line `i` (an SQL expression) after `_time`, as `definition` lists them, of
    /// a run whose seq starts at `seqStart`. The typed table's `_tags` and `_fields` hold `{}`, as
    /// linemaster writes them when every key has a column.
    func values(_ i: String, seqStart: Int) -> [String] {
        let host = "'h' || ((\(i)) % \(Self.series))", region = "'r' || ((\(i)) % \(Self.series) % 8)"
        let usage = "(((\(i)) * 7919) % 10000)::float8 / 100", label = "'x' || ((\(i)) % 100)", seq = "\(seqStart) + (\(i))"
        switch self {
        case .jsonb:
            return ["jsonb_build_object('host', \(host), 'region', \(region))",
                    "jsonb_build_object('usage', to_jsonb(\(usage)), 'idle', (\(i)), 'label', \(label), 'seq', \(seq))"]
        case .typed:
            return [host, region, usage, "(\(i))", label, seq, "'{}'::jsonb", "'{}'::jsonb"]
        }
    }

    /// The columns `values` fills, by name.
    var valueColumns: [String] {
        Array(definition.split(separator: ",").map { String($0.split(separator: " ")[0]) }.dropFirst())
    }

    /// How many rows of `table` differ from the formulas, in SQL: 0 when the ceiling COPYs the rows stored.
    func differingQuery(_ table: String, seqStart: Int) -> String {
        let differs = zip(valueColumns, values("i", seqStart: seqStart)).map { "\($0) IS DISTINCT FROM \($1)" }
        return """
            SELECT count(*) FILTER (WHERE \(differs.joined(separator: " OR ")))
            FROM (SELECT *, \(seq) - \(seqStart) AS i FROM \(table)) s
            """
    }

    /// The definition of `table` (quoted, qualified), in SQL: its columns, as ``definition``
    /// spells them, less those whose names match the regular expression `leavingOut`.
    static func definitionQuery(_ table: String, leavingOut pattern: String) -> String {
        """
        SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
        FROM pg_attribute WHERE attrelid = '\(table)'::regclass AND attnum > 0 AND NOT attisdropped AND attname !~ '\(pattern)'
        """
    }
}
