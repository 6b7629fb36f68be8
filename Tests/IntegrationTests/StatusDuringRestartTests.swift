import Glibc
import Testing

/// `linemaster status` run by a monitoring loop while linemaster is restarted on the same data
/// directory: it only reads, so it must never make a `start` fail.
@Suite struct StatusDuringRestarts {
    /// A fast stop keeps the segment, so each start opens the one `status` reads.
    static let config = """
        [[worker]]
        name = "ticker"
        executable = "TESTWORKER"
        flags = ["shared-memory"]
        """

    @Test func everyStartReachesReadyWhileAMonitoringLoopRunsStatus() throws {
        let supervisor = SupervisorProcess(config: Self.config)
        let loop = StatusLoop(dataDirectory: supervisor.dataDirectory)
        defer { loop.stop() }
        for _ in 0..<6 {
            try supervisor.startReady()
            #expect(supervisor.control(["stop", "-D", supervisor.dataDirectory, "--mode", "fast"]).status == 0)
            #expect(supervisor.waitForExit()?.exitCode == 0)
        }
    }

    /// The worst moment of the loop above, held still: a status with the ring mapped while the
    /// next start looks for processes attached to it.
    @Test func aStatusWithTheRingMappedDoesNotKeepTheNextStartFromReady() throws {
        let supervisor = SupervisorProcess(config: Self.config)
        try supervisor.startReady()
        let status = try FrozenStatus(catching: supervisor)
        defer { status.release() }
        #expect(supervisor.control(["stop", "-D", supervisor.dataDirectory, "--mode", "fast"]).status == 0)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        try supervisor.startReady()
    }

    @Test func statusMapsTheRingReadOnly() throws {
        let supervisor = SupervisorProcess(config: Self.config)
        try supervisor.startReady()
        let status = try FrozenStatus(catching: supervisor)
        defer { status.release() }
        // /proc/PID/maps: "START-END PERMS OFFSET DEVICE INODE PATH"; "r--s" is shared and read-only.
        #expect(status.mapping.split(separator: " ")[1] == "r--s", "\(status.mapping)")
    }
}

/// `linemaster status -D DIR` every 50 ms from a shell loop, as a monitoring script would run it.
private struct StatusLoop {
    let pid: pid_t

    init(dataDirectory: String) {
        let script = #"while :; do "$0" status -D "$1" >/dev/null 2>&1; sleep 0.05; done"#
        pid = Binaries.spawnProgram("/bin/sh", ["-c", script, Binaries.path("linemaster"), dataDirectory], logPath: "/dev/null")
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// A `linemaster status` stopped with SIGSTOP while it has the supervisor's ring mapped.
private struct FrozenStatus {
    let pid: pid_t
    /// The line of /proc/PID/maps that maps the ring.
    let mapping: String

    /// Runs status until one is caught with the ring mapped (the mapping lasts well under a
    /// millisecond of its run, so it takes a few tries).
    init(catching supervisor: SupervisorProcess) throws {
        let segment = "/dev/shm" + supervisor.segmentName
        for _ in 0..<1000 {
            let pid = Binaries.spawn("linemaster", ["status", "-D", supervisor.dataDirectory], logPath: "/dev/null")
            if let mapping = Self.stopWhileMapped(pid, segment) {
                self.pid = pid
                self.mapping = mapping
                return
            }
        }
        throw TimedOut(what: "a status was caught with \(segment) mapped")
    }

    /// Watches the process's maps until the segment shows up, then stops it; nil (and the process
    /// reaped) when it exited first or had unmapped the segment by the time it stopped.
    private static func stopWhileMapped(_ pid: pid_t, _ segment: String) -> String? {
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard mappingLine(pid, segment) != nil else { continue }
            kill(pid, SIGSTOP)
            guard waitpid(pid, &status, WUNTRACED) == pid, status & 0xff == 0x7f else { return nil }
            if let line = mappingLine(pid, segment) { return line }
            kill(pid, SIGCONT)
        }
        return nil
    }

    private static func mappingLine(_ pid: pid_t, _ segment: String) -> String? {
        readFile("/proc/\(pid)/maps")?.split(separator: "\n").first { $0.hasSuffix(" " + segment) }.map(String.init)
    }

    func release() {
        kill(pid, SIGCONT)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
