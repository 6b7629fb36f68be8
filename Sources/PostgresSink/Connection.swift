import CLibPQ
import Glibc

/// What a statement on a ``Connection`` can fail with.
enum StatementFailure: Error {
    /// The connection is gone; the server did not judge the statement.
    case connection(String)
    /// The server refused the statement.
    case server(ServerError)
}

/// One libpq connection, in blocking mode. Owns the `PGconn` and finishes it in deinit.
final class Connection {
    private let conn: OpaquePointer

    /// Connects with a libpq connection string (URL or key=value); PG* environment variables fill in
    /// the rest. The error never contains the password: libpq's messages do not carry it.
    /// libpq applies the settings in order: the connect timeout is a default the connection string
    /// may override; the encoding is not, as the sink sends UTF-8.
    init(conninfo: String) throws(StatementFailure) {
        let keys = ["connect_timeout", "dbname", "fallback_application_name", "client_encoding"]
        let values = ["10", conninfo, "linemaster", "UTF8"]
        let conn = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let conn else { throw .connection("out of memory") }
        self.conn = conn
        guard PQstatus(conn) == CONNECTION_OK else { throw .connection(lastMessage) }
    }

    deinit { PQfinish(conn) }

    /// False once the connection broke; a broken connection is replaced, never reset in place.
    var isUsable: Bool { PQstatus(conn) == CONNECTION_OK }

    /// True when a transaction is open (possibly aborted), so that a caller can roll it back.
    var inTransaction: Bool { PQtransactionStatus(conn) != PQTRANS_IDLE }

    /// Where this connection goes, without the password: `host=... port=... dbname=... user=...`.
    var summary: String {
        func text(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        return "host=\(text(PQhost(conn))) port=\(text(PQport(conn))) dbname=\(text(PQdb(conn))) user=\(text(PQuser(conn)))"
    }

    /// Runs a statement, with text parameters if any, and returns its rows as text (NULL as nil).
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(StatementFailure) -> [[String?]] {
        let result: OpaquePointer? = withOptionalCStrings(parameters) { values in
            PQexecParams(conn, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        return rows(of: result!)
    }

    /// Runs statements separated by semicolons, without parameters, in one simple-query message:
    /// one round trip for all of them. Their rows are not returned.
    func execute(_ statements: String) throws(StatementFailure) {
        let result = PQexec(conn, statements)
        defer { PQclear(result) }
        try check(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// `text` as an SQL string literal, quoted by libpq for this connection's settings
    /// (`standard_conforming_strings`, the encoding): for statements that take no parameters
    /// (`COMMENT ON`, DDL templates). Values of rows never go this way.
    func literal(_ text: String) throws(StatementFailure) -> String {
        guard let quoted = PQescapeLiteral(conn, text, text.utf8.count) else { throw .connection(lastMessage) }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// Starts `COPY ... FROM STDIN`; send the data with ``putCopyData(_:)``, then ``endCopy()``.
    func beginCopy(_ sql: String) throws(StatementFailure) {
        let start = PQexec(conn, sql)
        defer { PQclear(start) }
        try check(start, expecting: [PGRES_COPY_IN])
    }

    /// Sends data of the COPY in progress. The server reads it while the caller prepares more;
    /// errors in the data are reported by ``endCopy()``.
    func putCopyData(_ chunk: UnsafeRawBufferPointer) throws(StatementFailure) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        guard PQputCopyData(conn, base.assumingMemoryBound(to: CChar.self), Int32(chunk.count)) == 1 else {
            throw .connection(lastMessage)
        }
    }

    /// Ends the COPY in progress and reports how the server took its data.
    func endCopy() throws(StatementFailure) {
        guard PQputCopyEnd(conn, nil) == 1 else { throw .connection(lastMessage) }
        var failure: StatementFailure?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            do throws(StatementFailure) { try check(result, expecting: [PGRES_COMMAND_OK]) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// Runs `body` in a transaction holding an advisory lock on `key`, so that inserters creating
    /// the same table take turns instead of racing (a lost CREATE race fails in several ways:
    /// 42P07, 42710, or 23505 on a catalog index).
    func serialized<T>(on key: String, _ body: () throws(StatementFailure) -> T) throws(StatementFailure) -> T {
        try query("BEGIN")
        do throws(StatementFailure) {
            try query("SELECT pg_advisory_xact_lock(hashtext($1))", [key])
            let result = try body()
            try query("COMMIT")
            return result
        } catch {
            if isUsable { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    private var lastMessage: String {
        String(cString: PQerrorMessage(conn)).trimmingTrailingNewlines
    }

    private func check(_ result: OpaquePointer?, expecting statuses: [ExecStatusType]) throws(StatementFailure) {
        guard let result else { throw .connection(lastMessage) }
        let status = PQresultStatus(result)
        if statuses.contains(status) { return }
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        // A broken connection, or a 57P0x shutdown code (the server is going away), is not the
        // statement's fault. A 08P01 on a live connection is: binary data that does not fit its column.
        guard let sqlstate = field("C"), isUsable, !sqlstate.hasPrefix("57P0") else {
            throw .connection(field("M") ?? lastMessage)
        }
        throw .server(ServerError(sqlstate: sqlstate, message: field("M") ?? "", detail: field("D"), context: field("W")))
    }

    private func rows(of result: OpaquePointer) -> [[String?]] {
        (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingTrailingNewlines: String {
        var s = String(self)
        while s.last?.isNewline == true { s.removeLast() }
        return s
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStrings(strings + [nil], body)
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
