import ArgumentParser
import Glibc
import Supervision

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the supervisor re-read its configuration (SIGHUP).",
        discussion: "A configuration with errors is logged by the supervisor and the running one stays in force.")

    @Option(name: .customShort("D"), help: "Data directory of the running supervisor.")
    var dataDirectory: String

    func run() throws {
        do { try SupervisorControl.send(SIGHUP, dataDirectory: dataDirectory) } catch { throw ValidationError("\(error)") }
    }
}
