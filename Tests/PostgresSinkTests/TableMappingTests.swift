import PostgresSink
import Testing

/// DESIGN section 7: how a point lands in each table shape.
@Suite struct TableMappingTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    @Test func jsonbLayoutKeepsTagsAsStringsAndFieldsWithTheirTypes() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _tags jsonb, _fields jsonb)")
        let outcome = try Inserter(db.sink()).write(
            #"cpu,host=h1,region=r\ 2 usage=12.5,idle=7i,big=18446744073709551615u,up=true,label="x\"y" 1700000000123456789"#)
        #expect(outcome.inserted == 1 && outcome.rejected.isEmpty)
        let row = try db.query("SELECT _time, _tags::text, _fields::text FROM $schema.cpu")
        #expect(row == [["2023-11-14 22:13:20.123456+00", #"{"host": "h1", "region": "r 2"}"#,
                         #"{"up": true, "big": 18446744073709551615, "idle": 7, "label": "x\"y", "usage": 12.5}"#]])
    }

    @Test func timestampWithoutTimeZoneHoldsUTC() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamp, _tags jsonb, _fields jsonb)")
        try Inserter(db.sink()).write("cpu,host=a x=1 1700000000000001000")
        #expect(try db.column("SELECT _time::text FROM $schema.cpu") == ["2023-11-14 22:13:20.000001"])
    }

    @Test func bigintTimeHoldsNanosecondsSinceTheUnixEpoch() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time bigint, _tags jsonb, _fields jsonb)")
        try Inserter(db.sink()).write("cpu,host=a x=1 1700000000123456789")
        #expect(try db.column("SELECT _time FROM $schema.cpu") == ["1700000000123456789"])
    }

    @Test func jsonColumnsWorkLikeJsonb() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _tags json, _fields json)")
        try Inserter(db.sink()).write("cpu,host=a x=1.5,n=2i,s=\"t\" 1700000000000000000")
        #expect(try db.query("SELECT _tags::text, _fields::text FROM $schema.cpu") == [[#"{"host":"a"}"#, #"{"x":1.5,"n":2,"s":"t"}"#]])
    }

    @Test func keysWithTheirOwnColumnLeaveTheJSONAndTakeTheColumnType() throws {
        try db.execute("""
            CREATE TABLE $schema.m (_time timestamptz, host text, dc varchar(8), s smallint, i integer, b bigint,
                                    r real, d double precision, n numeric, ok boolean, _tags jsonb, _fields jsonb)
            """)
        try Inserter(db.sink()).write(
            #"m,host=h1,dc=eu,zone=z s=3i,i=40000i,b=9000000000i,r=1.5,d=2.25,n=12345.678,ok=true,extra="e" 1700000000000000000"#)
        let row = try db.query("SELECT host, dc, s, i, b, r, d, n, ok, _tags::text, _fields::text FROM $schema.m")
        #expect(row == [["h1", "eu", "3", "40000", "9000000000", "1.5", "2.25", "12345.678", "t", #"{"zone": "z"}"#, #"{"extra": "e"}"#]])
    }

    @Test func valuesAreConvertedToTheColumnType() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, t text, n numeric, f double precision, i integer, flag boolean)")
        try Inserter(db.sink()).write(#"m,i=42,flag=yes t=1.5,n=-7i,f=3i 1700000000000000000"#)
        #expect(try db.query("SELECT t, n, f, i, flag FROM $schema.m") == [["1.5", "-7", "3", "42", "t"]])
    }

    @Test func jsonKeyColumnsTakeTheValueAndTimestampKeyColumnsTakeNanoseconds() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, host jsonb, n json, started timestamptz)")
        try Inserter(db.sink()).write(#"m,host=a n=2.5,started=1700000000000000000i 1"#)
        #expect(try db.query("SELECT host::text, n::text, started::text FROM $schema.m") == [[#""a""#, "2.5", "2023-11-14 22:13:20+00"]])
    }

    @Test func numericTakesFractionsExponentsAndHugeIntegers() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, a numeric, b numeric, c numeric, d numeric)")
        try Inserter(db.sink()).write(#"m a=0.000123,b=1e+20,c=18446744073709551615u,d=-0.5 1700000000000000000"#)
        #expect(try db.query("SELECT a, b, c, d FROM $schema.m") == [["0.000123", "100000000000000000000", "18446744073709551615", "-0.5"]])
    }

    @Test func aTableWithFieldsButNoTagsDropsTheTags() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _fields jsonb)")
        try Inserter(db.sink()).write("cpu,host=a x=1i 1700000000000000000")
        #expect(try db.column("SELECT _fields::text FROM $schema.cpu") == [#"{"x": 1}"#])
    }

    @Test func columnsInAnyOrderExtraColumnsGetTheirDefaultDroppedColumnsAreIgnored() throws {
        try db.execute("""
            CREATE TABLE $schema.cpu (gone int, _fields jsonb, note text DEFAULT 'none', host text, id bigserial,
                                      _time timestamptz, _tags jsonb);
            ALTER TABLE $schema.cpu DROP COLUMN gone
            """)
        try Inserter(db.sink()).write("cpu,host=a,dc=x v=1i 1700000000000000000\ncpu,host=b v=2i 1700000000000000000")
        let rows = try db.query("SELECT host, note, id, _tags::text, _fields::text FROM $schema.cpu ORDER BY id")
        #expect(rows == [["a", "none", "1", #"{"dc": "x"}"#, #"{"v": 1}"#], ["b", "none", "2", "{}", #"{"v": 2}"#]])
    }

    @Test func generatedColumnsAreComputedNotFilled() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, v bigint, twice bigint GENERATED ALWAYS AS (v * 2) STORED, _fields jsonb)")
        try Inserter(db.sink()).write("cpu v=2i,twice=99i 1")
        #expect(try db.query("SELECT v, twice, _fields::text FROM $schema.cpu") == [["2", "4", #"{"twice": 99}"#]])
    }

    @Test func aKeyColumnWithADefaultGetsItWhenTheRowLacksTheKey() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, host text DEFAULT 'unknown', v bigint)")
        try Inserter(db.sink()).write("cpu,host=a v=1i 1\ncpu v=2i 2")
        #expect(try db.query("SELECT host, v FROM $schema.cpu ORDER BY v") == [["a", "1"], ["unknown", "2"]])
    }

    @Test func rowsOfSeveralMeasurementsGoToTheirTablesInOneBatch() throws {
        try db.execute("CREATE TABLE $schema.a (_time timestamptz, _fields jsonb); CREATE TABLE $schema.b (_time timestamptz, _fields jsonb)")
        let outcome = try Inserter(db.sink()).write("a x=1i 1\nb x=2i 2\na x=3i 3")
        #expect(outcome.inserted == 3)
        #expect(try db.column("SELECT count(*) FROM $schema.a") == ["2"])
        #expect(try db.column("SELECT count(*) FROM $schema.b") == ["1"])
    }
}
