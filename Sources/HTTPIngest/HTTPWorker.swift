#if canImport(Glibc)
import Glibc
#endif
import Ingest
import NIOCore
import NIOPosix
import SharedRing
import WorkerGrants
import WorkerRuntime

/// The HTTP worker: serves InfluxDB's write API on the stream sockets the supervisor passed, on
/// one event loop, and answers each write once its rows are safe (see ``HTTPGrant/ack``).
public final class HTTPWorker {
    private let worker: Worker
    private let ring: SharedRing
    private let settings: HTTPGrant
    private let stats: WorkerStatsSlot?

    public init(worker: Worker) throws {
        self.worker = worker
        let ring = try worker.attachRing()
        self.ring = ring
        settings = try worker.http()
        stats = worker.statSlot.map { ring.workerStats(slot: $0) }
        guard !worker.sockets.isEmpty else { throw HTTPWorkerError.noSockets }
        for socket in worker.sockets where !Self.isStreamSocket(socket.fd) { throw HTTPWorkerError.notStream(socket.name) }
    }

    /// Serves until SIGTERM; then takes no new request, finishes those in progress, and returns
    /// the exit status. SIGQUIT (a crash restart) is taken between requests, never in the middle of
    /// publishing one, which would leave part of it in the ring; it closes every connection.
    public func run() throws -> Int32 {
        Self.raiseDescriptorLimit()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let worker = self.worker, stats = self.stats
        let rejects = RejectKeeper(ring: ring, stats: stats, worker: worker.name) { worker.log($0) }
        let metrics = worker.dataDirectory.map { MetricsSource(dataDirectory: $0, supervisorPid: getppid(), ring: ring) }
        let state = ServerState(ring: ring, settings: settings, stats: stats, rejects: rejects, metrics: metrics, eventLoop: loop)
        let bootstrap = ServerBootstrap(group: loop)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try state.configure(channel) }
            }
        let servers = try worker.sockets.map { try bootstrap.withBoundSocket($0.fd).wait() }
        let addresses = worker.sockets.map(\.name).joined(separator: ",")
        worker.log("serving the InfluxDB write API on \(addresses) (ack = \(settings.ack.rawValue))")
        let done = loop.makePromise(of: Void.self)
        loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(100)) { task in
            if worker.shouldStop() && !state.isStopping {
                state.stop(abandoningRequests: worker.exitStatus != 0)
                servers.forEach { $0.close(promise: nil) }
            }
            if state.isStopping && state.connectionCount == 0 {
                task.cancel()
                done.succeed()
            }
            rejects.flushLog()
            let rows = stats?.value(of: .rowsPublished) ?? 0
            worker.setActivity("http \(addresses) \(state.connectionCount) connections \(rows) rows")
        }
        try done.futureResult.wait()
        worker.log("stopped")
        return worker.exitStatus
    }

    private static func isStreamSocket(_ fd: Int32) -> Bool {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == Int32(SOCK_STREAM.rawValue)
    }

    /// Each connection is a descriptor: the soft limit (often 1024) would cap them below `max_connections`.
    private static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Why the HTTP worker cannot serve.
public enum HTTPWorkerError: Error, CustomStringConvertible {
    case noSockets
    case notStream(String)

    public var description: String {
        switch self {
        case .noSockets:
            return "no socket to serve on: give the worker listen = [\"tcp://127.0.0.1:8086\"] in the configuration"
        case .notStream(let name):
            return "\(name) is not a stream socket: the HTTP worker serves tcp:// and unix:// addresses only"
        }
    }
}
