#if canImport(Glibc)
import Glibc
#endif
import WorkerGrants

/// The supervisor's decisions, without any I/O: events go in, ``SupervisorAction``s come out.
///
/// The main loop (``Supervisor``) owns the signals, `waitpid`, spawning and `kill`, and feeds
/// what happened to this struct. Crash restarts, backoff, shutdown modes and reload diffs are
/// therefore plain value-type logic that the unit tests drive event by event.
///
/// The supervisor as a whole moves through these states:
/// - `initial`: nothing started yet.
/// - `running`: workers are started as their start conditions allow and restarted per policy.
/// - `recoveringFromCrash`: a shared-memory worker died abnormally. It may have left the shared
///   memory half-updated, so, as PostgreSQL does after a backend crash, every other
///   shared-memory worker is told to quit; once the last one is gone the segment is recovered
///   and they all start again. Workers without the flag carry on.
/// - `shuttingDown`: no more starts; workers are stopped per the mode; exit when the last is gone.
/// - `exited`.
public struct SupervisorStateMachine {
    enum State: Equatable {
        case initial
        case running
        case recoveringFromCrash
        case shuttingDown(ShutdownMode, exitCode: Int32)
        case exited
    }

    /// The database-ready probe (``SupervisorAction/startProbe``): asked once a second until the
    /// database accepts connections, and only while a worker waits for it.
    enum Probe: Equatable {
        /// Nothing to ask: the database is ready, or no worker waits for it, or shutting down.
        case idle
        case due(ContinuousClock.Instant)
        /// A probe child is out; its answer comes with ``probeExited(_:now:)``.
        case asking
    }

    public internal(set) var config: LinemasterConfig
    var state: State = .initial
    var slots: [WorkerSlot] = []
    /// Whether the database has accepted connections.
    public private(set) var databaseReady = false
    var probe = Probe.idle
    /// Why the database is not ready, logged when it changes, so that a database that never comes
    /// is visible without flooding the log.
    var lastProbeWhy: String?

    public init(config: LinemasterConfig) {
        self.config = config
    }

    /// Whether a SIGHUP is acted on now: not once a shutdown has begun.
    public var acceptsReload: Bool { state == .running || state == .recoveringFromCrash }

    /// When `timerFired` must be called next: the earliest backoff end, SIGKILL deadline or probe.
    public var nextDeadline: ContinuousClock.Instant? {
        var deadlines = slots.compactMap { slot -> ContinuousClock.Instant? in
            switch slot.phase {
            case .backoff(let until): return until
            case .stopping(_, let signal, let killAt, _): return signal == SIGKILL ? nil : killAt
            default: return nil
            }
        }
        if case .due(let at) = probe { deadlines.append(at) }
        return deadlines.min()
    }

    /// Starts every worker whose start condition is met.
    public mutating func start(now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard state == .initial else { return [] }
        state = .running
        slots = []
        for (name, spec) in config.instances {
            slots.append(WorkerSlot(instanceName: name, spec: spec, statSlot: freeStatSlot()))
        }
        probe = .due(now)
        return advance(now: now) + [.announce(.ready)]
    }

    /// The probe child ended: with the answer it exited with, or nil when it could not start or
    /// did not exit with an answer. Until the database accepts connections, another follows in
    /// a second; once it does, workers that start on `database-ready` may go.
    public mutating func probeExited(_ answer: DatabaseReadiness?, now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard probe == .asking else { return [] }
        probe = .idle
        if answer == .accepting {
            databaseReady = true
            return [.log("the database is ready: database-ready workers may start")] + advance(now: now)
        }
        probe = .due(now + .seconds(1))
        let why = answer?.reason ?? "the database probe failed; see its log line above"
        defer { lastProbeWhy = why }
        return (why == lastProbeWhy ? [] : [.log("waiting for the database: \(why)")]) + advance(now: now)
    }

