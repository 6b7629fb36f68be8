// Unquoted values: booleans, integers and floats. Dates are recognised only to be refused
// with a clear message, because reading them as something else would be a silent misread.
extension TOMLCursor {
    /// Reads the unquoted value at the cursor.
    mutating func readBareValue() throws(TOMLSyntaxError) -> TOMLValue.Kind {
        let token = String(decoding: take(while: isBareValueByte), as: UTF8.self)
        guard !token.isEmpty else { throw error("expected a value, found \(currentDescription)") }
        if token == "true" { return .boolean(true) }
        if token == "false" { return .boolean(false) }
        if looksLikeDateOrTime(token) {
            throw error("dates and times are not supported: write \(token) as a string in quotes")
        }
        if let number = try parseNumber(token) { return number }
        if token.first!.isLetter {
            throw error("expected a value, found \(token): text needs quotes, e.g. \"\(token)\"")
        }
        let hint = token.contains(where: \.isLetter) ? ": a value with a unit needs quotes, e.g. \"\(token)\"" : ""
        throw error("invalid number \(token)\(hint)")
    }

    private func parseNumber(_ token: String) throws(TOMLSyntaxError) -> TOMLValue.Kind? {
        if let float = parseFloat(token) { return .float(float) }
        let unsigned = token.hasPrefix("+") || token.hasPrefix("-") ? token.dropFirst() : Substring(token)
        let radix: Int = switch unsigned.prefix(2) {
        case "0x": 16
        case "0o": 8
        case "0b": 2
        default: 10
        }
        let digits = radix == 10 ? unsigned : unsigned.dropFirst(2)
        guard radix == 10 || unsigned.count == token.count else { return nil }  // no sign on 0x/0o/0b
        guard radix != 10 || digits == "0" || !digits.hasPrefix("0") else { return nil }  // no leading zeros
        let plain = String(digits.filter { $0 != "_" })
        guard hasValidUnderscores(digits), !plain.isEmpty, plain.allSatisfy({ Int(String($0), radix: radix) != nil })
        else { return nil }
        // The digits are valid, so nil can only mean that the value does not fit in 64 bits.
        guard let value = Int((token.hasPrefix("-") ? "-" : "") + plain, radix: radix) else {
            throw error("integer \(token) is out of range")
        }
        return .integer(value)
    }

    /// `[sign] integer-part (fraction | exponent | both)`, or `inf` / `nan` with an optional sign.
    private func parseFloat(_ token: String) -> Double? {
        let unsigned = token.hasPrefix("+") || token.hasPrefix("-") ? token.dropFirst() : Substring(token)
        if unsigned == "inf" { return token.hasPrefix("-") ? -.infinity : .infinity }
        if unsigned == "nan" { return .nan }
        guard !unsigned.hasPrefix("0x"), !unsigned.hasPrefix("0o"), !unsigned.hasPrefix("0b") else { return nil }
        let mantissaAndExponent = unsigned.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "E", maxSplits: 1, omittingEmptySubsequences: false) }
        guard (1...2).contains(mantissaAndExponent.count) else { return nil }
        let parts = mantissaAndExponent[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = parts[0]
        guard isDecimalDigits(integerPart), integerPart == "0" || !integerPart.hasPrefix("0") else { return nil }
        guard parts.count == 1 || isDecimalDigits(parts[1]) else { return nil }
        if mantissaAndExponent.count == 2 {
            let exponent = mantissaAndExponent[1]
            let exponentDigits = exponent.hasPrefix("+") || exponent.hasPrefix("-") ? exponent.dropFirst() : exponent
            guard isDecimalDigits(exponentDigits) else { return nil }
        } else if parts.count == 1 {
            return nil  // an integer
        }
        return Double(token.filter { $0 != "_" })
    }

    private func isDecimalDigits(_ text: Substring) -> Bool {
        !text.isEmpty && hasValidUnderscores(text) && text.allSatisfy { $0 == "_" || $0.isASCII && $0.isNumber }
    }

    /// TOML allows `_` only between two digits.
    private func hasValidUnderscores(_ text: Substring) -> Bool {
        !text.hasPrefix("_") && !text.hasSuffix("_") && !text.contains("__")
    }

    /// `1979-05-27` or `07:32:00`: TOML's date and time values.
    private func looksLikeDateOrTime(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        let isDigit = { (index: Int) in index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 }
        let isDate = (0..<4).allSatisfy(isDigit) && bytes.count > 4 && bytes[4] == UInt8(ascii: "-")
        return isDate || token.contains(":")
    }
}

private func isBareValueByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"),
        UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
        true
    default:
        false
    }
}
