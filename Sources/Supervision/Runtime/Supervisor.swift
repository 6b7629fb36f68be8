import WorkerRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The supervisor process: the one loop that wires ``SupervisorStateMachine`` to real
/// processes, like postmaster's ServerLoop. It sleeps in `poll` until a signal arrives or the
/// next timer is due, then reaps children, applies what the state machine decided, and sleeps
/// again. It never spins and never touches user data.
public struct Supervisor {
    private var machine: SupervisorStateMachine
    private var pidFile: PidFile
    private var sharedMemory: SharedMemory
    private var sockets = ListenSockets()
    private let signals: SignalReceiver
    private let launcher: WorkerLauncher
    private let dataDirectory: String
    /// When to ask the database again whether it accepts connections; nil once it does, while
    /// no worker waits for it, or while a probe is out.
    private var nextProbe: ContinuousClock.Instant? = .now
    /// The `linemaster probe-database` child asking right now.
    private var probe: pid_t?
    /// Why the database is not ready, logged when it changes, so that a database that never comes
    /// is visible without flooding the log.
    private var lastProbeWhy: String?

    /// Where database workers connect: `[database] url`, or the embedded server.
    private var conninfo: String {
        machine.config.database.url ?? DatabaseGrant.embeddedConnectionString(dataDirectory: dataDirectory)
    }

    /// What the status file says, uptimes left out (they change without anything happening).
    private var lastStatus: [WorkerStatus] = []

    /// Takes the data directory (pid file, signals, shared memory) for a supervisor that will run `config`.
    public init(dataDirectory: String, config: LinemasterConfig) throws(SupervisorError) {
        signals = try SignalReceiver()
        self.dataDirectory = dataDirectory
        let segmentName = SharedMemory.segmentName(dataDirectory: dataDirectory)
        pidFile = try PidFile.acquire(.init(
            pid: getpid(), dataDirectory: dataDirectory, startTime: Int(wallClockSeconds()),
            configPath: config.path, sharedMemoryName: segmentName, status: SupervisorStatus.starting.rawValue))
        do {
            // After the pid file, so that a second start fails on it and not on a port in use.
            try sockets.bind(for: config).forEach { Log.write($0) }
            sharedMemory = try SharedMemory(dataDirectory: dataDirectory, size: config.ring.size)
        } catch {
            sockets.closeAll()
            pidFile.remove()
            throw error
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw .system("pipe", errno) }
        pipeEnds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        // The write end stays open (and unused) for the supervisor's whole life: its closing,
        // by exit or by SIGKILL, is what tells every worker that the supervisor is gone.
        launcher = WorkerLauncher(deathPipe: pipeEnds[0], configPath: config.path, dataDirectory: dataDirectory)
        machine = SupervisorStateMachine(config: config)
    }

    /// Runs until the last worker is gone after a shutdown; returns the exit status.
    public mutating func run() -> Int32 {
        Log.write("starting with \(machine.config.workers.count) worker definitions from \(machine.config.path), data directory \(dataDirectory)")
        if let code = perform(machine.start(now: .now)) { return code }
        while true {
            var actions = probeDatabase()
            if let code = perform(actions) { return code }
            waitForEvent()
            actions = []
            for signal in signals.drain() {
                actions += handle(signal)
            }
            actions += reapChildren()
            actions += machine.timerFired(now: .now)
            if let code = perform(actions) { return code }
        }
    }

    /// Until the database accepts connections, has a probe child ask once a second, and only
    /// while a worker waits for it; with none waiting there is nothing to ask until a reload adds
    /// one. The answer comes back when the child is reaped (``probeEnded(_:)``).
    private mutating func probeDatabase() -> [SupervisorAction] {
        guard probe == nil, let due = nextProbe, due <= .now else { return [] }
        nextProbe = nil
        guard machine.config.workers.contains(where: { $0.start == .databaseReady }) else { return [] }
        let spec = DatabaseProbe.probeWorker
        let grant = DatabaseGrant(url: conninfo, schema: "", createTables: "")
        switch launcher.launch(instance: spec.name, spec: spec, statSlot: .max, sharedMemory: nil, database: grant, sockets: []) {
        case .success(let pid):
            probe = pid
            return []
        case .failure(let error):
            nextProbe = .now + .seconds(1)
            return [.log("cannot start the database probe: \(error)")]
        }
    }