    /// Backoff delays and SIGKILL deadlines that have passed.
    public mutating func timerFired(now: ContinuousClock.Instant) -> [SupervisorAction] {
        var actions: [SupervisorAction] = []
        for i in slots.indices {
            switch slots[i].phase {
            case .backoff(let until) where until <= now:
                slots[i].phase = .waiting
            case .stopping(let pid, let signal, let killAt, let then) where signal != SIGKILL && killAt <= now:
                actions.append(.log("\(describe(slots[i])) did not exit within \(config.supervisor.shutdownTimeout); sending SIGKILL"))
                actions.append(.signal(pid: pid, signal: SIGKILL))
                slots[i].phase = .stopping(pid: pid, signal: SIGKILL, killAt: killAt, then: then)
            default:
                break
            }
        }
        return actions + advance(now: now)
    }

    /// The main loop started the process for `instance`. A start decided before a shutdown or a
    /// crash recovery began (in the same batch of events) is stopped at once, so that neither
    /// waits for a process it does not know about.
    public mutating func spawned(instance: String, pid: pid_t, now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard let i = slots.firstIndex(where: { $0.instanceName == instance }) else { return [] }
        slots[i].phase = .running(pid: pid, since: now)
        let started = SupervisorAction.log("started \(describe(slots[i]))")
        switch state {
        case .shuttingDown(let mode, _) where mode != .smart:
            return [started] + stop(i, pid: pid, signal: mode == .fast ? SIGTERM : SIGQUIT, then: .stayStopped, now: now)
        case .shuttingDown:
            return [started] + advance(now: now)
        case .recoveringFromCrash where slots[i].usesSharedMemory:
            return [started] + stop(i, pid: pid, signal: SIGQUIT, then: .awaitRecovery, now: now)
        default:
            return [started]
        }
    }

    /// The process for `instance` could not be started; this counts as a failure of the worker,
    /// except in a shutdown, which it must not hold up.
    public mutating func spawnFailed(instance: String, reason: String, now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard let i = slots.firstIndex(where: { $0.instanceName == instance }) else { return [] }
        let failed = SupervisorAction.log("could not start worker \"\(instance)\": \(reason)")
        if case .shuttingDown = state {
            slots[i].phase = .stopped
            return [failed] + advance(now: now)
        }
        return [failed] + scheduleRestart(i, ranFor: nil, now: now) + advance(now: now)
    }
}

// MARK: - Process exits

extension SupervisorStateMachine {
    /// A child was reaped. Exit 0: finished. Exit 1: restart per policy. Anything else: a crash.
    public mutating func childExited(pid: pid_t, reason: ExitReason, now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard let i = slots.firstIndex(where: { $0.pid == pid }) else { return [] }
        var actions: [SupervisorAction]
        switch slots[i].phase {
        case .running(_, let since):
            actions = unexpectedExit(i, reason: reason, ranFor: now - since, now: now)
        case .stopping(_, let signal, _, let then):
            actions = requestedExit(i, reason: reason, signal: signal, then: then, now: now)
        default:
            return []
        }
        return actions + advance(now: now)
    }

    private mutating func unexpectedExit(_ i: Int, reason: ExitReason, ranFor: Duration, now: ContinuousClock.Instant) -> [SupervisorAction] {
        let exited = "\(describe(slots[i])) exited with \(reason)"
        slots[i].lastExit = reason
        if case .shuttingDown = state {
            slots[i].phase = .stopped
            return [.log(exited)]
        }
        switch reason {
        case .exited(0):
            slots[i].phase = .stopped
            return [.log("\(exited); finished, not restarted")]
        case .exited(1):
            return [.log(exited)] + scheduleRestart(i, ranFor: ranFor, now: now)
        default:
            guard slots[i].usesSharedMemory else {
                return [.log("\(exited): crashed")] + scheduleRestart(i, ranFor: ranFor, now: now)
            }
            let crash = [SupervisorAction.log("\(exited): crashed with shared memory attached")]
            guard config.supervisor.restartAfterCrash else {
                slots[i].phase = .stopped
                return crash + sharedMemoryCrashed(now: now)
            }
            return crash + scheduleRestart(i, ranFor: ranFor, now: now) + sharedMemoryCrashed(now: now)
        }
    }

