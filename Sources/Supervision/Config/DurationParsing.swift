// Durations as the configuration writes them, and as the supervisor prints them in its logs.
extension Duration {
    /// Reads a duration written as integers with units `h`, `m`, `s` or `ms`, largest first,
    /// each unit at most once: `"500ms"`, `"2s"`, `"1m30s"`, `"0s"`. Nil for anything else.
    public init?(configText text: String) {
        guard !text.isEmpty else { return nil }
        var milliseconds: Int64 = 0
        var remainingUnits = durationUnits[...]
        var rest = Substring(text)
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            let unit = rest.dropFirst(digits.count).prefix { $0.isASCII && $0.isLetter }
            guard let number = Int64(digits), let index = remainingUnits.firstIndex(where: { $0.name == unit }) else {
                return nil
            }
            let (scaled, overflow) = number.multipliedReportingOverflow(by: remainingUnits[index].milliseconds)
            let (sum, sumOverflow) = milliseconds.addingReportingOverflow(scaled)
            guard !overflow, !sumOverflow else { return nil }
            milliseconds = sum
            remainingUnits = remainingUnits[(index + 1)...]
            rest = rest.dropFirst(digits.count + unit.count)
        }
        self = .milliseconds(milliseconds)
    }

    /// The duration as the configuration writes it: `"2s"`, `"1m30s"`, `"500ms"`, `"0s"`.
    /// Parts below a millisecond are dropped, so parsed durations print exactly as written.
    public var configText: String {
        if self < .zero { return "-" + (Duration.zero - self).configText }
        let (seconds, attoseconds) = components
        // Hours, minutes and seconds from whole seconds, so that no multiplication can overflow.
        let values = [seconds / 3600, seconds % 3600 / 60, seconds % 60, attoseconds / 1_000_000_000_000_000]
        let parts = zip(values, durationUnits).filter { $0.0 > 0 }.map { "\($0.0)\($0.1.name)" }.joined()
        return parts.isEmpty ? "0s" : parts
    }
}

private let durationUnits: [(name: Substring, milliseconds: Int64)] = [
    ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
]
