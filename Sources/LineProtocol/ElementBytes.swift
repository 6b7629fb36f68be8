/// One element of a parsed line (a measurement name, tag key or value, field key, or the text of a
/// string field), borrowed from the input buffer.
///
/// The bytes are exactly as they appear in the input; ``needsUnescaping`` tells whether escape
/// sequences remain to be removed. The view is valid only while the parser's handler runs.
public struct ElementBytes {
    /// The element's bytes in the input, escapes included.
    public let raw: UnsafeBufferPointer<UInt8>
    /// Whether `raw` contains escape sequences; when `false`, `raw` is already the element's text.
    public let needsUnescaping: Bool
    /// The escape rule that applies to this element.
    public let rule: EscapeRule

    @inline(__always)
    init(raw: UnsafeBufferPointer<UInt8>, needsUnescaping: Bool, rule: EscapeRule) {
        self.raw = raw
        self.needsUnescaping = needsUnescaping
        self.rule = rule
    }

    /// The number of bytes of the element once unescaped.
    public var unescapedCount: Int {
        guard needsUnescaping else { return raw.count }
        var n = 0
        rule.forEachUnescaped(raw) { _ in n += 1 }
        return n
    }

    /// Copies the unescaped bytes to `destination`, which must have room for `raw.count` bytes,
    /// and returns how many were written.
    @inline(__always)
    public func copyUnescaped(to destination: UnsafeMutablePointer<UInt8>) -> Int {
        guard needsUnescaping else {
            if let base = raw.baseAddress { destination.update(from: base, count: raw.count) }
            return raw.count
        }
        var n = 0
        rule.forEachUnescaped(raw) { b in
            destination[n] = b
            n += 1
        }
        return n
    }

    /// Calls `body` with the unescaped bytes (the input itself when there is nothing to unescape,
    /// otherwise a temporary copy).
    public func withUnescapedBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard needsUnescaping else { return try body(raw) }
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(raw.count, 1)) { tmp in
            let n = copyUnescaped(to: tmp.baseAddress!)
            return try body(UnsafeBufferPointer(rebasing: tmp[..<n]))
        }
    }

    /// The unescaped text as a `String` (allocates; not for the hot path). The parser has checked
    /// that it is valid UTF-8.
    public func makeString() -> String {
        withUnescapedBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether two elements have the same unescaped bytes.
    public func unescapedEquals(_ other: ElementBytes) -> Bool {
        if !needsUnescaping && !other.needsUnescaping {
            return raw.count == other.raw.count
                && (raw.count == 0 || memoryEquals(raw.baseAddress!, other.raw.baseAddress!, raw.count))
        }
        return withUnescapedBytes { a in
            other.withUnescapedBytes { b in
                a.count == b.count && (a.count == 0 || memoryEquals(a.baseAddress!, b.baseAddress!, a.count))
            }
        }
    }
}

@inline(__always)
func memoryEquals(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}

/// Lexicographic comparison of unescaped bytes, for sorting tag keys.
func unescapedLess(_ x: ElementBytes, _ y: ElementBytes) -> Bool {
    x.withUnescapedBytes { a in
        y.withUnescapedBytes { b in a.lexicographicallyPrecedes(b) }
    }
}
