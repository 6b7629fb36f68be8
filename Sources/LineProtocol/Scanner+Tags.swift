extension Scanner {
    /// Reads `,key=value` pairs up to the space before the field set.
    @inline(__always)
    mutating func scanTags() throws(ScanFailure) {
        tags.removeAll()
        while pos < end && p[pos] == UInt8(ascii: ",") {
            pos += 1
            let keyStart = pos
            let key = scanElement(stop: ByteClass.keyStop, escapable: ByteClass.nameEscapable)
            if pos == keyStart { throw ScanFailure(.expectedTagKey(found: byte(at: pos)), at: pos) }
            let keyEnd = pos
            guard pos < end && p[pos] == UInt8(ascii: "=") else {
                throw ScanFailure(.expectedEqualsAfterTagKey(key: keyStart..<keyEnd, found: byte(at: pos)), at: pos)
            }
            pos += 1
            let valueStart = pos
            let value = scanElement(stop: ByteClass.tagValueStop, escapable: ByteClass.nameEscapable)
            if pos == valueStart { throw ScanFailure(.expectedTagValue(key: keyStart..<keyEnd), at: pos) }
            if key.nonASCII { try checkUTF8(keyStart, keyEnd, .tagKey) }
            if value.nonASCII { try checkUTF8(valueStart, pos, .tagValue) }
            tags.append(RawTag(
                key: element(keyStart, keyEnd, escaped: key.escaped, .name),
                value: element(valueStart, pos, escaped: value.escaped, .name)))
        }
        guard pos < end && p[pos] == UInt8(ascii: " ") else {
            throw ScanFailure(.missingFieldSet(found: byte(at: pos)), at: pos)
        }
        skipSpaces()
    }

    /// The index of the first tag whose key repeats an earlier one, if any (keys compared unescaped).
    func duplicateTagKey() -> Int? {
        let keys = tags.elements
        if keys.count < 2 { return nil }
        if keys.count > 32 { return duplicateTagKeyBySorting(keys) }
        for i in 1..<keys.count {
            let a = keys[i].key
            for j in 0..<i {
                let b = keys[j].key
                if a.raw.count != b.raw.count && !a.needsUnescaping && !b.needsUnescaping { continue }
                if a.unescapedEquals(b) { return i }
            }
        }
        return nil
    }

    private func duplicateTagKeyBySorting(_ keys: UnsafeBufferPointer<RawTag>) -> Int? {
        let order = (0..<keys.count).sorted { unescapedLess(keys[$0].key, keys[$1].key) }
        for k in 1..<order.count where keys[order[k]].key.unescapedEquals(keys[order[k - 1]].key) {
            return max(order[k], order[k - 1])
        }
        return nil
    }
}
