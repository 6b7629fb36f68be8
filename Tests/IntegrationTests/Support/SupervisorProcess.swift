import Glibc
import SharedRing
import Testing

/// The real `linemaster start` in a temporary directory, observed from outside as a user would:
/// through its pid file, `ps` (/proc), `linemaster status`, signals and its exit status.
/// The directory is removed afterwards unless LINEMASTER_KEEP_TEST_DIRS is set.
final class SupervisorProcess: @unchecked Sendable {
    let directory: String
    let dataDirectory: String
    let configPath: String
    let logPath: String
    /// Where test workers append what happens to them (`PID NAME: event`).
    let reportPath: String
    private(set) var pid: pid_t = 0
    private var exitStatus: Int32?

    /// Writes `config` (with `REPORT` replaced by the report path and `TESTWORKER` by the test
    /// worker's path) into a fresh temporary directory.
    init(config: String) {
        var template = Array("/tmp/linemaster-test-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        dataDirectory = directory + "/data"
        configPath = directory + "/linemaster.toml"
        logPath = directory + "/supervisor.log"
        reportPath = directory + "/report.txt"
        writeConfig(config)
    }

    deinit {
        if pid > 0 && exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(5))
        }
        SharedSegment.unlink(name: segmentName)
        if getenv("LINEMASTER_KEEP_TEST_DIRS") == nil {
            _ = Binaries.runProgram("/bin/rm", ["-rf", directory])
        }
    }

    /// The shared-memory segment of the data directory, as the supervisor names it.
    var segmentName: String { SharedSegment.name(forDataDirectory: dataDirectory) }

    func writeConfig(_ config: String) {
        let text = config.replacingAll("REPORT", with: reportPath).replacingAll("TESTWORKER", with: Binaries.path("linemaster-testworker"))
        writeFile(configPath, text)
    }

    /// Starts `linemaster start -D data -c config`, stderr to the log file.
    func start(environment extra: [String] = []) {
        pid = Binaries.spawn("linemaster", ["start", "-D", dataDirectory, "-c", configPath], logPath: logPath, environment: extra)
        exitStatus = nil
    }

    /// Starts it and waits until the pid file says `ready`; fails at once, with the log, if it exits instead.
    func startReady(environment extra: [String] = []) throws {
        start(environment: extra)
        try waitUntil("the supervisor is ready") {
            let lines = self.pidFileLines()
            return lines?.first == String(self.pid) && lines?.last == "ready" || self.hasExited()
        }
        if let exitStatus { throw StartFailed(outcome: ExitOutcome(status: exitStatus), log: log()) }
    }

    /// Whether the supervisor has exited; reaps it if so.
    private func hasExited() -> Bool {
        var status: Int32 = 0
        if exitStatus == nil && waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        return exitStatus != nil
    }

    func pidFileLines() -> [String]? {
        readFile(dataDirectory + "/linemaster.pid")?.split(separator: "\n").map(String.init)
    }

    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Reaps the supervisor; nil if it is still running after `timeout`.
    func waitForExit(timeout: Duration = .seconds(20)) -> ExitOutcome? {
        if let exitStatus { return ExitOutcome(status: exitStatus) }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                exitStatus = status
                return ExitOutcome(status: status)
            }
            usleep(20_000)
        }
        return nil
    }

    /// The supervisor's worker processes, from /proc.
    func workers() -> [ProcessInfoSnapshot] {
        ProcessInfoSnapshot.all().filter { $0.parentPid == pid }
    }

    /// The worker whose title is `linemaster: NAME` (possibly followed by its arguments or activity).
    func worker(_ name: String) -> ProcessInfoSnapshot? {
        workers().first { $0.state != "Z" && ($0.title == "linemaster: \(name)" || $0.title.hasPrefix("linemaster: \(name) ")) }
    }

    /// Waits until every instance name has a live worker process and returns their pids.
    @discardableResult
    func waitForWorkers(_ names: [String], timeout: Duration = .seconds(15)) throws -> [String: pid_t] {
        var found: [String: pid_t] = [:]
        try waitUntil("workers \(names) are running", timeout: timeout) {
            found = [:]
            for name in names { if let w = self.worker(name) { found[name] = w.pid } }
            return found.count == names.count
        }
        return found
    }

    /// Waits until each listener shows `udp ADDRESS` in its title, which it does once its sockets
    /// are bound: a datagram sent before then would be lost.
    func waitForListeners(_ names: [String]) throws {
        try waitUntil("listeners \(names) are receiving") {
            names.allSatisfy { self.worker($0)?.title.contains(" udp ") ?? false }
        }
    }

    /// `linemaster` run to completion with these arguments.
    func control(_ arguments: [String]) -> (status: Int32, output: String) {
        Binaries.run("linemaster", arguments)
    }

    /// `linemaster status --json`, worker entries by name.
    func status() -> [String: [String: String]] {
        StatusJSON.parseWorkers(control(["status", "-D", dataDirectory, "--json"]).output)
    }

    /// The `ring` object of `linemaster status --json`.
    func ring() -> [String: String] {
        StatusJSON.parseRing(control(["status", "-D", dataDirectory, "--json"]).output)
    }

    func log() -> String { readFile(logPath) ?? "" }

    func reports() -> [String] {
        (readFile(reportPath) ?? "").split(separator: "\n").map(String.init)
    }
}

/// How a process ended.
struct ExitOutcome: Equatable, CustomStringConvertible {
    let status: Int32
    var exitCode: Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
    var signal: Int32? { status & 0x7f == 0 ? nil : status & 0x7f }
    var description: String { exitCode.map { "exit \($0)" } ?? "signal \(signal!)" }
}

/// Polls `condition` every 50 ms until it holds; fails with `what` after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(15), _ condition: () -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        usleep(50_000)
    }
}

struct StartFailed: Error, CustomStringConvertible {
    let outcome: ExitOutcome
    let log: String
    var description: String { "the supervisor exited (\(outcome)) before it was ready:\n\(log)" }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting until \(what)" }
}
