import Supervision
import Testing

private func read(_ text: String) throws(ConfigError) -> TOMLTable {
    try TOMLReader.read(text: text, path: "test.toml")
}

/// The problems of a document that must be refused (empty when it is read).
private func problems(_ text: String) -> [ConfigProblem] {
    do {
        _ = try read(text)
        return []
    } catch {
        return error.problems
    }
}

private func problem(_ line: Int, _ reason: String) -> ConfigProblem {
    ConfigProblem(file: "test.toml", line: line, reason: reason)
}

private func entry(_ key: String, _ line: Int, _ kind: TOMLValue.Kind) -> TOMLTable.Entry {
    TOMLTable.Entry(key: key, line: line, value: TOMLValue(kind, line: line))
}

@Test func readsBareAndQuotedKeys() throws {
    let table = try read(#"bare_key-1 = 1"# + "\n" + #""quoted key" = 2"# + "\n" + "'literal key' = 3\n")
    #expect(table.entries.map(\.key) == ["bare_key-1", "quoted key", "literal key"])
}

@Test func recordsTheLineOfKeysAndValues() throws {
    let table = try read("# comment\n\n[section]\nkey = \"value\"\n")
    #expect(table == TOMLTable(entries: [entry("section", 3, .table(TOMLTable(entries: [entry("key", 4, .string("value"))])))]))
}

@Test func basicStringsUnderstandEscapes() throws {
    let table = try read(#"s = "q\" b\\ n\n t\t r\r e\u00E9 g\U0001F600""#)
    #expect(table["s"]?.kind == .string("q\" b\\ n\n t\t r\r eé g😀"))
}

@Test func invalidEscapeIsRefusedWithItsLine() {
    #expect(problems("a = 1\ns = \"C:\\path\"\n") == [problem(2, #"invalid escape \p: use \\ for a backslash"#)])
}

@Test func unicodeEscapeOfASurrogateIsRefused() {
    #expect(problems(#"s = "\uD800""#) == [problem(1, #"escape \uD800 is not a Unicode scalar value"#)])
}

@Test func literalStringsKeepBackslashes() throws {
    #expect(try read(#"s = 'C:\temp\n'"#)["s"]?.kind == .string(#"C:\temp\n"#))
}

@Test func multiLineBasicStringDropsFirstNewlineAndJoinsBackslashLines() throws {
    let table = try read("s = \"\"\"\none\ntwo \\\n    three\"\"\"\nafter = 1\n")
    #expect(table == TOMLTable(entries: [entry("s", 1, .string("one\ntwo three")), entry("after", 5, .integer(1))]))
}

@Test func multiLineStringMayEndWithQuotes() throws {
    #expect(try read(#"s = """say "hi"""""#)["s"]?.kind == .string(#"say "hi""#))
}

@Test func multiLineLiteralStringKeepsEverything() throws {
    let table = try read("s = '''\nraw \\n text\n  indented'''\n")
    #expect(table["s"]?.kind == .string("raw \\n text\n  indented"))
}

@Test func unterminatedStringIsRefusedOnItsLine() {
    let found = problems("a = 1\nb = \"open\nc = 2\n")
    #expect(found.map(\.line) == [2])
    #expect(found.first?.reason.hasPrefix("unterminated string") == true)
}

@Test func unterminatedMultiLineStringPointsAtItsStart() {
    #expect(problems("a = 1\nb = \"\"\"\ntext\nmore\n") == [problem(2, "unterminated multi-line string")])
}

@Test func controlCharacterInStringIsRefused() {
    #expect(problems("s = \"a\u{01}b\"") == [problem(1, "control character U+0001 in a string: write it as an escape")])
}

@Test func readsIntegersInEveryNotation() throws {
    let table = try read("a = 42\nb = -17\nc = +3\nd = 1_000_000\ne = 0xFF\nf = 0o17\ng = 0b101\nh = 0\n")
    #expect(table.entries.map(\.value.kind) == [42, -17, 3, 1_000_000, 255, 15, 5, 0].map(TOMLValue.Kind.integer))
}

@Test func integerWithLeadingZeroIsRefused() {
    #expect(problems("a = 1\nb = 012\n") == [problem(2, "invalid number 012")])
}

@Test func integerWithMisplacedUnderscoreIsRefused() {
    #expect(problems("a = 1__000") == [problem(1, "invalid number 1__000")])
}

@Test func integerBeyondSixtyFourBitsIsRefused() {
    #expect(problems("a = 9223372036854775808") == [problem(1, "integer 9223372036854775808 is out of range")])
}

@Test func readsFloats() throws {
    let table = try read("a = 1.5\nb = -2e3\nc = 6.25E-2\nd = inf\ne = -inf\n")
    #expect(table.entries.map(\.value.kind) == [1.5, -2000, 0.0625, Double.infinity, -Double.infinity].map(TOMLValue.Kind.float))
}

@Test func readsNaN() throws {
    guard case .float(let value) = try read("a = nan")["a"]?.kind else {
        Issue.record("not a float")
        return
    }
    #expect(value.isNaN)
}

@Test func readsBooleans() throws {
    let table = try read("yes = true\nno = false\n")
    #expect(table.entries.map(\.value.kind) == [.boolean(true), .boolean(false)])
}

@Test func datesAreRefusedWithTheirLine() {
    #expect(problems("a = 1\nwhen = 1979-05-27T07:32:00Z\n")
        == [problem(2, "dates and times are not supported: write 1979-05-27T07:32:00Z as a string in quotes")])
}

@Test func unquotedWordIsRefusedWithAHint() {
    #expect(problems("start = immediately")
        == [problem(1, #"expected a value, found immediately: text needs quotes, e.g. "immediately""#)])
}

@Test func numberWithUnitIsRefusedWithAHint() {
    #expect(problems("restart = 5s") == [problem(1, #"invalid number 5s: a value with a unit needs quotes, e.g. "5s""#)])
}

@Test func multiLineArrayWithCommentsAndTrailingComma() throws {
    let text = """
        args = [
          "one",   # first
          # a comment line
          "two",
        ]
        """
    let args = try read(text)["args"]
    #expect(args == TOMLValue(.array([TOMLValue(.string("one"), line: 2), TOMLValue(.string("two"), line: 4)]), line: 1))
}

@Test func nestedAndEmptyArrays() throws {
    let expected = TOMLValue.Kind.array([
        TOMLValue(.array([TOMLValue(.integer(1), line: 1), TOMLValue(.integer(2), line: 1)]), line: 1),
        TOMLValue(.array([]), line: 1),
        TOMLValue(.array([TOMLValue(.string("x"), line: 1)]), line: 1),
    ])
    #expect(try read("a = [[1, 2], [], ['x']]")["a"]?.kind == expected)
}

@Test func arrayWithoutCommaIsRefused() {
    #expect(problems("a = [1 2]") == [problem(1, #"expected "," or "]" in the array that starts on line 1, found "2""#)])
}

@Test func unterminatedArrayPointsAtItsStart() {
    #expect(problems("a = [\n1,\n") == [problem(1, #"unterminated array: expected "]""#)])
}

@Test func readsInlineTables() throws {
    let expected = TOMLTable(entries: [
        entry("x", 1, .integer(1)),
        entry("y", 1, .table(TOMLTable(entries: [entry("z", 1, .string("two"))]))),
    ])
    #expect(try read(#"point = { x = 1, y.z = "two" }"#)["point"]?.kind == .table(expected))
}

@Test func inlineTableWithTrailingCommaIsRefused() {
    #expect(problems("p = { x = 1, }") == [problem(1, "an inline table must not end with a comma")])
}

@Test func inlineTableCannotBeExtended() {
    #expect(problems("p = { x = 1 }\n[p.q]\n") == [problem(2, "duplicate key p: already defined as a table on line 1")])
}

@Test func arrayOfTablesCollectsEachSection() throws {
    let table = try read("[[w]]\nn = 1\n\n[[w]]\nn = 2\n")
    let expected = TOMLValue.Kind.array([
        TOMLValue(.table(TOMLTable(entries: [entry("n", 2, .integer(1))])), line: 1),
        TOMLValue(.table(TOMLTable(entries: [entry("n", 5, .integer(2))])), line: 4),
    ])
    #expect(table["w"]?.kind == expected)
}

@Test func dottedKeysCreateTables() throws {
    let table = try read("a.b = 1\na . \"c d\" = 2\n")
    #expect(table["a"]?.kind == .table(TOMLTable(entries: [entry("b", 1, .integer(1)), entry("c d", 2, .integer(2))])))
}

@Test func dottedKeysCannotExtendAHeaderTable() {
    #expect(problems("[a.b]\nx = 1\n[a]\nb.y = 2\n") == [problem(4, "duplicate key b: already defined as a table on line 1")])
}

@Test func parentTableMayBeDefinedAfterItsChild() throws {
    let table = try read("[a.b]\nx = 1\n[a]\ny = 2\n")
    guard case .table(let a) = table["a"]?.kind else {
        Issue.record("not a table")
        return
    }
    #expect(a.entries.map(\.key) == ["b", "y"])
}

@Test func duplicateKeyIsRefusedNamingTheFirstLine() {
    #expect(problems("name = \"a\"\nother = 1\nname = \"b\"\n")
        == [problem(3, "duplicate key name: already defined as a string on line 1")])
}

@Test func tableDefinedTwiceIsRefused() {
    #expect(problems("[s]\nx = 1\n[s]\ny = 2\n") == [problem(3, "duplicate key s: already defined as a table on line 1")])
}

@Test func everyDuplicateIsReportedAtOnce() {
    #expect(problems("a = 1\na = 2\n[t]\n[t]\nb = 1\nb = 2\n").map(\.line) == [2, 4, 6])
}

@Test func missingEqualsSignIsRefusedWithItsLine() {
    #expect(problems("a = 1\nb 2\n") == [problem(2, #"expected "=" after the key b, found "2""#)])
}

@Test func textAfterAValueIsRefused() {
    #expect(problems("a = 1 2\n") == [problem(1, #"unexpected "2" after a value: expected the end of the line"#)])
}

@Test func unclosedHeaderIsRefused() {
    #expect(problems("[[worker]\n") == [problem(1, #"expected ]] to close the table header, found "]""#)])
}

@Test func windowsLineEndsAreAccepted() throws {
    let table = try read("a = 1\r\n# c\r\nb = \"x\"\r\n")
    #expect(table == TOMLTable(entries: [entry("a", 1, .integer(1)), entry("b", 3, .string("x"))]))
}

@Test func documentOfCommentsIsAnEmptyTable() throws {
    #expect(try read("\n# only a comment\n\n") == TOMLTable())
}

@Test func byteOrderMarkIsSkipped() throws {
    #expect(try read("\u{FEFF}a = 1\n") == TOMLTable(entries: [entry("a", 1, .integer(1))]))
}

@Test func deeplyNestedArraysAreRefusedInsteadOfExhaustingTheStack() {
    let text = "a = " + String(repeating: "[", count: 10_000)
    #expect(problems(text) == [problem(1, "arrays and inline tables are nested too deeply")])
}
