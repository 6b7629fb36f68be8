import SQLTemplates

/// Quotes an SQL identifier: wraps it in double quotes and doubles the quotes inside, so that any
/// measurement or key name (`x"; DROP TABLE y; --` included) is a name and never SQL. The one
/// quoting of names, ``SQLQuote/identifier(_:)``, which templates use too.
public func quoteIdentifier(_ name: String) -> String {
    SQLQuote.identifier(name)
}

/// The name a measurement's table or a key's column gets. PostgreSQL keeps the first 63 bytes of a
/// name (NAMEDATALEN - 1) and would silently merge names that share them; a longer name is cut at
/// a character boundary to at most 54 bytes and followed by `_` and 8 hex digits of a hash of the
/// whole name, so that it stays distinct, and the same name always finds the same table or column.
func fittedName(_ bytes: some Collection<UInt8>) -> String {
    let name = String(decoding: bytes, as: UTF8.self)
    guard name.utf8.count > maxNameLength else { return name }
    var cut = Substring(name)
    while cut.utf8.count > maxNameLength - 9 { cut.removeLast() }
    return cut + "_" + nameHash(name.utf8)
}

/// The longest name PostgreSQL keeps, in bytes.
let maxNameLength = 63

/// 8 hex digits of FNV-1a (64 bits, folded): stable across runs and machines, unlike `Hasher`.
private func nameHash(_ bytes: some Sequence<UInt8>) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    let folded = UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    let digits = String(folded, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

/// Whether PostgreSQL can hold `name` as an identifier at all (it cannot hold a NUL byte).
func isStorableName(_ bytes: some Collection<UInt8>) -> Bool {
    !bytes.isEmpty && !bytes.contains(0)
}
