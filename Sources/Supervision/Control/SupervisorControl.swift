#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// What `linemaster stop`, `reload` and `status` do: find the supervisor through its pid file.
public enum SupervisorControl {
    /// The running supervisor of `dataDirectory`, or `notRunning` (also for a stale pid file).
    public static func running(dataDirectory: String) throws(SupervisorError) -> PidFile.Contents {
        guard let contents = PidFile.read(dataDirectory: dataDirectory), PidFile.isSupervisor(contents.pid),
              !isZombie(contents.pid) else {
            throw .notRunning(dataDirectory: dataDirectory)
        }
        return contents
    }

    /// Sends `signal` to the supervisor; returns its pid.
    @discardableResult
    public static func send(_ signal: Int32, dataDirectory: String) throws(SupervisorError) -> Int32 {
        let pid = try running(dataDirectory: dataDirectory).pid
        guard kill(pid, signal) == 0 else { throw .system(SystemCallError("kill(\(pid))")) }
        return pid
    }

    /// Asks the supervisor to shut down in `mode` and waits until it has exited.
    public static func stop(dataDirectory: String, mode: ShutdownMode, timeout: Duration) throws(SupervisorError) {
        let signal = [ShutdownMode.smart: SIGTERM, .fast: SIGINT, .immediate: SIGQUIT][mode]!
        let pid = try send(signal, dataDirectory: dataDirectory)
        let deadline = ContinuousClock.now + timeout
        while PidFile.isAlive(pid) && !isZombie(pid) && PidFile.read(dataDirectory: dataDirectory)?.pid == pid {
            guard ContinuousClock.now < deadline else {
                throw .timedOut("linemaster (pid \(pid)) did not stop within \(timeout); try --mode fast or immediate")
            }
            usleep(50_000)
        }
    }

    /// A process that has exited but not been reaped by its parent yet.
    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = readTextFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingPrefix(" ").first == "Z"
    }
}
