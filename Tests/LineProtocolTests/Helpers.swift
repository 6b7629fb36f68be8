import LineProtocol

/// Parses `text` and returns owned points and errors.
func parse(_ text: String, precision: Precision = .nanoseconds, defaultTime: Int64 = 0) -> (points: [Point], errors: [LineProtocolError]) {
    LineParser(precision: precision).parseAll(Array(text.utf8), defaultTime: defaultTime)
}

func parseBytes(_ bytes: [UInt8], precision: Precision = .nanoseconds, defaultTime: Int64 = 0) -> (points: [Point], errors: [LineProtocolError]) {
    LineParser(precision: precision).parseAll(bytes, defaultTime: defaultTime)
}

/// The single point of a one-line input, or nil when it was rejected.
func point(_ text: String, precision: Precision = .nanoseconds, defaultTime: Int64 = 0) -> Point? {
    let result = parse(text, precision: precision, defaultTime: defaultTime)
    return result.errors.isEmpty && result.points.count == 1 ? result.points[0] : nil
}

/// The value of the first field of a one-line input.
func value(_ text: String) -> FieldValue? {
    point(text)?.fields.first?.value
}

/// Whether the one-line input is rejected.
func isRejected(_ text: String) -> Bool {
    let result = parse(text)
    return !result.errors.isEmpty && result.points.isEmpty
}

/// A small deterministic generator (SplitMix64), so that property tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
