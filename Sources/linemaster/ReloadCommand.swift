import ArgumentParser
import Glibc
import Supervision

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the supervisor re-read its configuration (SIGHUP).",
        discussion: """
            A configuration with errors is logged by the supervisor and the running one stays in force. \
            Exit status: 0 once the signal is sent, 3 when no supervisor runs.
            """)

    @Option(name: .customShort("D"), help: "Data directory of the running supervisor.")
    var dataDirectory: String

    func run() throws {
        do { try SupervisorControl.send(SIGHUP, dataDirectory: dataDirectory) } catch { throw ControlFailure.report(error) }
    }
}
