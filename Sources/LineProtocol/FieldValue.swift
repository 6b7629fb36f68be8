/// A field value, owned: the five types of line protocol.
public enum FieldValue: Equatable, Hashable, Sendable {
    /// A float, e.g. `0.5`. Always finite.
    case float(Double)
    /// A signed integer, written with suffix `i`, e.g. `3i`.
    case int(Int64)
    /// An unsigned integer, written with suffix `u`, e.g. `7u`.
    case uint(UInt64)
    /// A quoted string, e.g. `"x"`.
    case string(String)
    /// A boolean, e.g. `true` or `t`.
    case bool(Bool)

    /// The type name used in JSON output and conformance files: float, int, uint, string or bool.
    public var typeName: String {
        switch self {
        case .float: return "float"
        case .int: return "int"
        case .uint: return "uint"
        case .string: return "string"
        case .bool: return "bool"
        }
    }

    /// The value as text: shortest round-trip decimal for floats, decimal for integers,
    /// `true`/`false`, or the string itself.
    public var text: String {
        switch self {
        case .float(let x): return x.description
        case .int(let x): return String(x)
        case .uint(let x): return String(x)
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        }
    }
}
