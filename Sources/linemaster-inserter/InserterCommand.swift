import ArgumentParser
import Inserter
import WorkerRuntime

/// `linemaster-inserter`: a worker with the `shared-memory` and `database` flags that drains the
/// ring into PostgreSQL, one table per measurement, exactly once.
@main
struct InserterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-inserter",
        abstract: "Write the rows of linemaster's ring into PostgreSQL with COPY.",
        discussion: """
            Runs as a linemaster worker with flags = ["shared-memory", "database"] and \
            start = "database-ready". The [database] section reaches it through a pipe. SIGHUP \
            makes it read table definitions again; SIGTERM stops it after the current batch.
            """)

    @Option(help: "The most rows in one batch (one transaction).")
    var batchRows = 5000

    func validate() throws {
        if batchRows < 1 { throw ValidationError("--batch-rows must be at least 1") }
    }

    func run() throws {
        let worker = Worker.start()
        do {
            throw ExitCode(try Inserter(worker: worker, options: InserterOptions(maxBatchRows: batchRows)).run())
        } catch let error as ExitCode {
            throw error
        } catch {
            worker.log("\(error)")
            throw ExitCode(1)
        }
    }
}
