#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a number in a line could not be decoded.
enum NumberProblem: Error {
    case syntax
    case outOfRange
}

/// Number decoding with the syntax of Go's `strconv` (what the reference decoder uses): decimal
/// integers with an optional `-`, and Go float literals (decimal or hexadecimal, `_` between digits).
enum NumberParsing {
    /// A signed decimal integer in `p[start..<end]`: optional `-`, then digits only.
    @inline(__always)
    static func int64(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(NumberProblem) -> Int64 {
        let negative = start < end && p[start] == UInt8(ascii: "-")
        let magnitude = try uint64(p, negative ? start + 1 : start, end)
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .outOfRange }
            return Int64(bitPattern: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .outOfRange }
        return Int64(magnitude)
    }

    /// An unsigned decimal integer in `p[start..<end]`: digits only, at least one.
    @inline(__always)
    static func uint64(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(NumberProblem) -> UInt64 {
        guard start < end else { throw .syntax }
        var value: UInt64 = 0
        if end - start <= 19 {
            // 19 digits cannot overflow 64 bits.
            for i in start..<end {
                let digit = p[i] &- UInt8(ascii: "0")
                guard digit < 10 else { throw .syntax }
                value = value &* 10 &+ UInt64(digit)
            }
            return value
        }
        var overflow = false
        for i in start..<end {
            let digit = p[i] &- UInt8(ascii: "0")
            guard digit < 10 else { throw .syntax }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            overflow = overflow || o1 || o2
            value = sum
        }
        if overflow { throw .outOfRange }
        return value
    }

    /// A finite float in `p[start..<end]` (non-empty). Values that round to infinity are out of range;
    /// `inf` and `nan` spellings are syntax errors. Short decimals take an exact fast path.
    @inline(__always)
    static func double(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(NumberProblem) -> Double {
        var i = start
        let negative = p[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, fractionDigits = 0
        var sawDigit = false, sawDot = false
        while i < end {
            let c = p[i]
            let d = c &- UInt8(ascii: "0")
            if d < 10 {
                sawDigit = true
                if mantissa == 0 && d == 0 {
                    if sawDot { fractionDigits += 1 }
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    digits += 1
                    if sawDot { fractionDigits += 1 }
                } else {
                    return try slowDouble(p, start, end)
                }
            } else if c == UInt8(ascii: ".") && !sawDot {
                sawDot = true
            } else {
                break
            }
            i += 1
        }
        var exponent = 0
        if i < end && p[i] | 0x20 == UInt8(ascii: "e") && sawDigit {
            i += 1
            var negativeExponent = false
            if i < end && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            while i < end, p[i] &- UInt8(ascii: "0") < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(p[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            if i == exponentStart { return try slowDouble(p, start, end) }
            if negativeExponent { exponent = -exponent }
        }
        if i != end { return try slowDouble(p, start, end) }
        guard sawDigit else { throw .syntax }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        let e10 = exponent - fractionDigits
        if mantissa <= 1 << 53 && e10 >= -22 && e10 <= 22 {
            // Both operands are exact, so one IEEE operation rounds correctly (Clinger's fast path).
            let m = Double(mantissa)
            let x = e10 < 0 ? m / powersOf10[-e10] : m * powersOf10[e10]
            return negative ? -x : x
        }
        return try slowDouble(p, start, end)
    }

    private static let powersOf10: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Checks the full Go float syntax, then lets glibc's `strtod` round (correctly, decimal and
    /// hexadecimal alike) in the "C" locale whatever the process locale is, from a stack copy
    /// without underscores: no allocation. Long, hexadecimal and underscored numbers come here.
    static func slowDouble(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(NumberProblem) -> Double {
        guard GoFloatSyntax.isValid(UnsafeBufferPointer(start: p + start, count: end - start)) else {
            throw .syntax
        }
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: end - start + 1) { buffer in
            var n = 0
            for i in start..<end where p[i] != UInt8(ascii: "_") {
                buffer[n] = CChar(bitPattern: p[i])
                n += 1
            }
            buffer[n] = 0
            let previous = uselocale(cNumericLocale)
            defer { uselocale(previous) }
            return strtod(buffer.baseAddress!, nil)
        }
        guard value.isFinite else { throw .outOfRange }
        return value
    }

    /// The "C" numeric locale (decimal point `.`), made once.
    nonisolated(unsafe) private static let cNumericLocale: locale_t = newlocale(1 << LC_NUMERIC, "C", nil)

    /// The boolean spellings the reference accepts: t T true True TRUE f F false False FALSE.
    @inline(__always)
    static func bool(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool? {
        let text = UnsafeBufferPointer(start: p + start, count: end - start)
        switch end - start {
        case 1:
            switch text[0] {
            case UInt8(ascii: "t"), UInt8(ascii: "T"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"): return false
            default: return nil
            }
        case 4:
            return text.elementsEqual("true".utf8) || text.elementsEqual("True".utf8)
                || text.elementsEqual("TRUE".utf8) ? true : nil
        case 5:
            return text.elementsEqual("false".utf8) || text.elementsEqual("False".utf8)
                || text.elementsEqual("FALSE".utf8) ? false : nil
        default:
            return nil
        }
    }
}
