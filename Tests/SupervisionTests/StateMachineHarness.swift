import Metrics
import Glibc
import Supervision
import WorkerGrants

/// Drives a ``SupervisorStateMachine`` like the main loop does, with made-up pids and a clock
/// that only moves when a test says so.
struct StateMachineHarness {
    var machine: SupervisorStateMachine
    var now = ContinuousClock.now
    var nextPid: pid_t = 1000
    /// pid of each running instance, by instance name.
    var pids: [String: pid_t] = [:]
    /// Every action returned so far except spawns, which the harness answers itself.
    var actions: [SupervisorAction] = []

    init(_ workers: [WorkerSpec], settings: SupervisorSettings = .init()) {
        machine = SupervisorStateMachine(config: LinemasterConfig(path: "test.toml", supervisor: settings, workers: workers))
    }

    /// Applies actions the way the main loop would: spawns succeed with a fresh pid.
    mutating func apply(_ newActions: [SupervisorAction]) {
        for action in newActions {
            if case .spawn(let instance, _, _) = action {
                nextPid += 1
                pids[instance] = nextPid
                apply(machine.spawned(instance: instance, pid: nextPid, now: now))
            }
            actions.append(action)
        }
    }

    /// Starts the machine; with `databaseReady`, answers its first probe (if it asks) with yes.
    mutating func start(databaseReady: Bool = true) {
        apply(machine.start(now: now))
        if databaseReady { answerProbe(.accepting) }
    }

    mutating func answerProbe(_ answer: DatabaseReadiness?) {
        apply(machine.probeExited(answer, now: now))
    }

    mutating func exit(_ instance: String, _ reason: ExitReason) {
        apply(machine.childExited(pid: pids[instance]!, reason: reason, now: now))
    }

    mutating func advance(by duration: Duration) {
        now = now + duration
        apply(machine.timerFired(now: now))
    }

    /// Takes the actions recorded so far, leaving none.
    mutating func take() -> [SupervisorAction] {
        defer { actions = [] }
        return actions
    }

    func state(_ instance: String) -> WorkerState? {
        machine.statuses(now: now).first { $0.name == instance }?.state
    }

    func status(_ instance: String) -> WorkerStatus? {
        machine.statuses(now: now).first { $0.name == instance }
    }

    func signals(in actions: [SupervisorAction]) -> [(pid: pid_t, signal: Int32)] {
        actions.compactMap { if case .signal(let pid, let signal) = $0 { return (pid, signal) } else { return nil } }
    }

    func spawned(in actions: [SupervisorAction]) -> [String] {
        actions.compactMap { if case .spawn(let instance, _, _) = $0 { return instance } else { return nil } }
    }
}

func worker(_ name: String, flags: Set<WorkerFlag> = [], start: StartCondition = .immediately,
            restart: RestartPolicy = .after(.seconds(1)), count: Int = 1) -> WorkerSpec {
    WorkerSpec(name: name, executable: "/bin/true", flags: flags, start: start, restart: restart, count: count)
}