    /// Reads the probe's answer from how it ended: ready, or another probe in a second.
    private mutating func probeEnded(_ ending: ExitReason) -> [SupervisorAction] {
        probe = nil
        if case .exited(let status) = ending, DatabaseProbe.Answer(rawValue: status) == .accepting {
            return machine.databaseBecameReady(now: .now)
        }
        guard machine.acceptsReload else { return [] }  // shutting down: nobody waits any more
        nextProbe = .now + .seconds(1)
        var why = "the database probe failed (\(ending)); see its log line above"
        if case .exited(let status) = ending, let reason = DatabaseProbe.Answer(rawValue: status)?.reason { why = reason }
        defer { lastProbeWhy = why }
        return why == lastProbeWhy ? [] : [.log("waiting for the database: \(why)")]
    }

    private func waitForEvent() {
        var timeout: Int32 = -1
        // While a probe is out its exit (SIGCHLD) is what wakes the loop, not the probe timer.
        if let deadline = [machine.nextDeadline, probe == nil ? nextProbe : nil].compactMap({ $0 }).min() {
            let remaining = deadline - .now
            timeout = remaining <= .zero ? 0 : Int32(min(remaining.seconds * 1000 + 1, 3_600_000))
        }
        var descriptor = pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, timeout)
    }

    private mutating func handle(_ signal: Int32) -> [SupervisorAction] {
        switch signal {
        case SIGHUP: return reload()
        case SIGTERM: return machine.shutdownRequested(.smart, now: .now)
        case SIGINT: return machine.shutdownRequested(.fast, now: .now)
        case SIGQUIT: return machine.shutdownRequested(.immediate, now: .now)
        default: return []
        }
    }

    /// Re-reads the config file. A config that does not load is logged and the running one stays.
    private mutating func reload() -> [SupervisorAction] {
        guard machine.acceptsReload else { return [.log("received SIGHUP during shutdown: ignored")] }
        let config: LinemasterConfig
        do {
            config = try LinemasterConfig.load(path: machine.config.path)
            try sockets.bind(for: config).forEach { Log.write($0) }
        } catch {
            return [.log("received SIGHUP; the configuration cannot be used, keeping the current one:\n\(error)")]
        }
        let actions = machine.reload(config, now: .now)
        sockets.close(unusedBy: config)
        if !machine.databaseReady { nextProbe = .now }
        return actions
    }

    /// SIGCHLD coalesces, so every exited child is collected in one go.
    private mutating func reapChildren() -> [SupervisorAction] {
        var actions: [SupervisorAction] = []
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { break }
            if pid == probe {
                actions += probeEnded(ExitReason(waitStatus: status))
                continue
            }
            actions += machine.childExited(pid: pid, reason: ExitReason(waitStatus: status), now: .now)
        }
        return actions
    }

    /// Carries out actions (and the ones they lead to); returns an exit status when it is time to exit.
    private mutating func perform(_ actions: [SupervisorAction]) -> Int32? {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .spawn(let instance, let spec, let statSlot):
                queue += launch(instance: instance, spec: spec, statSlot: statSlot)
            case .signal(let pid, let signal):
                if kill(-pid, signal) != 0 { kill(pid, signal) }
            case .recoverSharedMemory:
                sharedMemory.recover()
            case .announce(let status):
                pidFile.setStatus(status)
            case .log(let message):
                Log.write(message)
            case .exit(let code, let removeSharedMemory):
                if let probe { kill(probe, SIGKILL) }
                if removeSharedMemory { sharedMemory.removeIfEmpty() }
                sockets.closeAll()
                unlink(StatusFile.path(dataDirectory: dataDirectory))
                pidFile.remove()
                Log.write("exiting with status \(code)")
                return code
            }
        }
        writeStatus()
        return nil
    }

    private mutating func launch(instance: String, spec: WorkerSpec, statSlot: Int) -> [SupervisorAction] {
        let fd = sharedMemory.ring.segment.fd
        let database = machine.config.database
        let grant = DatabaseGrant(url: conninfo, schema: database.schema, createTables: database.createTables.rawValue)
        guard let listening = sockets.descriptors(for: spec) else {
            return machine.spawnFailed(instance: instance, reason: "its listen sockets are not open", now: .now)
        }
        switch launcher.launch(instance: instance, spec: spec, statSlot: statSlot, sharedMemory: fd, database: grant, sockets: listening) {
        case .success(let pid):
            sharedMemory.assignStatsSlot(statSlot, pid: pid, name: instance)
            return machine.spawned(instance: instance, pid: pid, now: .now)
        case .failure(let error): return machine.spawnFailed(instance: instance, reason: "\(error)", now: .now)
        }
    }

    private mutating func writeStatus() {
        let statuses = machine.statuses(now: .now)
        let withoutUptimes = statuses.map { var s = $0; s.uptime = nil; return s }
        guard withoutUptimes != lastStatus else { return }
        lastStatus = withoutUptimes
        try? writeFileAtomically(StatusFile.path(dataDirectory: dataDirectory),
                                 StatusFile.render(statuses, wallClockNow: wallClockSeconds()))
    }
}
