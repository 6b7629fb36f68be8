import ArgumentParser
import Glibc
import Supervision

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every worker: name, pid, state, uptime, restarts, last exit.",
        discussion: "Exit status: 0 when all is well, 1 when a worker is marked failed, 3 when no supervisor runs.")

    @Option(name: .customShort("D"), help: "Data directory of the running supervisor.")
    var dataDirectory: String

    @Flag(help: "Print JSON: a `workers` array with name, pid, state, uptime, restarts, last_exit.")
    var json = false

    @Flag(help: "Print the counters in Prometheus's text format 0.0.4 (for node_exporter's textfile collector).")
    var prometheus = false

    @Flag(help: "Show the status again every INTERVAL with rows/s in and stored per worker, until interrupted.")
    var watch = false

    @Argument(help: "Seconds between two blocks of --watch.")
    var interval: Double?

    func validate() throws {
        if interval != nil && !watch { throw ValidationError("an interval is given with --watch only") }
        if let interval, !(interval > 0) { throw ValidationError("the interval must be more than 0 seconds") }
        if watch && (json || prometheus) { throw ValidationError("--watch shows the text form only") }
    }

    func run() throws {
        if watch { try watchStatus(every: interval ?? 1) }
        let report = try read()
        print(prometheus ? report.prometheus() : json ? report.json() : report.text(), terminator: prometheus ? "" : "\n")
        if report.hasFailedWorker { throw ExitCode(1) }
    }

    private func read() throws -> StatusReport {
        do { return try StatusReport.read(dataDirectory: dataDirectory) } catch { throw ControlFailure.report(error) }
    }

    /// Like top on a terminal (clear, home, the block); elsewhere one block after the other.
    private func watchStatus(every seconds: Double) throws -> Never {
        let terminal = isatty(STDOUT_FILENO) == 1
        var watch = StatusWatch()
        while true {
            let block = watch.block(try read(), at: .now)
            print(terminal ? "\u{1B}[H\u{1B}[2J" + block : block + "\n", terminator: "\n")
            fflush(nil)
            var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
            nanosleep(&pause, nil)
        }
    }
}
