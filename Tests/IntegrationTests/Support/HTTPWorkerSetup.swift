import Glibc

/// A supervisor running `linemaster-http` on a fresh TCP port, with inserters into a test schema
/// when a database is given (without one, accepted rows stay in the ring, counted by `rows_in`).
struct HTTPWorkerSetup {
    let port = UDPSender.freshPort()
    let supervisor: SupervisorProcess

    /// `http` is the body of the `[http]` section; `extra` is appended (more worker definitions).
    init(http: String = "", httpWorkers: Int = 1, database: TestDatabase? = nil, inserters: Int = 1, ring: String = "32MiB", extra: String = "") {
        supervisor = SupervisorProcess(config: Self.config(port: port, http: http, httpWorkers: httpWorkers, database: database, inserters: inserters, ring: ring, extra: extra))
    }

    static func config(port: UInt16, http: String, httpWorkers: Int, database: TestDatabase?, inserters: Int, ring: String, extra: String) -> String {
        var text = """
            [supervisor]
            shutdown_timeout = "3s"
            max_restarts = 100
            [ring]
            size = "\(ring)"
            [http]
            \(http)
            [[worker]]
            name = "http"
            executable = "linemaster-http"
            listen = ["tcp://127.0.0.1:\(port)"]
            flags = ["shared-memory", "http"]
            restart = "100ms"
            count = \(httpWorkers)

            """
        if let database {
            text += """
                [database]
                url = "\(database.url)"
                schema = "\(database.schema)"

                """
            if inserters > 0 { text += inserterDefinition(count: inserters) }
        }
        return text + extra
    }

    static func inserterDefinition(count: Int) -> String {
        """
        [[worker]]
        name = "inserter"
        executable = "linemaster-inserter"
        args = ["--batch-rows", "500"]
        flags = ["shared-memory", "database"]
        start = "database-ready"
        restart = "100ms"
        count = \(count)

        """
    }

    /// The instance names of the HTTP workers: `http`, or `http 1`, `http 2`, ...
    static func names(_ count: Int) -> [String] { count == 1 ? ["http"] : (1...count).map { "http \($0)" } }

    /// Starts the supervisor and waits until an HTTP worker answers `/ping`.
    func start(httpWorkers: Int = 1) throws {
        try supervisor.startReady()
        try supervisor.waitForWorkers(Self.names(httpWorkers))
        try waitUntil("an HTTP worker answers /ping") { curl(["http://127.0.0.1:\(port)/ping"]).response?.status == 204 }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Rows published into the ring so far.
    func rowsIn() -> Int { Int(supervisor.ring()["rows_in"] ?? "") ?? -1 }
}

/// Runs a client script of Tests/IntegrationTests/Clients with the `python3` of PATH (where
/// scripts/install-deps installed the client libraries); exit status and combined output.
func runClient(_ script: String, _ arguments: [String]) -> (status: Int32, output: String) {
    Binaries.runProgram("/usr/bin/env", ["python3", clientPath(script)] + arguments)
}

/// Starts a client script in the background, its output appended to `logPath`.
func spawnClient(_ script: String, _ arguments: [String], logPath: String) -> pid_t {
    Binaries.spawnProgram("/usr/bin/env", ["python3", clientPath(script)] + arguments, logPath: logPath)
}

/// The path of a client script of Tests/IntegrationTests/Clients.
func clientPath(_ script: String) -> String {
    let here = #filePath
    let support = here[..<here.lastIndex(of: "/")!]
    return support[..<support.lastIndex(of: "/")!] + "/Clients/" + script
}

/// Waits for a child process; its exit code, or 128 + the signal.
func waitForChild(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
