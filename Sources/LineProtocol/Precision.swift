/// The unit of the timestamps in a batch of line protocol.
public enum Precision: String, Sendable, CaseIterable {
    case nanoseconds = "ns"
    case microseconds = "us"
    case milliseconds = "ms"
    case seconds = "s"
    /// InfluxDB 1.x's `precision=m` (HTTP only).
    case minutes = "m"
    /// InfluxDB 1.x's `precision=h` (HTTP only).
    case hours = "h"

    /// Nanoseconds in one unit of this precision.
    public var nanosecondsPerUnit: Int64 {
        switch self {
        case .nanoseconds: return 1
        case .microseconds: return 1_000
        case .milliseconds: return 1_000_000
        case .seconds: return 1_000_000_000
        case .minutes: return 60_000_000_000
        case .hours: return 3_600_000_000_000
        }
    }

    /// `units` of this precision in nanoseconds, or `nil` when that does not fit in an `Int64`.
    @inline(__always)
    public func nanoseconds(fromUnits units: Int64) -> Int64? {
        let (ns, overflow) = units.multipliedReportingOverflow(by: nanosecondsPerUnit)
        return overflow ? nil : ns
    }

    /// `nanoseconds` rounded down to a whole number of units (the reference truncates the
    /// default time this way). Near `Int64.min`, where rounding down would overflow, it rounds up.
    public func truncate(_ nanoseconds: Int64) -> Int64 {
        let unit = nanosecondsPerUnit
        let (quotient, remainder) = nanoseconds.quotientAndRemainder(dividingBy: unit)
        let down = remainder < 0 ? quotient - 1 : quotient
        let (result, overflow) = down.multipliedReportingOverflow(by: unit)
        return overflow ? quotient * unit : result
    }

    /// `nanoseconds` in whole units of this precision, rounded toward zero (for the encoder).
    public func units(fromNanoseconds nanoseconds: Int64) -> Int64 {
        nanoseconds / nanosecondsPerUnit
    }
}
