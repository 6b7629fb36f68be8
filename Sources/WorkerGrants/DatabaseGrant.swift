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

    /// `create_templates`: statements run instead of linemaster's own CREATE TABLE (SQLTemplates).
    public var createTemplates: [String]
    /// `add_column_templates`: statements run instead of linemaster's own ADD COLUMN.
    public var addColumnTemplates: [String]

    public init(url: String, schema: String, createTables: TableCreation, addColumns: Bool, maxColumns: Int,
                createTemplates: [String] = [], addColumnTemplates: [String] = []) {
        self.url = url
        self.schema = schema
        self.createTables = createTables
        self.addColumns = addColumns
        self.maxColumns = maxColumns
        self.createTemplates = createTemplates
        self.addColumnTemplates = addColumnTemplates
    }

    /// `key=value` lines, a list as one line per element (`create_template=...`), in order. Values
    /// are percent-escaped (``GrantValue``): SQL templates hold line breaks.
    public var encoded: String {
        let pairs = [("url", url), ("schema", schema), ("create_tables", createTables.rawValue),
                     ("add_columns", String(addColumns)), ("max_columns", String(maxColumns))]
            + createTemplates.map { ("create_template", $0) } + addColumnTemplates.map { ("add_column_template", $0) }
        return pairs.map { "\($0)=\(GrantValue.escape($1))\n" }.joined()
    }

    public init?(encoded text: String) {
        var values: [Substring: [String]] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "="),
                  let value = GrantValue.unescape(line[line.index(after: equals)...]) else { return nil }
            values[line[..<equals], default: []].append(value)
        }
        guard let url = values["url"]?.first, let schema = values["schema"]?.first,
              let create = values["create_tables"]?.first.flatMap(TableCreation.init(rawValue:)),
              let add = values["add_columns"]?.first.flatMap(Bool.init), let max = values["max_columns"]?.first.flatMap({ Int($0) }) else { return nil }
        self.init(url: url, schema: schema, createTables: create, addColumns: add, maxColumns: max,
                  createTemplates: values["create_template"] ?? [], addColumnTemplates: values["add_column_template"] ?? [])
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

/// How a grant's value is written on its line: `%` as `%25`, line feed `%0A`, carriage return
/// `%0D`; everything else as it is, so that a grant stays readable.
enum GrantValue {
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "%": out += "%25"
            case "\n": out += "%0A"
            case "\r": out += "%0D"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Nil for a `%` not followed by two hex digits.
    static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i < utf8.endIndex {
            guard utf8[i] == UInt8(ascii: "%") else { bytes.append(utf8[i]); i = utf8.index(after: i); continue }
            let hex = utf8[utf8.index(after: i)...].prefix(2)
            guard hex.count == 2, let byte = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            i = hex.endIndex
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
