import Glibc
import Testing

/// `start = "database-ready"`: the supervisor learns that the database accepts connections from a
/// child it starts for that (`linemaster: database probe`), never by connecting itself, so that
/// a server that does not answer cannot hold its loop.
@Suite struct DatabaseReadiness {
    @Test func aChildAsksTheDatabaseAndTheSupervisorStaysFreeForSignals() throws {
        let server = try SilentServer()
        let supervisor = SupervisorProcess(config: """
            [supervisor]
            shutdown_timeout = "2s"
            [database]
            url = "host=\(server.directory) port=\(SilentServer.port) dbname=metrics user=ingest"
            [[worker]]
            name = "inserter"
            executable = "TESTWORKER"
            flags = ["shared-memory", "database"]
            start = "database-ready"
            """)
        try supervisor.startReady()
        let peer = try server.acceptAndNameThePeer()
        #expect(peer != supervisor.pid)
        let probe = ProcessInfoSnapshot.of(peer)
        #expect(probe?.parentPid == supervisor.pid)
        #expect(probe?.title == "linemaster: database probe")
        // The probe waits for an answer that never comes; the supervisor does not.
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        try waitUntil("the probe is gone with the supervisor") { !ProcessInfoSnapshot.isRunning(peer) }
        #expect(supervisor.worker("inserter") == nil)
    }
}

/// A "server" on a Unix socket where libpq looks for PostgreSQL (`DIR/.s.PGSQL.PORT`): it accepts
/// connections and never says a word.
private final class SilentServer {
    static let port = 5999
    let directory: String
    private let fd: Int32
    private var accepted: [Int32] = []

    init() throws {
        var template = Array("/tmp/linemaster-silent-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array("\(directory)/.s.PGSQL.\(Self.port)".utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.map { UInt8(bitPattern: $0) }) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(fd, 8) == 0, "cannot listen on \(directory): \(String(cString: strerror(errno)))")
    }

    deinit {
        (accepted + [fd]).forEach { close($0) }
        _ = Binaries.runProgram("/bin/rm", ["-rf", directory])
    }

    /// Accepts the first connection (within 15 s) and returns the pid of the process that made it.
    func acceptAndNameThePeer() throws -> pid_t {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        try #require(poll(&descriptor, 1, 15_000) == 1, "nobody connected to the database within 15 s")
        let connection = accept(fd, nil, nil)
        try #require(connection >= 0)
        accepted.append(connection)
        var credentials: (pid: pid_t, uid: uid_t, gid: gid_t) = (0, 0, 0)  // struct ucred
        var length = socklen_t(MemoryLayout<(pid_t, uid_t, gid_t)>.size)
        try #require(getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0)
        return credentials.pid
    }
}
