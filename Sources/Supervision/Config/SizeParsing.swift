/// Byte sizes as the configuration writes them: `"64MiB"`, `"512KiB"`, `"1GiB"`, `"4096B"`.
public enum ByteSize {
    /// Reads an integer with an optional unit `B`, `KiB`, `MiB` or `GiB`. Nil for anything else,
    /// including decimal units such as `MB`, which would be off by 5% from what users expect.
    public static func parse(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard let number = Int(digits) else { return nil }
        guard let multiplier = unit.isEmpty ? 1 : units.first(where: { $0.name == unit })?.bytes else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// The size with the largest unit that divides it: `"64MiB"`, `"1536KiB"`, `"100B"`.
    public static func format(_ bytes: Int) -> String {
        let unit = units.first { bytes != 0 && bytes % $0.bytes == 0 } ?? units.last!
        return "\(bytes / unit.bytes)\(unit.name)"
    }

    private static let units: [(name: Substring, bytes: Int)] = [
        ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1),
    ]
}
