#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// `DATADIR/linemaster.status`: the supervisor's view of its workers, one tab-separated line
/// each, rewritten atomically whenever it changes and read by `linemaster status`.
///
///     name  pid  state  started-at (Unix seconds)  restarts  last exit  stat slot  flags
public enum StatusFile {
    public static func path(dataDirectory: String) -> String { dataDirectory + "/linemaster.status" }

    public static func render(_ workers: [WorkerStatus], wallClockNow: Double) -> String {
        workers.map { w in
            let startedAt = w.uptime.map { String(wallClockNow - $0) } ?? "-"
            return [w.name, w.pid.map(String.init) ?? "-", w.state.rawValue, startedAt, String(w.restarts),
                    w.lastExit ?? "-", String(w.statSlot), w.flags.joined(separator: ",")]
                .joined(separator: "\t")
        }.joined(separator: "\n") + "\n"
    }

    /// The workers as last written, with uptimes relative to `wallClockNow`.
    public static func read(dataDirectory: String, wallClockNow: Double) -> [WorkerStatus]? {
        guard let text = readTextFile(path(dataDirectory: dataDirectory)) else { return nil }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let state = WorkerState(rawValue: f[2]), let restarts = Int(f[4]),
                  let slot = Int(f[6]) else { return nil }
            return WorkerStatus(
                name: f[0], pid: Int32(f[1]), state: state, uptime: Double(f[3]).map { wallClockNow - $0 },
                restarts: restarts, lastExit: f[5] == "-" ? nil : f[5], statSlot: slot,
                flags: f[7].split(separator: ",").map(String.init))
        }
    }
}

/// Seconds since the Unix epoch.
public func wallClockSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
