/// Which key a column receives, as its comment says. linemaster comments the columns it makes:
/// `tag` or `field` when the column is named like its key (Telegraf's outputs.postgresql comments
/// tag columns `tag` too, so readers can tell them apart), `tag: KEY` or `field: KEY` when it is
/// not (a key over 63 bytes, or one used both as a tag and as a field). A column with any other
/// comment, or none (a table made by hand), receives the tag or the field named like it.
struct ColumnComment: Equatable {
    let tagKey: [UInt8]?
    let fieldKey: [UInt8]?

    init(_ comment: String?, columnName: String) {
        let name = Array(columnName.utf8)
        switch comment {
        case "tag"?: (tagKey, fieldKey) = (name, nil)
        case "field"?: (tagKey, fieldKey) = (nil, name)
        case let text? where text.hasPrefix(Self.tagPrefix): (tagKey, fieldKey) = (Array(text.utf8.dropFirst(Self.tagPrefix.utf8.count)), nil)
        case let text? where text.hasPrefix(Self.fieldPrefix): (tagKey, fieldKey) = (nil, Array(text.utf8.dropFirst(Self.fieldPrefix.utf8.count)))
        default: (tagKey, fieldKey) = (name, name)
        }
    }

    /// The comment of a column linemaster makes for `key`.
    static func text(for kind: KeyKind, key: String, columnName: String) -> String {
        let word = kind == .tag ? "tag" : "field"
        return key == columnName ? word : word + ": " + key
    }

    private static let tagPrefix = "tag: ", fieldPrefix = "field: "
}

/// Whether a key is a tag's or a field's.
enum KeyKind: Equatable { case tag, field }
