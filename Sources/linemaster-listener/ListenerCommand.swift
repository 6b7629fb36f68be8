import ArgumentParser
import Glibc
import LineProtocol
import Listener
import WorkerRuntime

/// `linemaster-listener`: a worker with the `shared-memory` flag that receives line protocol over
/// UDP and publishes the parsed rows into the ring.
@main
struct ListenerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-listener",
        abstract: "Receive InfluxDB line protocol over UDP and publish the rows into linemaster's ring.",
        discussion: """
            Runs as a linemaster worker with flags = ["shared-memory"]. It receives on the sockets \
            the supervisor passes (the worker's listen addresses, by systemd's LISTEN_FDS \
            convention), or, given none, binds the --udp addresses itself. SIGTERM stops it; so \
            does SIGQUIT, after it has published what it has read.
            """)

    @Option(name: .customLong("udp"), help: "HOST:PORT to bind and receive on, when the supervisor passes no sockets (repeatable; [::1]:PORT for IPv6).")
    var addresses: [String] = []

    @Option(help: "Kernel receive buffer per socket it binds itself, in bytes (warns when the kernel caps it).")
    var receiveBuffer: Int?

    @Option(help: "Unit of the timestamps in the lines: ns, us, ms, s, m or h.")
    var precision: String = "ns"

    func validate() throws {
        if addresses.isEmpty && getenv(SocketActivation.countVariable) == nil {
            throw ValidationError("give at least one --udp HOST:PORT, or run it as a worker with listen = [\"udp://HOST:PORT\"]")
        }
        if Precision(rawValue: precision) == nil { throw ValidationError("--precision must be ns, us, ms, s, m or h") }
    }

    func run() throws {
        let worker = Worker.start(onQuit: .finishWorkInHand)
        do {
            let options = ListenerOptions(addresses: addresses, receiveBuffer: receiveBuffer, precision: Precision(rawValue: precision)!)
            throw ExitCode(try UDPListener(worker: worker, options: options).run())
        } catch let error as ExitCode {
            throw error
        } catch {
            worker.log("\(error)")
            throw ExitCode(1)
        }
    }
}
