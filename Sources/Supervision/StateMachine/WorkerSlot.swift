#if canImport(Glibc)
import Glibc
#endif

/// How a worker process ended, as `waitpid` reported it.
public enum ExitReason: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a `waitpid` status word (Swift does not import the W* macros).
    public init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signaled(let signal): return "signal \(signal) (\(Self.signalName(signal)))"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGABRT: "SIGABRT",
            SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE",
            SIGTERM: "SIGTERM", SIGTRAP: "SIGTRAP",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}

/// One instance of a configured worker (`listener 2`) and everything the supervisor knows about it.
struct WorkerSlot {
    /// What the slot's process is doing, from the supervisor's point of view.
    enum Phase: Equatable {
        /// Not started yet: its start condition (the database) is not met, or a crash recovery is under way.
        case waiting
        /// The main loop is starting the process (it reports back with `spawned` or `spawnFailed`).
        case spawning
        case running(pid: pid_t, since: ContinuousClock.Instant)
        /// Asked to exit; SIGKILL at `killAt`. `then` says what happens once it is gone.
        case stopping(pid: pid_t, signal: Int32, killAt: ContinuousClock.Instant, then: AfterStop)
        case backoff(until: ContinuousClock.Instant)
        /// Restarted too often within the window: left alone until the next reload.
        case failed
        /// Finished (exit 0), `restart = "never"`, or stopped by a shutdown.
        case stopped
    }

    /// What to do with a slot whose process the supervisor asked to stop, once it has exited.
    enum AfterStop: Equatable {
        /// Shutdown or a worker that had to go: stays stopped.
        case stayStopped
        /// Removed from the config by a reload: the slot disappears.
        case remove
        /// Changed by a reload: start again at once with the new definition.
        case startAgain
        /// Taken down by a crash restart: start again once the shared memory is recovered.
        case awaitRecovery
    }

    let instanceName: String
    var spec: WorkerSpec
    /// Index of this worker's statistics slot in the shared-memory segment.
    let statSlot: Int
    var phase: Phase = .waiting
    var restarts = 0
    var lastExit: ExitReason?
    var consecutiveFailures = 0
    var recentRestarts: [ContinuousClock.Instant] = []

    var pid: pid_t? {
        switch phase {
        case .running(let pid, _), .stopping(let pid, _, _, _): return pid
        default: return nil
        }
    }

    /// Whether a process exists or is about to: a start the main loop has yet to carry out counts,
    /// so that no recovery or exit happens under it.
    var isLive: Bool { pid != nil || phase == .spawning }

    var usesSharedMemory: Bool { spec.flags.contains(.sharedMemory) }

    /// Smart shutdown stops producers first, then consumers, then the services they depend on.
    var shutdownStage: Int {
        if spec.flags.contains(.database) { return 1 }
        return usesSharedMemory ? 0 : 2
    }
}

extension WorkerSlot {
    /// Records a failure and decides when to try again: the delay doubles with each consecutive
    /// failure up to `maxRestartDelay`, and more than `maxRestarts` restarts within
    /// `restartWindow` mark the worker failed, so that a broken worker cannot flood the machine.
    mutating func scheduleRestart(ranFor: Duration?, now: ContinuousClock.Instant, settings: SupervisorSettings) -> Duration? {
        guard case .after(let base) = spec.restart else {
            phase = .stopped
            return nil
        }
        if let ranFor, ranFor >= settings.restartWindow { consecutiveFailures = 0 }
        consecutiveFailures += 1
        recentRestarts = recentRestarts.filter { now - $0 < settings.restartWindow } + [now]
        if recentRestarts.count > settings.maxRestarts {
            phase = .failed
            return nil
        }
        let factor = 1 << min(consecutiveFailures - 1, 30)
        let delay = min(base * factor, max(base, settings.maxRestartDelay))
        phase = .backoff(until: now + delay)
        return delay
    }
}
