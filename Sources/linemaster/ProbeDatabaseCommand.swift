import ArgumentParser
import PostgresSink
import WorkerGrants
import WorkerRuntime

/// `linemaster probe-database`: run by the supervisor as a child with the `database` capability,
/// asks once whether the database accepts connections and exits with the answer (a
/// `DatabaseReadiness`), so that the supervisor's loop never waits on the network.
struct ProbeDatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-database",
        abstract: "Ask once whether the granted database accepts connections (run by the supervisor).",
        shouldDisplay: false)

    func run() throws {
        let worker = Worker.start()
        let grant: DatabaseGrant
        do { grant = try worker.database() } catch {
            worker.log("\(error)")
            throw ExitCode(1)
        }
        throw ExitCode(PostgresSink.ping(conninfo: grant.url).rawValue)
    }
}
