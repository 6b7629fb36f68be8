import ArgumentParser
import Supervision

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Run the supervisor in the foreground (logs to stderr).",
        discussion: """
            SIGTERM stops it smartly (listeners first, inserters drain), SIGINT fast, SIGQUIT \
            immediately; SIGHUP reloads the configuration. Exit status: 0 after a shutdown, 1 after \
            a crash with restart_after_crash = false, 2 when it could not start.
            """)

    @Option(name: .customShort("D"), help: "Data directory: pid file, status, shared-memory name (created if missing).")
    var dataDirectory: String

    @Option(name: .shortAndLong, help: "Configuration file (TOML).")
    var config: String

    func run() throws {
        throw ExitCode(Supervisor.runInForeground(dataDirectory: dataDirectory, configPath: config))
    }
}
