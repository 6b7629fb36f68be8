import ArgumentParser
import Supervision

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the supervisor of a data directory and wait until it has exited.",
        discussion: "Exit status: 0 once it has exited, 1 when it did not within the timeout, 3 when no supervisor runs.")

    @Option(name: .customShort("D"), help: "Data directory of the running supervisor.")
    var dataDirectory: String

    @Option(help: "smart: listeners first, inserters drain the ring; fast: every worker at once; immediate: SIGQUIT, then SIGKILL.")
    var mode: Mode = .smart

    @Option(help: "Seconds to wait for the supervisor to exit.")
    var timeout: Int = 60

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case smart, fast, immediate
    }

    func run() throws {
        let shutdown: ShutdownMode = switch mode {
        case .smart: .smart
        case .fast: .fast
        case .immediate: .immediate
        }
        do {
            try SupervisorControl.stop(dataDirectory: dataDirectory, mode: shutdown, timeout: .seconds(timeout))
        } catch {
            throw ControlFailure.report(error)
        }
    }
}