    /// The worker exited after the supervisor asked it to. It ended normally if it exited
    /// 0 or 1, died of the signal it was sent, or was told to quit at once (SIGQUIT; workers exit 2
    /// then, as PostgreSQL's do). SIGKILL after the timeout, or any other end, may have left the
    /// shared memory half-updated, so it is handled as a crash.
    private mutating func requestedExit(
        _ i: Int, reason: ExitReason, signal: Int32, then: WorkerSlot.AfterStop, now: ContinuousClock.Instant
    ) -> [SupervisorAction] {
        let normal = reason == .exited(0) || reason == .exited(1) || signal == SIGQUIT
            || (reason == .signaled(signal) && signal != SIGKILL)
        let crashedSharedMemory = !normal && slots[i].usesSharedMemory && state == .running
        var actions: [SupervisorAction] = [.log("\(describe(slots[i])) exited with \(reason)")]
        slots[i].lastExit = reason
        switch then {
        case .stayStopped: slots[i].phase = .stopped
        case .remove: slots.remove(at: i)
        case .startAgain, .awaitRecovery: slots[i].phase = .waiting
        }
        if crashedSharedMemory {
            actions += sharedMemoryCrashed(now: now)
        }
        return actions
    }

    /// A shared-memory worker died in a way that may have left the segment half-updated:
    /// a crash restart of every shared-memory worker, or with `restart_after_crash = false`
    /// an immediate shutdown and exit status 1.
    private mutating func sharedMemoryCrashed(now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard config.supervisor.restartAfterCrash else {
            return [.log("restart_after_crash is off: shutting down")] + beginShutdown(.immediate, exitCode: 1, now: now)
        }
        return beginCrashRecovery(now: now)
    }

    private mutating func scheduleRestart(_ i: Int, ranFor: Duration?, now: ContinuousClock.Instant) -> [SupervisorAction] {
        let settings = config.supervisor
        let name = "worker \"\(slots[i].instanceName)\""
        guard let delay = slots[i].scheduleRestart(ranFor: ranFor, now: now, settings: settings) else {
            if slots[i].phase == .failed {
                return [.log("\(name) restarted more than \(settings.maxRestarts) times within \(settings.restartWindow): marked failed until the next reload")]
            }
            return [.log("\(name) has restart = \"never\": not restarted")]
        }
        slots[i].restarts += 1
        return [.log("\(name) restarts in \(delay)")]
    }

    private mutating func beginCrashRecovery(now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard state == .running else { return [] }
        state = .recoveringFromCrash
        var actions: [SupervisorAction] = [.log("terminating every other shared-memory worker for a crash restart")]
        for i in slots.indices where slots[i].usesSharedMemory {
            guard case .running(let pid, _) = slots[i].phase else { continue }
            let then: WorkerSlot.AfterStop = slots[i].spec.restart == .never ? .stayStopped : .awaitRecovery
            actions += stop(i, pid: pid, signal: SIGQUIT, then: then, now: now)
        }
        return actions
    }
}

// MARK: - Starting, stopping, shutdown

extension SupervisorStateMachine {
    /// A shutdown request (SIGTERM smart, SIGINT fast, SIGQUIT immediate). A stronger mode
    /// upgrades a weaker one in progress; a weaker or equal one changes nothing.
    public mutating func shutdownRequested(_ mode: ShutdownMode, now: ContinuousClock.Instant) -> [SupervisorAction] {
        switch state {
        case .exited:
            return []
        case .shuttingDown(let current, let exitCode):
            guard mode > current else { return [.log("\(current) shutdown already in progress")] }
            return beginShutdown(mode, exitCode: exitCode, now: now)
        default:
            return beginShutdown(mode, exitCode: 0, now: now)
        }
    }

