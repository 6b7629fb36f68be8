import ArgumentParser

/// `linemaster`: the supervisor and its control commands. Each subcommand lives in its own file.
@main
struct Linemaster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster",
        abstract: "Supervise worker processes and ingest InfluxDB line protocol into PostgreSQL.",
        subcommands: [
            StartCommand.self, StopCommand.self, ReloadCommand.self, StatusCommand.self,
            CheckConfigCommand.self, ParseCommand.self, ProbeDatabaseCommand.self,
        ]
    )
}
