import ArgumentParser
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

    func run() throws {
        let report: StatusReport
        do { report = try StatusReport.read(dataDirectory: dataDirectory) } catch { throw ControlFailure.report(error) }
        print(prometheus ? report.prometheus() : json ? report.json() : report.text(), terminator: prometheus ? "" : "\n")
        if report.hasFailedWorker { throw ExitCode(1) }
    }
}
