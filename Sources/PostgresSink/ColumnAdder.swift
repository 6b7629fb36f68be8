import Glibc
import LineProtocol
import SQLTemplates

/// `add_columns`: gives a table a column for each tag or field key of new rows that it has none
/// for (``ColumnPlan``), so that typed tables follow the data. Such keys are noticed while a batch
/// is encoded (``RowEncoder/sawNewKey``): the batch is rolled back, its tables grow, and it is
/// written again, so that a batch without new keys matches each row to columns only once.
///
/// Schema changes must not stall ingest: `ALTER TABLE` waits for every transaction that touched
/// the table, and while it waits, every later COPY into the table waits behind it. So the ALTER
/// runs before the batch's transaction, in a short one of its own, under the advisory lock that
/// table creation takes (two inserters adding the same key take turns, and the second finds the
/// first one's column), with a short `lock_timeout`, tried a few times; the catalog is read again
/// inside it, and the table's new definition is what the batch then uses.
final class ColumnAdder {
    let catalog: Catalog
    /// A table with this many columns gets no more (PostgreSQL's own limit is 1,600).
    let maxColumns: Int
    /// `add_column_templates`, run instead of linemaster's own ALTER TABLE when set.
    let templates: TableTemplates
    /// Tables whose role may not alter them, or that hit PostgreSQL's column limit: not asked
    /// again until the catalog is read again (SIGHUP).
    private var refused: [UInt32: Refusal] = [:]

    init(catalog: Catalog, maxColumns: Int, templates: TableTemplates) {
        self.catalog = catalog
        self.maxColumns = maxColumns
        self.templates = templates
    }

    /// How long one ALTER waits for the table's lock, and how often it is tried.
    private static let lockTimeout = "500ms", attempts = 3

    /// Why a table received no new columns although rows had keys without one.
    enum Refusal: Error, Equatable {
        /// It has ``maxColumns`` columns (or PostgreSQL's limit): such keys go to `_tags` or
        /// `_fields`, and rows with a key that has no place at all are rejected.
        case full(String)
        /// The server refused the ALTER for a reason someone has to fix (a privilege): such
        /// keys go to `_tags` or `_fields`, or are dropped and counted.
        case refused(ServerError)
    }

    /// The table's shape once it has columns for the keys of `rows` (nil: it had them already,
    /// or it was refused them before), or why it cannot have them (a server's refusal is reported
    /// once). Contention errors that outlast the tries, and anything else unexpected, are thrown
    /// for the batch to handle.
    func grow(_ shape: TableShape, named name: String, for rows: [PointRecordView],
              on connection: Connection) throws(StatementFailure) -> Result<TableShape?, Refusal> {
        switch refused[shape.oid] {
        case .full(let reason)?: return .failure(.full(reason))
        case .refused?: return .success(nil)
        case nil: break
        }
        guard !ColumnPlan(for: rows, in: shape).columns.isEmpty else { return .success(nil) }
        guard shape.columnNames.count < maxColumns else { return .failure(.full(fullReason(shape))) }
        var attempt = 1
        while true {
            do throws(StatementFailure) {
                return try connection.serialized(on: TableCreator.lockKey(catalog.schema, name)) { () throws(StatementFailure) in
                    try alter(shape.oid, named: name, for: rows, on: connection)
                }
            } catch .server(let error) where ErrorClass(error.sqlstate) == .contention && attempt < Self.attempts {
                usleep(UInt32(50_000 * attempt))
                attempt += 1
            } catch .server(let error) where error.sqlstate == Self.tooManyColumns {
                refused[shape.oid] = .full(error.message)
                return .failure(.full(error.message))
            } catch .server(let error) where ErrorClass(error.sqlstate) == .configuration {
                refused[shape.oid] = .refused(error)
                return .failure(.refused(error))
            }
        }
    }

    /// What becomes of a table's keys that have no column.
    struct KeyPolicy {
        let unplacedKeys: RowEncoder.UnplacedKeys
        /// Whether such keys get columns (the batch adds them and is tried again).
        let grows: Bool

        /// `add_columns` off: to the JSON columns, or dropped and counted.
        static let fixed = KeyPolicy(unplacedKeys: .drop, grows: false)
    }

    /// The table's policy: it grows while it has room and was not refused an ALTER; a full
    /// table rejects rows whose keys have no place at all; a refused one drops such keys.
    func policy(for shape: TableShape) -> KeyPolicy {
        switch refused[shape.oid] {
        case .full(let reason)?: return KeyPolicy(unplacedKeys: .reject(reason), grows: false)
        case .refused?: return .fixed
        case nil:
            guard shape.columnNames.count < maxColumns else { return KeyPolicy(unplacedKeys: .reject(fullReason(shape)), grows: false) }
            return KeyPolicy(unplacedKeys: .drop, grows: true)
        }
    }

    /// Forgets refusals, with the catalog (SIGHUP: a privilege may have been granted).
    func invalidate() { refused.removeAll() }

    /// 54011: the table would have more than 1,600 columns (dropped ones count).
    static let tooManyColumns = "54011"

    /// Inside the serialized transaction: reads the table again (another inserter may have added
    /// the columns), adds what is still missing within the limit, and returns the new shape.
    private func alter(_ oid: UInt32, named name: String, for rows: [PointRecordView],
                       on connection: Connection) throws(StatementFailure) -> Result<TableShape?, Refusal> {
        try connection.query("SELECT pg_catalog.set_config('lock_timeout', $1, true)", [Self.lockTimeout])
        guard let current = try catalog.load(oid: oid, on: connection) else { return .success(nil) }
        let room = max(0, maxColumns - current.columnNames.count)
        let columns = ColumnPlan(for: rows, in: current).columns.prefix(room)
        guard !columns.isEmpty else { return room == 0 ? .failure(.full(fullReason(current))) : .success(current) }
        if let rendered = templates.renderAddColumns(table: TemplateTable(schema: catalog.schema, name: name),
                                                     columns: columns.map(\.templateColumn)) {
            try connection.execute(rendered: rendered, of: templates.addColumn)
        } else {
            try connection.execute("ALTER TABLE \(current.qualifiedName) "
                + columns.map { "ADD COLUMN IF NOT EXISTS \($0.definition)" }.joined(separator: ", "))
        }
        guard let altered = try catalog.load(oid: oid, on: connection) else { return .success(nil) }
        let comments = try columns.filter { altered.columnNames.contains($0.name) }.map { column throws(StatementFailure) in
            "COMMENT ON COLUMN \(altered.qualifiedName).\(quoteIdentifier(column.name)) IS \(try connection.literal(column.comment))"
        }
        guard !comments.isEmpty else { return .success(altered) }
        try connection.execute(comments.joined(separator: "; "))
        return .success(try catalog.load(oid: oid, on: connection))
    }

    func fullReason(_ shape: TableShape) -> String {
        "table \(shape.qualifiedName) has \(shape.columnNames.count) columns, max_columns is \(maxColumns)"
    }
}
