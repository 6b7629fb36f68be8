/// The type of a column the sink can fill, from `pg_attribute.atttypid` and `atttypmod`.
enum ColumnType: Equatable {
    case text(maxCharacters: Int?)  // text, varchar(n), char(n)
    case int2, int4, int8
    case float4, float8
    case numeric
    case bool
    case json, jsonb
    case timestamptz, timestamp

    /// Nil for types the sink does not write: such a column is left to its DEFAULT.
    init?(oid: UInt32, typmod: Int32) {
        let length: Int? = typmod >= 4 ? Int(typmod) - 4 : nil  // varchar(n) and char(n) store n + 4
        switch oid {
        case 25: self = .text(maxCharacters: nil)
        case 1042, 1043: self = .text(maxCharacters: length)
        case 21: self = .int2
        case 23: self = .int4
        case 20: self = .int8
        case 700: self = .float4
        case 701: self = .float8
        case 1700: self = .numeric
        case 16: self = .bool
        case 114: self = .json
        case 3802: self = .jsonb
        case 1184: self = .timestamptz
        case 1114: self = .timestamp
        default: return nil
        }
    }
}

/// How a table receives points (DESIGN section 7): `_time`, `_tags` and `_fields` when present, and
/// columns named like tag or field keys. Every other column gets its DEFAULT.
struct TableShape: Equatable {
    /// How `_time` is stored.
    enum TimeKind: Equatable { case timestamptz, timestamp, nanoseconds }

    /// A column named like a tag or field key. A timestamp column takes an integer field as
    /// nanoseconds since the Unix epoch.
    struct KeyColumn: Equatable {
        let name: [UInt8]
        let type: ColumnType
        /// Columns with a DEFAULT are left out of the COPY for rows that lack their key.
        let hasDefault: Bool
    }

    let oid: UInt32
    /// `"schema"."table"`, quoted.
    let qualifiedName: String
    let time: TimeKind?
    /// Nil, `.json` or `.jsonb`.
    let tags: ColumnType?
    let fields: ColumnType?
    let keyColumns: [KeyColumn]

    static let timeColumn = "_time", tagsColumn = "_tags", fieldsColumn = "_fields"

    /// Builds the shape from the catalog's columns in any order; dropped columns are already gone.
    init(oid: UInt32, qualifiedName: String, columns: [(name: String, type: ColumnType?, hasDefault: Bool)]) {
        var time: TimeKind?, tags: ColumnType?, fields: ColumnType?
        var keyColumns: [KeyColumn] = []
        for column in columns {
            switch (column.name, column.type) {
            case (Self.timeColumn, .timestamptz?): time = .timestamptz
            case (Self.timeColumn, .timestamp?): time = .timestamp
            case (Self.timeColumn, .int8?): time = .nanoseconds
            case (Self.tagsColumn, let type?) where type == .json || type == .jsonb: tags = type
            case (Self.fieldsColumn, let type?) where type == .json || type == .jsonb: fields = type
            case (Self.timeColumn, _), (Self.tagsColumn, _), (Self.fieldsColumn, _), (_, nil): continue
            case (let name, let type?):
                keyColumns.append(KeyColumn(name: Array(name.utf8), type: type, hasDefault: column.hasDefault))
            }
        }
        self.oid = oid
        self.qualifiedName = qualifiedName
        self.time = time
        self.tags = tags
        self.fields = fields
        self.keyColumns = keyColumns
    }

    /// The column named `key`, if any: a linear scan, as tables have few columns and most keys
    /// differ in length from every column name.
    @inline(__always) func keyColumn(named key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !keyColumns.isEmpty else { return nil }
        for (i, column) in keyColumns.enumerated() where column.name.count == key.count {
            if column.name.withUnsafeBufferPointer({ $0.elementsEqual(key) }) { return i }
        }
        return nil
    }
}
