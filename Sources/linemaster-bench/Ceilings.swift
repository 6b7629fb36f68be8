/// The COPY ceilings of a run, one per table definition, each made when a case first needs it.
/// A case is measured between two COPYs of its own table: the one after the previous case when
/// that case had the same table, else one run just before it.
struct Ceilings {
    let psql: Psql
    let rows: Int
    let workDirectory: String
    /// In the order they were made, for the report.
    private(set) var all: [Ceiling] = []
    private var lastMeasured: CaseTable?

    init(psql: Psql, rows: Int, workDirectory: String) {
        (self.psql, self.rows, self.workDirectory) = (psql, rows, workDirectory)
    }

    /// The ceiling of `table`, with its COPY before the case just measured.
    mutating func before(_ table: CaseTable) throws -> Ceiling {
        if let index = all.firstIndex(where: { $0.table == table }) {
            if lastMeasured != table { try all[index].copyBefore() }
        } else {
            all.append(try Ceiling(psql: psql, table: table, rows: rows, workDirectory: workDirectory))
        }
        lastMeasured = table
        return self[table]!
    }

    /// The COPY after a case into `table`, and that case's ceiling: the mean of before and after.
    mutating func after(_ table: CaseTable) throws -> Int {
        try all[all.firstIndex { $0.table == table }!].around()
    }

    subscript(_ table: CaseTable) -> Ceiling? { all.first { $0.table == table } }

    func dropSchemas() throws { for ceiling in all { try ceiling.dropSchema() } }
}
