#if canImport(Glibc)
import Glibc
#endif

/// One line per event on stderr: UTC time, pid, who, message. The supervisor and every bundled
/// worker log this way, so that their lines interleave readably in one stream.
public enum Log {
    public static func write(_ message: String, from who: String = "supervisor") {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        gmtime_r(&now.tv_sec, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        let millis = String(now.tv_nsec / 1_000_000)
        let stamp = String(cString: buffer) + "." + String(repeating: "0", count: 3 - millis.count) + millis
        let line = Array("\(stamp) UTC [\(getpid())] \(who): \(message)\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
