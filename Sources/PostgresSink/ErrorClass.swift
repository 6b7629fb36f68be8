/// What an error means for the batch that met it, and so what the inserter does: the one table
/// of error classes (the README's "Errors" table is this one).
///
/// The classes follow PostgreSQL's SQLSTATE classes (Appendix A of its manual), and what
/// Telegraf's `outputs.postgresql` learned (`isTempError`): 53 and most of 57 are worth waiting
/// for, and an error nobody classified must not be retried for ever, "causing good data to be
/// dropped because the buffer fills up". Unlike Telegraf, nothing here is ever dropped: an
/// unknown error is retried a few times and then isolated to the rows that fail, which go to the
/// rejects table; and class 08 waits whoever reports it (Citus reports an unreachable worker as a
/// server error 08006, which Telegraf would count as permanent).
///
/// Only errors are classified, so this costs a successful batch nothing.
public enum ErrorClass: Sendable, Equatable, CustomStringConvertible {
    /// Waiting may cure it, and it concerns the whole database (a connection, resources, a
    /// restart, a standby): the batch waits in the ring and is retried with backoff, for as long
    /// as it takes.
    case transient
    /// Waiting may cure it, and it concerns what the statement touched: a lock another session
    /// holds (`lock_timeout`), a deadlock, a serialization failure, a statement timeout. Met by
    /// one table's COPY, lookup or creation, it marks the table and the batch is tried again
    /// (a deadlock or a brief DDL is mostly over by then); met again while the table is marked,
    /// the table's rows are parked and the rest of the batch commits. A marked table's lock is
    /// asked for without waiting, until a COPY into it succeeds. Met anywhere else (the ledger,
    /// the parked table), the batch waits like ``transient``.
    case contention
    /// A row's data (a value, a constraint): the row goes to the rejects table with the error,
    /// its neighbours are stored.
    case data
    /// Someone has to act (a privilege, a missing object, a setting): the batch waits, and the
    /// cause shows in the inserter's activity and the log. Never rejects a row.
    case configuration
    /// Anything else (internal errors, a user function's RAISE, codes not listed): retried
    /// ``unknownRetries`` times, then handled like ``data``: the rows that fail alone are
    /// rejected with the error, the rest stored.
    case unknown

    /// How often a batch that meets an ``unknown`` error is tried as a whole before its rows are
    /// isolated: the fourth try isolates. Three, at the inserter's backoff of 0.1, 0.2 and 0.4 s:
    /// isolation starts under a second after the first failure (when the batch had not been
    /// waiting for another reason before). More would not protect any row: isolation copies the rows again (in halves),
    /// so an error that has cleared by then rejects nothing, and only rows that still fail on
    /// their own are rejected, each kept whole with its error in the rejects table. Fewer waits
    /// would turn a momentary internal error into a bisection of every batch meanwhile.
    public static let unknownRetries = 3

    /// The class of a SQLSTATE: its own entry in ``table`` if it has one, else its class's (the
    /// first two characters), else ``unknown``.
    public init(_ sqlstate: String) {
        let code = sqlstate.utf8
        if code.count == 5, let exact = Self.codes[sqlstate] { self = exact; return }
        self = code.count >= 2 ? Self.classes[String(sqlstate.prefix(2))] ?? .unknown : .unknown
    }

    /// Every SQLSTATE or SQLSTATE class (two characters) with a class of its own, and why.
    /// Anything not listed is ``unknown``.
    public static let table: [(sqlstate: String, errorClass: ErrorClass, meaning: String)] = [
        ("08", .transient, "connection exception, reported by libpq or by the server (Citus: a worker unreachable)"),
        ("08P01", .unknown, "protocol violation: on a live connection, binary data a changed column cannot take"),
        ("25", .transient, "invalid transaction state, e.g. 25006 read-only transaction (a standby after a failover)"),
        ("25001", .configuration, "active SQL transaction: a _create function that cannot run inside one (CREATE INDEX CONCURRENTLY)"),
        ("25P01", .configuration, "no active SQL transaction: a _create function that ends the transaction"),
        ("40", .transient, "transaction rollback: 40003 statement completion unknown"),
        ("40001", .contention, "serialization failure: a conflict with a concurrent transaction"),
        ("40P01", .contention, "deadlock detected"),
        ("40002", .data, "integrity constraint violation at commit (a deferred constraint)"),
        ("53", .transient, "insufficient resources: disk full, out of memory, too many connections"),
        ("55P03", .contention, "lock not available: lock_timeout, or a lock asked for with NOWAIT"),
        ("55006", .contention, "object in use"),
        ("57", .transient, "operator intervention: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now"),
        ("57014", .contention, "query canceled: a statement_timeout, mostly while waiting for a lock behind DDL or VACUUM FULL"),
        ("58", .transient, "system error: I/O error"),
        ("58P01", .configuration, "undefined file: a library or extension file missing from the server"),
        ("22", .data, "data exception: a value out of range, invalid text, a string too long"),
        ("23", .data, "integrity constraint violation: NOT NULL, CHECK, unique, foreign key"),
        ("44", .data, "WITH CHECK OPTION violation (a view or row security)"),
        ("28", .configuration, "invalid authorization"),
        ("3D", .configuration, "database does not exist"),
        ("3F", .configuration, "schema does not exist"),
        ("42", .configuration, "privilege or missing object: 42501 permission denied, 42P01 undefined table (after a catalog refresh), 42703, 42883"),
        ("42P07", .transient, "duplicate table: a concurrent CREATE, found on the next try"),
        ("42701", .transient, "duplicate column: a concurrent ADD COLUMN, found on the next try"),
        ("F0", .configuration, "configuration file error"),
    ]

    private static let codes = Dictionary(uniqueKeysWithValues: table.filter { $0.sqlstate.count == 5 }.map { ($0.sqlstate, $0.errorClass) })
    private static let classes = Dictionary(uniqueKeysWithValues: table.filter { $0.sqlstate.count == 2 }.map { ($0.sqlstate, $0.errorClass) })

    public var description: String {
        switch self {
        case .transient: return "transient"
        case .contention: return "contention"
        case .data: return "data"
        case .configuration: return "configuration"
        case .unknown: return "unknown"
        }
    }
}

extension SinkError {
    /// What the failure of a batch means: a lost connection waits, a missing schema needs a
    /// person, a server error is classed by its SQLSTATE.
    public var errorClass: ErrorClass {
        switch self {
        case .connectionLost: return .transient
        case .server(let error): return ErrorClass(error.sqlstate)
        case .misconfigured: return .configuration
        }
    }
}