    private mutating func beginShutdown(_ mode: ShutdownMode, exitCode: Int32, now: ContinuousClock.Instant) -> [SupervisorAction] {
        let first = acceptsReload || state == .initial
        state = .shuttingDown(mode, exitCode: exitCode)
        var actions: [SupervisorAction] = [.log("\(mode) shutdown")] + (first ? [.announce(.stopping)] : [])
        for i in slots.indices {
            switch slots[i].phase {
            case .running(let pid, _) where mode != .smart:
                actions += stop(i, pid: pid, signal: mode == .fast ? SIGTERM : SIGQUIT, then: .stayStopped, now: now)
            case .stopping(let pid, let signal, _, _) where mode == .immediate && signal != SIGKILL:
                actions += stop(i, pid: pid, signal: SIGQUIT, then: .stayStopped, now: now)
            case .stopping(let pid, let signal, let killAt, _):
                slots[i].phase = .stopping(pid: pid, signal: signal, killAt: killAt, then: .stayStopped)
            case .waiting, .backoff:
                slots[i].phase = .stopped
            default:
                break
            }
        }
        return actions + advance(now: now)
    }

    mutating func stop(_ i: Int, pid: pid_t, signal: Int32, then: WorkerSlot.AfterStop, now: ContinuousClock.Instant) -> [SupervisorAction] {
        var killAt = now + config.supervisor.shutdownTimeout
        if case .stopping(_, _, let earlier, _) = slots[i].phase { killAt = min(killAt, earlier) }
        slots[i].phase = .stopping(pid: pid, signal: signal, killAt: killAt, then: then)
        return [.signal(pid: pid, signal: signal)]
    }

    /// Moves the state machine on after any event: finishes a crash recovery or a shutdown
    /// stage once the processes it waits for are gone, and starts whatever may start now.
    mutating func advance(now: ContinuousClock.Instant) -> [SupervisorAction] {
        switch state {
        case .initial, .exited:
            return []
        case .running:
            return startWaiting(now: now) + askDatabaseIfDue(now: now)
        case .recoveringFromCrash:
            guard !slots.contains(where: { $0.usesSharedMemory && $0.isLive }) else {
                return startWaiting(now: now) + askDatabaseIfDue(now: now)
            }
            state = .running
            return [.recoverSharedMemory, .log("shared memory recovered; restarting shared-memory workers")]
                + startWaiting(now: now) + askDatabaseIfDue(now: now)
        case .shuttingDown(let mode, let exitCode):
            if probe != .asking { probe = .idle }
            let live = slots.filter(\.isLive)
            guard !live.isEmpty else {
                state = .exited
                return [.exit(code: exitCode, removeSharedMemory: mode == .smart && exitCode == 0)]
            }
            guard mode == .smart, let stage = live.map(\.shutdownStage).min() else { return [] }
            var actions: [SupervisorAction] = []
            for i in slots.indices where slots[i].shutdownStage == stage {
                if case .running(let pid, _) = slots[i].phase {
                    actions += stop(i, pid: pid, signal: SIGTERM, then: .stayStopped, now: now)
                }
            }
            return actions
        }
    }

    /// Starts a probe when one is due and a worker waits for the database; with none waiting
    /// there is nothing to ask until a reload adds one.
    private mutating func askDatabaseIfDue(now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard case .due(let at) = probe, at <= now else { return [] }
        guard !databaseReady, config.workers.contains(where: { $0.start == .databaseReady }) else {
            probe = .idle
            return []
        }
        probe = .asking
        return [.startProbe]
    }

    private mutating func startWaiting(now: ContinuousClock.Instant) -> [SupervisorAction] {
        var actions: [SupervisorAction] = []
        for i in slots.indices where slots[i].phase == .waiting && mayStart(slots[i]) {
            slots[i].phase = .spawning
            actions.append(.spawn(instance: slots[i].instanceName, spec: slots[i].spec, statSlot: slots[i].statSlot))
        }
        return actions
    }

    private func mayStart(_ slot: WorkerSlot) -> Bool {
        let phaseAllows = state == .running || (state == .recoveringFromCrash && !slot.usesSharedMemory)
        return phaseAllows && (slot.spec.start == .immediately || databaseReady)
    }

    func describe(_ slot: WorkerSlot) -> String {
        guard let pid = slot.pid else { return "worker \"\(slot.instanceName)\"" }
        return "worker \"\(slot.instanceName)\" (pid \(pid))"
    }

    func freeStatSlot() -> Int {
        let used = Set(slots.map(\.statSlot))
        return (0...).first { !used.contains($0) }!
    }
}
