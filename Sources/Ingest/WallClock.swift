#if canImport(Glibc)
import Glibc
#endif

/// The time a receiving worker gives lines without a timestamp.
public enum WallClock {
    /// Nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public static func nanosecondsSinceEpoch() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
