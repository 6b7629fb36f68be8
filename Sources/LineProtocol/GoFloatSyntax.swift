/// The syntax of Go's `strconv.ParseFloat` for finite numbers, which the reference decoder uses
/// for float field values: `[sign] digits [. digits] [e [sign] digits]`, or the hexadecimal form
/// `[sign] 0x hexdigits [. hexdigits] p [sign] digits`, with `_` allowed only between digits.
enum GoFloatSyntax {
    static func isValid(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        var i = 0
        if i < n && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) { i += 1 }
        var hex = false
        if i + 2 < n && s[i] == UInt8(ascii: "0") && s[i + 1] | 0x20 == UInt8(ascii: "x") {
            hex = true
            i += 2
        }
        var sawDigits = false, sawDot = false, underscores = false
        mantissa: while i < n {
            let c = s[i]
            if c == UInt8(ascii: "_") {
                underscores = true
            } else if c == UInt8(ascii: ".") {
                if sawDot { break mantissa }
                sawDot = true
            } else if isDigit(c) || (hex && isHexLetter(c)) {
                sawDigits = true
            } else {
                break mantissa
            }
            i += 1
        }
        guard sawDigits else { return false }
        if i < n && s[i] | 0x20 == (hex ? UInt8(ascii: "p") : UInt8(ascii: "e")) {
            i += 1
            if i < n && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < n && isDigit(s[i]) else { return false }
            while i < n && (isDigit(s[i]) || s[i] == UInt8(ascii: "_")) {
                if s[i] == UInt8(ascii: "_") { underscores = true }
                i += 1
            }
        } else if hex {
            return false
        }
        return i == n && (!underscores || underscoresBetweenDigits(s))
    }

    /// Go's `underscoreOK`: every `_` follows a digit (or the base prefix) and precedes a digit.
    private static func underscoresBetweenDigits(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        enum Saw { case start, digit, underscore, other }
        var saw = Saw.start
        var i = 0
        if i < s.count && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) { i += 1 }
        var hex = false
        if s.count - i >= 2 && s[i] == UInt8(ascii: "0") && s[i + 1] | 0x20 == UInt8(ascii: "x") {
            i += 2
            saw = .digit
            hex = true
        }
        while i < s.count {
            let c = s[i]
            if isDigit(c) || (hex && isHexLetter(c)) {
                saw = .digit
            } else if c == UInt8(ascii: "_") {
                if saw != .digit { return false }
                saw = .underscore
            } else {
                if saw == .underscore { return false }
                saw = .other
            }
            i += 1
        }
        return saw != .underscore
    }

    private static func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }
    private static func isHexLetter(_ c: UInt8) -> Bool { (c | 0x20) &- UInt8(ascii: "a") < 6 }
}
