import Metrics
import SystemCalls
import WorkerGrants
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
    /// The `linemaster probe-database` child asking right now.
    private var probe: pid_t?

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
        guard pipe(&pipeEnds) == 0 else { throw .system(SystemCallError("pipe")) }
        pipeEnds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        // The write end stays open (and unused) for the supervisor's whole life: its closing,
        // by exit or by SIGKILL, is what tells every worker that the supervisor is gone.
        launcher = WorkerLauncher(deathPipe: pipeEnds[0], configPath: config.path, dataDirectory: dataDirectory)
        machine = SupervisorStateMachine(config: config)
        writeSocketFile()
    }

    /// Runs until the last worker is gone after a shutdown; returns the exit status.
    ///
    /// What one event decided is carried out before the next event is looked at: before the
    /// next child is reaped above all, since a pid that has been reaped may belong to another
    /// process at once, and a signal decided earlier must still reach a zombie.
    public mutating func run() -> Int32 {
        Log.write("starting with \(machine.config.workers.count) worker definitions from \(machine.config.path), data directory \(dataDirectory)")
        if let code = perform(machine.start(now: .now)) { return code }
        while true {
            waitForEvent()
            for signal in signals.drain() {
                if let code = perform(handle(signal)) { return code }
            }
            while let (pid, reason) = reapOne() {
                let actions = pid == probe
                    ? probeEnded(reason)
                    : machine.childExited(pid: pid, reason: reason, now: .now)
                if let code = perform(actions) { return code }
            }
            if let code = perform(machine.timerFired(now: .now)) { return code }
        }
    }

    private func waitForEvent() {
        var timeout: Int32 = -1
        if let deadline = machine.nextDeadline {
            let remaining = deadline - .now
            timeout = remaining <= .zero ? 0 : Int32(min(remaining.seconds * 1000 + 1, 3_600_000))
        }
        var descriptor = pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, timeout)
    }

    /// One exited child, or nil when none is left to collect (SIGCHLD coalesces, so the loop
    /// asks until there is none).
    private func reapOne() -> (pid_t, ExitReason)? {
        var status: Int32 = 0
        let pid = waitpid(-1, &status, WNOHANG)
        return pid > 0 ? (pid, ExitReason(waitStatus: status)) : nil
    }

    /// The probe's answer is its exit status; anything else is no answer.
    private mutating func probeEnded(_ ending: ExitReason) -> [SupervisorAction] {
        probe = nil
        guard case .exited(let status) = ending else { return machine.probeExited(nil, now: .now) }
        return machine.probeExited(DatabaseReadiness(rawValue: status), now: .now)
    }

    /// Starts `linemaster probe-database` with the `database` capability.
    private mutating func startProbe() -> [SupervisorAction] {
        let spec = DatabaseProbe.probeWorker
        let grant = machine.config.database.grant(url: conninfo)
        switch launcher.launch(instance: spec.name, spec: spec, statSlot: .max, sharedMemory: nil,
                               grants: Grants(database: grant, http: HTTPGrant()), sockets: []) {
        case .success(let pid):
            probe = pid
            return []
        case .failure(let error):
            return [.log("cannot start the database probe: \(error)")] + machine.probeExited(nil, now: .now)
        }
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
        writeSocketFile()
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
            case .startProbe:
                queue += startProbe()
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
                unlink(SocketFile.path(dataDirectory: dataDirectory))
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
        let grant = machine.config.database.grant(url: conninfo)
        guard let listening = sockets.descriptors(for: spec) else {
            return machine.spawnFailed(instance: instance, reason: "its listen sockets are not open", now: .now)
        }
        let grants = Grants(database: grant, http: machine.config.http)
        switch launcher.launch(instance: instance, spec: spec, statSlot: statSlot, sharedMemory: fd, grants: grants, sockets: listening) {
        case .success(let pid):
            sharedMemory.assignStatsSlot(statSlot, pid: pid, name: instance)
            return machine.spawned(instance: instance, pid: pid, now: .now)
        case .failure(let error): return machine.spawnFailed(instance: instance, reason: "\(error)", now: .now)
        }
    }

    private func writeSocketFile() {
        try? writeFileAtomically(SocketFile.path(dataDirectory: dataDirectory),
                                 SocketFile.render(sockets.udpSockets(of: machine.config)))
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
