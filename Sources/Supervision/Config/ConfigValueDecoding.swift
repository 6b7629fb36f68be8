// Typed access to values: each accessor reports a wrong type and returns nil, so that the
// caller keeps its default and goes on to find further problems.
extension ConfigDecoder {
    mutating func string(_ entry: TOMLTable.Entry) -> String? {
        if case .string(let text) = entry.value.kind { return text }
        reportType(entry, expected: "a string in quotes")
        return nil
    }

    mutating func boolean(_ entry: TOMLTable.Entry) -> Bool? {
        if case .boolean(let flag) = entry.value.kind { return flag }
        reportType(entry, expected: "true or false")
        return nil
    }

    /// An integer within `range`; the bounds are reported in words a user can act on.
    mutating func integer(_ entry: TOMLTable.Entry, in range: ClosedRange<Int>) -> Int? {
        guard case .integer(let number) = entry.value.kind else {
            reportType(entry, expected: "an integer")
            return nil
        }
        if number < range.lowerBound {
            report(line: entry.value.line, "\(entry.key) must be at least \(range.lowerBound), not \(number)")
        } else if number > range.upperBound {
            report(line: entry.value.line, "\(entry.key) must be at most \(range.upperBound), not \(number)")
        }
        return range.contains(number) ? number : nil
    }

    /// A duration such as `"2s"`; zero only where `allowsZero`.
    mutating func duration(_ entry: TOMLTable.Entry, allowsZero: Bool = false) -> Duration? {
        guard case .string(let text) = entry.value.kind else {
            reportType(entry, expected: "a duration in quotes such as \"5s\"")
            return nil
        }
        guard let duration = Duration(configText: text) else {
            report(line: entry.value.line, badDuration(text, for: entry.key))
            return nil
        }
        guard allowsZero || duration > .zero else {
            report(line: entry.value.line, "\(entry.key) must be longer than zero")
            return nil
        }
        return duration
    }

    /// `"64MiB"` or a plain number of bytes, within `range`; `what` names it in the message
    /// about the range.
    mutating func byteSize(_ entry: TOMLTable.Entry, in range: ClosedRange<Int>, what: String? = nil) -> Int? {
        let bytes: Int?
        switch entry.value.kind {
        case .integer(let number): bytes = number
        case .string(let text): bytes = ByteSize.parse(text)
        default: bytes = nil
        }
        guard let bytes else {
            report(line: entry.value.line, "bad size \(sizeText(entry.value)) for \(entry.key): expected a number of bytes "
                + "or a number with a unit B, KiB, MiB or GiB, e.g. \"64MiB\"")
            return nil
        }
        guard range.contains(bytes) else {
            report(line: entry.value.line, "\(what ?? entry.key) \(sizeText(entry.value)) is out of range: "
                + "it must be between \(ByteSize.format(range.lowerBound)) and \(ByteSize.format(range.upperBound))")
            return nil
        }
        return bytes
    }

    private func sizeText(_ value: TOMLValue) -> String {
        switch value.kind {
        case .string(let text): "\"\(text)\""
        case .integer(let number): "\(number)"
        default: value.typeDescription
        }
    }

    func badDuration(_ text: String, for key: String) -> String {
        "bad duration \"\(text)\" for \(key): expected a number with a unit ms, s, m or h, e.g. \"2s\""
    }

    /// An array of strings, each with its line so that a bad element can be pointed at.
    mutating func strings(_ entry: TOMLTable.Entry) -> [(text: String, line: Int)]? {
        guard case .array(let elements) = entry.value.kind else {
            reportType(entry, expected: "an array of strings such as [\"a\", \"b\"]")
            return nil
        }
        var texts: [(text: String, line: Int)] = []
        for element in elements {
            guard case .string(let text) = element.kind else {
                report(line: element.line, "each element of \(entry.key) must be a string, not \(element.typeDescription)")
                continue
            }
            texts.append((text, element.line))
        }
        return texts
    }

    private mutating func reportType(_ entry: TOMLTable.Entry, expected: String) {
        report(line: entry.value.line, "\(entry.key) must be \(expected), not \(entry.value.typeDescription)")
    }
}
