import PostgresSink
import Testing

/// The table of error classes, as exact mappings: what each SQLSTATE makes the inserter do.
@Suite struct ErrorClassTests {
    @Test(arguments: [
        // Connection failures, whoever reports them, and what waiting cures, of the whole database.
        ("08000", ErrorClass.transient), ("08003", .transient), ("08006", .transient), ("08001", .transient),
        ("40003", .transient),
        ("53000", .transient), ("53100", .transient), ("53200", .transient), ("53300", .transient),
        ("57P01", .transient), ("57P02", .transient), ("57P03", .transient),
        ("25006", .transient), ("58030", .transient), ("42P07", .transient), ("42701", .transient),
        // What waiting cures, of what the statement touched: a lock, a deadlock, a conflict, a timeout.
        ("40001", .contention), ("40P01", .contention), ("55P03", .contention), ("55006", .contention), ("57014", .contention),
        // A row's data.
        ("22003", .data), ("22001", .data), ("22P02", .data), ("22P03", .data), ("22021", .data),
        ("23502", .data), ("23514", .data), ("23505", .data), ("23503", .data), ("40002", .data), ("44000", .data),
        // Someone has to act.
        ("42501", .configuration), ("3F000", .configuration), ("3D000", .configuration), ("42P01", .configuration),
        ("42703", .configuration), ("42883", .configuration), ("42804", .configuration), ("28000", .configuration),
        ("F0000", .configuration), ("25001", .configuration), ("25P01", .configuration), ("58P01", .configuration),
        // Anything else.
        ("XX000", .unknown), ("XX001", .unknown), ("P0001", .unknown), ("P0004", .unknown), ("08P01", .unknown),
        ("0A000", .unknown), ("54000", .unknown), ("HV000", .unknown), ("ZZ999", .unknown),
        ("", .unknown), ("X", .unknown),
    ])
    func sqlstateMapsToItsClass(_ sqlstate: String, _ expected: ErrorClass) {
        #expect(ErrorClass(sqlstate) == expected)
    }

    @Test func everyEntryOfTheTableIsAClassOrACode() {
        for entry in ErrorClass.table {
            #expect(entry.sqlstate.count == 2 || entry.sqlstate.count == 5, "\(entry.sqlstate)")
            #expect(ErrorClass(entry.sqlstate.count == 2 ? entry.sqlstate + "000" : entry.sqlstate) == entry.errorClass)
        }
        #expect(Set(ErrorClass.table.map(\.sqlstate)).count == ErrorClass.table.count, "an entry is listed twice")
    }

    @Test func sinkErrorsAreClassedByWhatTheyMean() {
        #expect(SinkError.connectionLost("server closed the connection").errorClass == .transient)
        #expect(SinkError.misconfigured("schema \"x\" does not exist").errorClass == .configuration)
        #expect(SinkError.server(ServerError(sqlstate: "08006", message: "connection to the remote node failed")).errorClass == .transient)
        #expect(SinkError.server(ServerError(sqlstate: "XX000", message: "new row violates check constraint")).errorClass == .unknown)
    }
}
