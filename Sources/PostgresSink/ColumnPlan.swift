import LineProtocol
import SQLTemplates

/// The columns a typed table needs for rows whose keys it has no column for: one per tag or field
/// key, each once, in order of first appearance, typed after the key's first value. Keys
/// PostgreSQL cannot name (empty, or holding a NUL byte) get none.
struct ColumnPlan {
    /// A column to add (or to create the table with).
    struct NewColumn: Equatable {
        let kind: KeyKind
        let key: String
        let name: String
        /// `text` for tags; after the first value for fields.
        let type: String

        /// `"name" type`, as `CREATE TABLE` and `ADD COLUMN` take it.
        var definition: String { quoteIdentifier(name) + " " + type }
        var comment: String { ColumnComment.text(for: kind, key: key, columnName: name) }
        /// The column as templates see it (`{{ .columns }}`).
        var templateColumn: TemplateColumn { TemplateColumn(name: name, type: type, role: kind == .tag ? .tag : .field) }
    }

    private(set) var columns: [NewColumn] = []
    private var taken: Set<String>
    private var planned: Set<PlannedKey> = []

    private struct PlannedKey: Hashable {
        let kind: KeyKind
        let key: [UInt8]
    }

    /// The names `_time`, `_tags` and `_fields` are never given to a key: the sink reads them as
    /// its own (a key named so stays in the JSON).
    static let reservedNames: Set<String> = [TableShape.timeColumn, TableShape.tagsColumn, TableShape.fieldsColumn]

    /// Plans columns for the keys of `rows` that `shape` places nowhere.
    init(for rows: some Sequence<PointRecordView>, in shape: TableShape) {
        taken = shape.columnNames.union(Self.reservedNames)
        var placing = TableShape.Placing(shape)
        for row in rows {
            shape.place(row, into: &placing)
            var i = 0
            row.forEachTag { key, _ in
                if !placing.tagPlaced[i] { plan(.tag, key, type: "text") }
                i += 1
            }
            i = 0
            row.forEachField { key, value in
                if !placing.fieldPlaced[i] { plan(.field, key, type: Self.sqlType(value)) }
                i += 1
            }
        }
    }

    private mutating func plan(_ kind: KeyKind, _ key: UnsafeBufferPointer<UInt8>, type: String) {
        guard isStorableName(key), planned.insert(PlannedKey(kind: kind, key: Array(key))).inserted else { return }
        let text = String(decoding: key, as: UTF8.self)
        let name = uniqueName(for: text, kind)
        taken.insert(name)
        columns.append(NewColumn(kind: kind, key: text, name: name, type: type))
    }

    /// The key itself when free (cut with a hash when over 63 bytes); else the key with `_tag`
    /// or `_field` after it; else that with a number.
    private func uniqueName(for key: String, _ kind: KeyKind) -> String {
        let plain = fittedName(key.utf8)
        if !taken.contains(plain) { return plain }
        let suffixed = key + (kind == .tag ? "_tag" : "_field")
        var candidate = fittedName(suffixed.utf8)
        var n = 2
        while taken.contains(candidate) {
            candidate = fittedName((suffixed + String(n)).utf8)
            n += 1
        }
        return candidate
    }

    private static func sqlType(_ value: PointRecordView.Value) -> String {
        switch value {
        case .float: return "double precision"
        case .int: return "bigint"
        case .uint: return "numeric"
        case .bool: return "boolean"
        case .string: return "text"
        }
    }
}
