#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import SystemCalls

/// The supervisor's signals, read from a signalfd in the main loop rather than in handlers.
///
/// The signals are blocked before any other work, so that none is lost or delivered to a
/// handler; the main loop polls the descriptor together with its timers. This keeps every
/// decision on one thread, as postmaster's handlers that only set flags intend.
struct SignalReceiver {
    static let handled: [Int32] = [SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT]

    let fd: Int32

    init() throws(SupervisorError) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in Self.handled { sigaddset(&set, signal) }
        guard sigprocmask(SIG_BLOCK, &set, nil) == 0 else { throw .system(SystemCallError("sigprocmask")) }
        // A supervisor whose stderr reader went away must keep running; workers get SIGPIPE back
        // because the spawner resets every disposition.
        signal(SIGPIPE, SIG_IGN)
        fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard fd >= 0 else { throw .system(SystemCallError("signalfd")) }
    }

    /// Every signal that arrived since the last call, in order (SIGCHLD may stand for several exits).
    func drain() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            signals.append(Int32(info.ssi_signo))
        }
        return signals
    }
}
