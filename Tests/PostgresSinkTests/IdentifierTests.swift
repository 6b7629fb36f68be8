import PostgresSink
import Testing

/// Names are always quoted identifiers; values travel as COPY data or parameters.
@Suite struct IdentifierTests {
    @Test func quoteIdentifierWrapsInQuotesAndDoublesQuotesInside() {
        #expect(quoteIdentifier("cpu") == #""cpu""#)
        #expect(quoteIdentifier("Mixed Case") == #""Mixed Case""#)
        #expect(quoteIdentifier(#"x"; DROP TABLE y; --"#) == #""x""; DROP TABLE y; --""#)
        #expect(quoteIdentifier(#""""#) == #""""""""#)
    }

    @Test func namesThatLookLikeSQLAreStoredAsNames() throws {
        let db = try TestDatabase()
        try db.execute("CREATE TABLE $schema.y (id int)")
        let line = #"x";\ DROP\ TABLE\ y;\ --,k";\ DROP\ TABLE\ y;\ --=v f";\ DROP\ TABLE\ y;\ --=1i 1"#
        let outcome = try Inserter(db.sink(.columns)).write(line)
        #expect(outcome.inserted == 1)
        #expect(try db.column("SELECT count(*) FROM $schema.y") == ["0"])
        let row = try db.query(#"SELECT "k""; DROP TABLE y; --", "f""; DROP TABLE y; --" FROM $schema."x""; DROP TABLE y; --""#)
        #expect(row == [["v", "1"]])
    }
}
