#if canImport(Glibc)
import Glibc
#endif
import WorkerRuntime

extension EmbeddedPostgres {
    /// Runs the server until it exits, passing signals on in linemaster's terms: SIGTERM (any
    /// shutdown of linemaster reaches the server after the inserters are gone) becomes a fast
    /// shutdown, SIGHUP a reload. Returns this worker's exit status: 0 after a requested stop,
    /// 1 (restart) when the server ended on its own.
    public func supervise(_ server: pid_t, worker: Worker) -> Int32 {
        var stopping = false
        var status: Int32 = 0
        while waitpid(server, &status, WNOHANG) == 0 {
            if worker.shouldStop() && !stopping {
                stopping = true
                worker.setActivity("stopping")
                kill(server, SIGINT)
            }
            if worker.shouldReload() { kill(server, SIGHUP) }
            usleep(100_000)
        }
        worker.log("PostgreSQL exited with wait status \(status)")
        return stopping && status == 0 ? 0 : 1
    }
}
