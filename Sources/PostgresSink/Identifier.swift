/// Quotes an SQL identifier: wraps it in double quotes and doubles the quotes inside, so that any
/// measurement or key name (`x"; DROP TABLE y; --` included) is a name and never SQL.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1). The sink cuts names the same
/// way, at a character boundary, so that it looks up the table the server actually created.
func identifierName(_ bytes: some Collection<UInt8>) -> String {
    var name = String(decoding: bytes, as: UTF8.self)
    while name.utf8.count > 63 { name.removeLast() }
    return name
}

/// Whether PostgreSQL can hold `name` as an identifier at all (it cannot hold a NUL byte).
func isStorableName(_ bytes: some Collection<UInt8>) -> Bool {
    !bytes.isEmpty && !bytes.contains(0)
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
