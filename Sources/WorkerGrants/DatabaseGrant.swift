#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// The database settings the supervisor hands to a worker with the `database` flag.
///
/// They travel through a pipe that the worker inherits (`LINEMASTER_DATABASE_FD`), so that a
/// password in the connection string appears neither in argv (which every user can read with ps)
/// nor in the environment (readable in /proc by the same user and inherited by children).
public struct DatabaseGrant: Equatable, Sendable {
    /// A libpq connection string or URI; empty means libpq's defaults and PG* variables.
    public var url: String
    public var schema: String
    public var createTables: TableCreation
    /// `add_columns`: whether keys without a column get one.
    public var addColumns: Bool
    /// `max_columns`: a table with this many columns gets no more.
    public var maxColumns: Int

    /// The embedded server's port: it only names its socket file, since it listens on no TCP port.
    public static let embeddedPort = 5432

    /// The connection string of the embedded server (`linemaster-postgres`) of a data directory:
    /// its Unix socket in `DATADIR/postgres`, used when the config sets no `[database] url`.
    public static func embeddedConnectionString(dataDirectory: String) -> String {
        // A quoted libpq value: a data directory with a space or a quote in its path still works.
        let host = (dataDirectory + "/postgres").flatMap { $0 == "\\" || $0 == "'" ? ["\\", $0] : [$0] }
        // Every setting explicit, so that PG* variables meant for another server do not leak in.
        return "host='\(String(host))' port=\(embeddedPort) dbname=postgres user=postgres"
    }

    public init(url: String, schema: String, createTables: TableCreation, addColumns: Bool, maxColumns: Int) {
        self.url = url
        self.schema = schema
        self.createTables = createTables
        self.addColumns = addColumns
        self.maxColumns = maxColumns
    }

    /// `key=value` lines; no value can hold a line break (libpq's syntax has none).
    public var encoded: String {
        "url=\(url)\nschema=\(schema)\ncreate_tables=\(createTables.rawValue)\nadd_columns=\(addColumns)\nmax_columns=\(maxColumns)\n"
    }

    public init?(encoded text: String) {
        var values: [Substring: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            values[line[..<equals]] = String(line[line.index(after: equals)...])
        }
        guard let url = values["url"], let schema = values["schema"],
              let create = values["create_tables"].flatMap(TableCreation.init(rawValue:)),
              let add = values["add_columns"].flatMap(Bool.init), let max = values["max_columns"].flatMap({ Int($0) }) else { return nil }
        self.init(url: url, schema: schema, createTables: create, addColumns: add, maxColumns: max)
    }

    /// Reads the grant from the inherited pipe `fd` (the supervisor closed its end after writing).
    public static func read(fd: Int32) -> DatabaseGrant? {
        let bytes = try? readToEnd(fd: fd)
        close(fd)
        return bytes.flatMap { DatabaseGrant(encoded: String(decoding: $0, as: UTF8.self)) }
    }
}

/// `create_tables`: how a table for a new measurement comes about. The supervisor reads it from
/// the config and the inserters act on it; this is its one definition.
public enum TableCreation: String, Sendable, CaseIterable {
    /// `(_time timestamptz, _tags jsonb, _fields jsonb)`.
    case jsonb
    /// `_time timestamptz`, one column per tag (text) and field (typed after its first value), and
    /// `_tags`/`_fields` jsonb for keys that appear later.
    case columns
    /// Calls the user's `SCHEMA._create(metric name, tags name[], fields name[]) RETURNS regclass`,
    /// as pg_influx does.
    case function
    /// No table is created; the rows are counted as skipped.
    case skip
}
