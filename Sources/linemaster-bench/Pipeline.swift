import Glibc
import SharedRing

/// What every pipeline of a run shares.
struct PipelineSettings {
    /// The directory of linemaster's executables.
    let bin: String
    let conninfo: String
    let batchRows: Int
    /// Where each case's data directory, config and log go.
    let workDirectory: String
    /// TOML appended to each case's config: more workers, e.g. an HTTP worker for the HTTP cases.
    let extraConfig: String
    /// A nice value for the listeners, an experiment.
    let listenerNice: Int32?

    static let ringSize = "256MiB"
    static let receiveBuffer = 16 << 20
    static let listeners = 2, inserters = 2
}

/// A supervisor started for one case: 2 listeners on one UDP socket, 2 inserters into a fresh
/// schema, whose table they make as `table` says, a 256MiB ring (opened read-only here to watch
/// its counters).
final class Pipeline {
    let settings: PipelineSettings
    let tableKind: CaseTable
    let directory: String
    let schema: String
    let udpPort: Int
    private(set) var ring: SharedRing?

    init(number: Int, table: CaseTable, settings: PipelineSettings, psql: Psql) throws {
        self.settings = settings
        tableKind = table
        directory = settings.workDirectory + "/lm-\(number)"
        schema = "bench_lm_\(number)"
        udpPort = Machine.freeUDPPort()
        try psql.run("DROP SCHEMA IF EXISTS \(quotedIdentifier(schema)) CASCADE; CREATE SCHEMA \(quotedIdentifier(schema))")
        mkdir(directory, 0o755)
        let configPath = directory + ".toml"
        try writeText(configPath, config)
        let command = [settings.bin + "/linemaster", "start", "-D", directory, "-c", configPath].map(shellQuoted).joined(separator: " ")
        guard system(command + " 2>" + shellQuoted(directory + ".log") + " &") == 0 else { throw BenchmarkFailure("cannot start \(command)") }
        try waitUntilReady()
    }

    var table: String { quotedIdentifier(schema) + ".cpu" }

    /// The supervisor's log, its last lines, for a failure's message.
    private var logTail: String { (readText(directory + ".log") ?? "").split(separator: "\n").suffix(10).joined(separator: "\n") }

    private var config: String {
        """
        [supervisor]
        shutdown_timeout = "5s"
        [ring]
        size = "\(PipelineSettings.ringSize)"
        [database]
        url = \(tomlString(settings.conninfo))
        schema = \(tomlString(schema))
        create_tables = \(tomlString(tableKind.createTables))
        [[worker]]
        name = "listener"
        executable = \(tomlString(settings.bin + "/linemaster-listener"))
        listen = ["udp://127.0.0.1:\(udpPort)"]
        receive_buffer = \(PipelineSettings.receiveBuffer)
        flags = ["shared-memory"]
        count = \(PipelineSettings.listeners)
        [[worker]]
        name = "inserter"
        executable = \(tomlString(settings.bin + "/linemaster-inserter"))
        args = ["--batch-rows", "\(settings.batchRows)"]
        flags = ["shared-memory", "database"]
        start = "database-ready"
        count = \(PipelineSettings.inserters)

        """ + settings.extraConfig
    }

    func status() -> StatusDocument? { StatusDocument.read(bin: settings.bin, dataDirectory: directory) }

    /// Every worker running and every listener's socket bound (its activity says `udp ...`);
    /// then the ring, named in the pid file, is mapped read-only.
    private func waitUntilReady() throws {
        try poll("the workers did not start", log: { logTail }, seconds: 30, every: 0.1) {
            guard let s = status(), !s.workers.isEmpty, s.workers.allSatisfy({ $0.state == "running" }) else { return false }
            return s.workers.filter { $0.name.hasPrefix("listener") }.allSatisfy { $0.activity?.hasPrefix("udp ") == true }
        }
        let pidFile = (readText(directory + "/linemaster.pid") ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        guard pidFile.count > 4, let ring = try SharedRing.open(name: String(pidFile[4]), access: .readOnly) else {
            throw BenchmarkFailure("no ring named in \(directory)/linemaster.pid")
        }
        self.ring = ring
        // For whoever cleans up after an interrupted run (scripts/bench): a fast stop keeps the ring.
        try writeText(directory + ".segment", ring.segment.name + "\n")
        if let nice = settings.listenerNice {
            for w in status()?.workers ?? [] where w.name.hasPrefix("listener") { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(w.pid ?? 0), nice) }
        }
    }

    /// The inserters connect on their first batch: one line creates the table and warms them;
    /// the table is emptied again.
    func warmUp(psql: Psql) throws {
        _ = try LoadRun(bin: settings.bin, arguments: ["127.0.0.1:\(udpPort)", "-n", "1", "--seq-start", "0"])
        try poll("the warm-up row was not stored", log: { logTail }, seconds: 30, every: 0.1) {
            let exists = (try? psql.query("SELECT count(*) FROM pg_tables WHERE schemaname = '\(schema)' AND tablename = 'cpu'")) == "1"
            return exists && ring!.counters.bytesUsed == 0
        }
        try psql.run("DELETE FROM \(table)")
    }

    /// Polls every 20 ms until nothing waits in the kernel for the listeners' port, the ring is
    /// empty and every row in is out (committed), twice in a row with no new row; returns when
    /// that was first seen, or nil when it was not within `seconds`.
    func waitUntilDrained(seconds: Double) -> Double? {
        let deadline = Machine.now + seconds
        var drainedSince: Double?, previousRowsIn: UInt64?
        while Machine.now < deadline {
            let c = ring!.counters
            let drained = c.bytesUsed == 0 && c.rowsIn == c.rowsOut && Machine.udpSockets(port: udpPort).queued == 0
            if drained, let since = drainedSince, c.rowsIn == previousRowsIn { return since }
            drainedSince = drained ? drainedSince ?? Machine.now : nil
            previousRowsIn = c.rowsIn
            usleep(20_000)
        }
        return nil
    }

    /// A smart stop: the ring is empty, so the supervisor removes it; after a failed case it may
    /// not be, and is removed here.
    func stop() {
        let segment = ring?.segment.name
        ring = nil
        _ = try? runCapturing([settings.bin + "/linemaster", "stop", "-D", directory, "--mode", "smart", "--timeout", "20"])
        if let segment { SharedSegment.unlink(name: segment) }
    }
}

/// Calls `condition` every `interval` seconds until it holds; throws `failure` and the `log` that
/// shows why after `seconds`.
private func poll(_ failure: String, log: () -> String, seconds: Double, every interval: Double, _ condition: () -> Bool) throws {
    let deadline = Machine.now + seconds
    while !condition() {
        guard Machine.now < deadline else { throw BenchmarkFailure("bench: \(failure) within \(Int(seconds)) s; the supervisor's log ends:\n\(log())") }
        usleep(useconds_t(interval * 1e6))
    }
}

/// A PostgreSQL identifier, quoted.
func quotedIdentifier(_ name: String) -> String { "\"" + name.replacingAll("\"", with: "\"\"") + "\"" }

/// A TOML basic string.
private func tomlString(_ s: String) -> String { "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" }

func writeText(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw BenchmarkFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(file) }
    fputs(text, file)
}
