import ArgumentParser
import Glibc
import Supervision

/// How `stop`, `reload` and `status` end when they cannot do what was asked: the reason on stderr
/// in one line, without the usage text (the command line was right), and, as `pg_ctl status`
/// does, an exit status a script can test: 3 when no supervisor runs on the data directory, 1 for
/// anything else (a stop that timed out, a signal that could not be sent).
enum ControlFailure {
    /// Writes `error` to stderr and returns the exit code to throw for it.
    static func report(_ error: SupervisorError) -> ExitCode {
        let line = Array("\(error)\n".utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if case .notRunning = error { return ExitCode(3) }
        return ExitCode(1)
    }
}
