/// numeric's binary send format: digit count, weight (of the first base-10000 digit), sign, display
/// scale, then the base-10000 digits, all big-endian int16.
extension ByteBuffer {
    private static let positive: Int16 = 0x0000, negative: Int16 = 0x4000, nan = Int16(bitPattern: 0xC000)
    private static let infinity = Int16(bitPattern: 0xD000), negativeInfinity = Int16(bitPattern: 0xF000)

    /// Writes a numeric field from decimal text (`-12.5`, `1e-7`, `NaN`, `Infinity`); false if the
    /// text is not a number numeric can hold, and then nothing is written.
    func appendNumericField<Text: Collection<UInt8>>(decimal text: Text) -> Bool {
        switch String(decoding: text, as: UTF8.self).lowercased() {
        case "nan": appendNumericSpecial(Self.nan); return true
        case "infinity", "+infinity", "inf", "+inf": appendNumericSpecial(Self.infinity); return true
        case "-infinity", "-inf": appendNumericSpecial(Self.negativeInfinity); return true
        default: break
        }
        guard let decimal = Decimal(text) else { return false }
        var groups = decimal.base10000Digits()
        var weight = Int16(decimal.integerDigits.count / 4 - 1)
        while groups.first == 0 { groups.removeFirst(); weight -= 1 }
        while groups.last == 0 { groups.removeLast() }
        let field = beginField()
        appendBigEndian(Int16(groups.count))
        appendBigEndian(groups.isEmpty ? 0 : weight)
        appendBigEndian(decimal.isNegative && !groups.isEmpty ? Self.negative : Self.positive)
        appendBigEndian(Int16(decimal.scale))
        for group in groups { appendBigEndian(group) }
        endField(field)
        return true
    }

    private func appendNumericSpecial(_ sign: Int16) {
        appendBigEndian(Int32(8))
        for value in [0, 0, sign, 0] { appendBigEndian(value) }
    }
}

/// A decimal number as digits around a point: `[+-]digits[.digits][e[+-]digits]`, the exponent
/// already applied, integer digits padded on the left and fraction digits on the right to
/// multiples of four.
private struct Decimal {
    var isNegative = false
    var integerDigits: [Int16] = []
    var fractionDigits: [Int16] = []
    /// The display scale: how many fraction digits the text had, before padding.
    var scale = 0

    /// Exponents beyond this are refused rather than expanded into thousands of digits.
    private static let maxExponent = 1000

    init?<Text: Collection<UInt8>>(_ text: Text) {
        var bytes = ArraySlice(text)
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            isNegative = sign == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        var digits: [Int16] = [], pointAt: Int?, exponent = 0
        while let byte = bytes.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
            bytes.removeFirst()
            if byte == UInt8(ascii: "."), pointAt == nil { pointAt = digits.count; continue }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            digits.append(Int16(byte - UInt8(ascii: "0")))
        }
        guard !digits.isEmpty else { return nil }
        if !bytes.isEmpty {
            guard let e = Int(String(decoding: bytes.dropFirst(), as: UTF8.self)), abs(e) <= Self.maxExponent else { return nil }
            exponent = e
        }
        var point = (pointAt ?? digits.count) + exponent
        if point < 0 { digits.insert(contentsOf: repeatElement(0, count: -point), at: 0); point = 0 }
        if point > digits.count { digits.append(contentsOf: repeatElement(0, count: point - digits.count)) }
        scale = digits.count - point
        guard scale <= 16383 else { return nil }  // numeric's largest display scale
        integerDigits = Array(repeatElement(0, count: (4 - point % 4) % 4)) + digits[..<point]
        fractionDigits = Array(digits[point...]) + repeatElement(0, count: (4 - scale % 4) % 4)
    }

    func base10000Digits() -> [Int16] {
        let all = integerDigits + fractionDigits
        return stride(from: 0, to: all.count, by: 4).map { i in
            all[i] * 1000 + all[i + 1] * 100 + all[i + 2] * 10 + all[i + 3]
        }
    }
}
