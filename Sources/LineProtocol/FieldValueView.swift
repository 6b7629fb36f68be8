/// A field value as the parser decoded it: numbers and booleans are final, strings are borrowed
/// from the input like every other element.
public enum FieldValueView {
    case float(Double)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    /// A quoted string: the bytes between the quotes, with the ``EscapeRule/string`` rule.
    case string(ElementBytes)

    /// The owned form of this value (allocates for strings).
    public var owned: FieldValue {
        switch self {
        case .float(let x): return .float(x)
        case .int(let x): return .int(x)
        case .uint(let x): return .uint(x)
        case .bool(let x): return .bool(x)
        case .string(let s): return .string(s.makeString())
        }
    }
}
