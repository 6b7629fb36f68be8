import ArgumentParser
import Supervision

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; print every problem as FILE:LINE: REASON.")

    @Option(name: .shortAndLong, help: "Configuration file (TOML).")
    var config: String

    func run() throws {
        do {
            let loaded = try LinemasterConfig.load(path: absolutePath(config))
            print("\(config): ok, \(loaded.workers.count) worker definitions")
        } catch {
            print("\(error)")
            throw ExitCode(1)
        }
    }
}
