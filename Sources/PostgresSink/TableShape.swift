import Glibc
import LineProtocol

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
/// columns that receive a tag or field key (``KeyColumn``). Every other column gets its DEFAULT.
struct TableShape: Equatable {
    /// How `_time` is stored.
    enum TimeKind: Equatable { case timestamptz, timestamp, nanoseconds }

    /// A column that receives a tag or a field: the one named like the column, or the one its
    /// comment names (``ColumnComment``). A timestamp column takes an integer field as
    /// nanoseconds since the Unix epoch.
    struct KeyColumn: Equatable {
        let name: [UInt8]
        let type: ColumnType
        /// Columns with a DEFAULT are left out of the COPY for rows that lack their key.
        let hasDefault: Bool
        /// The tag key it receives, if any.
        let tagKey: [UInt8]?
        /// The field key it receives, if any.
        let fieldKey: [UInt8]?
    }

    /// A column as the catalog describes it.
    struct CatalogColumn {
        let name: String
        /// Nil for types the sink does not write, and for generated columns.
        let type: ColumnType?
        let hasDefault: Bool
        let comment: String?
    }

    let oid: UInt32
    /// `"schema"."table"`, quoted.
    let qualifiedName: String
    let time: TimeKind?
    /// Nil, `.json` or `.jsonb`.
    let tags: ColumnType?
    let fields: ColumnType?
    let keyColumns: [KeyColumn]
    /// Every column's name, filled or not: a new column must not take one.
    let columnNames: Set<String>

    static let timeColumn = "_time", tagsColumn = "_tags", fieldsColumn = "_fields"

    /// Builds the shape from the catalog's columns in any order; dropped columns are already gone.
    init(oid: UInt32, qualifiedName: String, columns: [CatalogColumn]) {
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
                let receives = ColumnComment(column.comment, columnName: name)
                keyColumns.append(KeyColumn(name: Array(name.utf8), type: type, hasDefault: column.hasDefault,
                                            tagKey: receives.tagKey, fieldKey: receives.fieldKey))
            }
        }
        self.oid = oid
        self.qualifiedName = qualifiedName
        self.time = time
        self.tags = tags
        self.fields = fields
        self.keyColumns = keyColumns
        columnNames = Set(columns.map(\.name))
    }

    /// The first column that receives the tag `key` and is still free in `slots`: a linear
    /// scan, as tables have few columns and most keys differ in length from every column's key.
    @inline(__always) func tagColumn(for key: UnsafeBufferPointer<UInt8>, free slots: [KeyValue?]) -> Int? {
        for (i, column) in keyColumns.enumerated() where slots[i] == nil {
            if let tagKey = column.tagKey, sameBytes(key, tagKey) { return i }
        }
        return nil
    }

    /// The first column that receives the field `key` and is still free in `slots`.
    @inline(__always) func fieldColumn(for key: UnsafeBufferPointer<UInt8>, free slots: [KeyValue?]) -> Int? {
        for (i, column) in keyColumns.enumerated() where slots[i] == nil {
            if let fieldKey = column.fieldKey, sameBytes(key, fieldKey) { return i }
        }
        return nil
    }
}

@inline(__always) func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
    a.count == b.count && (a.count == 0 || b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 })
}

extension TableShape {
    /// Where a row's keys went, reused from row to row.
    struct Placing {
        var slots: [KeyValue?]
        var tagPlaced: [Bool] = [], fieldPlaced: [Bool] = []

        init(_ shape: TableShape) { slots = Array(repeating: nil, count: shape.keyColumns.count) }
    }

    /// Puts each of the row's tags and fields into the first free column that receives it, tags
    /// first (a column named like both a tag and a field of the row takes the tag), and marks
    /// which were placed: the others go to the JSON columns, or nowhere.
    @inline(__always)
    func place(_ row: PointRecordView, into placing: inout Placing) {
        for i in placing.slots.indices { placing.slots[i] = nil }
        placing.tagPlaced.removeAll(keepingCapacity: true)
        placing.fieldPlaced.removeAll(keepingCapacity: true)
        row.forEachTag { key, value in
            let c = tagColumn(for: key, free: placing.slots)
            if let c { placing.slots[c] = .tag(value) }
            placing.tagPlaced.append(c != nil)
        }
        row.forEachField { key, value in
            let c = fieldColumn(for: key, free: placing.slots)
            if let c { placing.slots[c] = .field(value) }
            placing.fieldPlaced.append(c != nil)
        }
    }
}

extension TableShape {
    /// A table with no columns: what a table about to be created has.
    static let empty = TableShape(oid: 0, qualifiedName: "", columns: [])
}
