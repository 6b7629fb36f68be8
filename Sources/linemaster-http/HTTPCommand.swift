import ArgumentParser
import HTTPIngest
import WorkerRuntime

/// `linemaster-http`: a worker with the `shared-memory` and `http` flags that serves InfluxDB's
/// write API (`/write`, `/api/v2/write`) and publishes the rows into the ring.
@main
struct HTTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-http",
        abstract: "Serve InfluxDB's HTTP write API and publish the rows into linemaster's ring.",
        discussion: """
            Runs as a linemaster worker with flags = ["shared-memory", "http"] and listen = \
            ["tcp://HOST:PORT"]: it serves on the sockets the supervisor passes, with the [http] \
            settings it grants. SIGTERM stops it after the requests in progress are answered; SIGQUIT \
            closes every connection, between requests, and exits with status 2.
            """)

    func run() throws {
        let worker = Worker.start(onQuit: .finishWorkInHand)
        do {
            throw ExitCode(try HTTPWorker(worker: worker).run())
        } catch let error as ExitCode {
            throw error
        } catch {
            worker.log("\(error)")
            throw ExitCode(1)
        }
    }
}
