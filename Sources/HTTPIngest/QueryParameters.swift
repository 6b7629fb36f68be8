import LineProtocol

/// The decoded `name=value` pairs of a request's query string.
struct QueryParameters {
    private var values: [String: String] = [:]

    /// Parses the part of `uri` after `?`; `+` is a space and `%XX` a byte, as in a form.
    init(uri: String) {
        guard let mark = uri.firstIndex(of: "?") else { return }
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            values[name] = parts.count > 1 ? Self.decode(parts[1]) ?? "" : ""
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// `text` with `+` and `%XX` decoded; nil when an escape is malformed or the bytes are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i < utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: i)
                guard high < utf8.endIndex, utf8.index(after: high) < utf8.endIndex,
                      let h = hexValue(utf8[high]), let l = hexValue(utf8[utf8.index(after: high)]) else { return nil }
                bytes.append(h << 4 | l)
                i = utf8.index(high, offsetBy: 2)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i = utf8.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// What a write request says about its lines: the unit of their timestamps, and the database
/// (`db` or `bucket`) for the database tag.
struct WriteParameters: Equatable {
    var precision: Precision
    var database: String?

    /// Reads `precision` as the API version spells it: v1 `n`, `ns`, `u`, `us`, `ms`, `s`, `m`, `h`;
    /// v2 `ns`, `us`, `ms`, `s`. Nil: an unknown precision (400 `invalid precision`).
    init?(_ query: QueryParameters, version: APIVersion) {
        let text = query["precision"] ?? "ns"
        let precision: Precision?
        switch (version, text) {
        case (.v1, "n"), (_, "ns"), (_, ""): precision = .nanoseconds
        case (.v1, "u"), (_, "us"): precision = .microseconds
        case (_, "ms"): precision = .milliseconds
        case (_, "s"): precision = .seconds
        case (.v1, "m"): precision = .minutes
        case (.v1, "h"): precision = .hours
        default: precision = nil
        }
        guard let precision else { return nil }
        self.precision = precision
        database = version == .v1 ? query["db"] : query["bucket"]
    }
}
