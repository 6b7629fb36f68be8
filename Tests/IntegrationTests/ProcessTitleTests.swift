import Glibc
import Testing

@Suite struct ProcessTitles {
    @Test func workersAppearInPsAsLinemasterColonName() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "ticker"
            executable = "TESTWORKER"
            [[worker]]
            name = "listener"
            executable = "TESTWORKER"
            count = 2
            """)
        try supervisor.startReady()
        try supervisor.waitForWorkers(["ticker", "listener 1", "listener 2"])
        let titles = Set(supervisor.workers().map(\.title))
        #expect(titles == ["linemaster: ticker", "linemaster: listener 1", "linemaster: listener 2"])
    }

    @Test func aWorkerChangesItsTitleThroughTheRuntimeWithoutShowingItsEnvironment() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "busy"
            executable = "TESTWORKER"
            args = ["--title", "COPY cpu 5000 rows"]
            """)
        try supervisor.startReady(environment: ["PGPASSWORD=hunter2-secret"])
        try waitUntil("the title changes") { supervisor.worker("busy")?.title == "linemaster: busy COPY cpu 5000 rows" }
        let everyTitle = ProcessInfoSnapshot.all().map(\.title).joined(separator: "\n")
        #expect(!everyTitle.contains("hunter2-secret"))
    }

    @Test func anyExecutableCanBeAWorker() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "script"
            executable = "./script.sh"
            """)
        writeScript(supervisor.directory + "/script.sh", "echo ran >> \(supervisor.reportPath); exec sleep 60")
        try supervisor.startReady()
        try waitUntil("the script ran") { supervisor.reports() == ["ran"] }
        #expect(supervisor.status()["script"]?["state"] == "running")
    }
}

@Suite struct Idleness {
    /// Clock ticks (1/100 s) of CPU the process has used, from /proc/PID/stat.
    static func cpuTicks(_ pid: pid_t) -> Int {
        guard let stat = readFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// With a worker that starts at once, and with one that waits for a database that never comes.
    @Test(arguments: [
        #"flags = []"#,
        #"flags = ["shared-memory", "database"]\#nstart = "database-ready""#,
    ])
    func aSupervisorWithNothingToDoSleeps(workerSettings: String) throws {
        let supervisor = SupervisorProcess(config: """
            [database]
            url = "host=/nonexistent-socket-dir"
            [[worker]]
            name = "ticker"
            executable = "TESTWORKER"
            \(workerSettings)
            """)
        try supervisor.startReady()
        usleep(300_000)
        let before = Self.cpuTicks(supervisor.pid)
        usleep(2_000_000)
        // Asleep in poll, it wakes only for signals and timers (a database probe once a second).
        #expect(Self.cpuTicks(supervisor.pid) - before < 20)
    }
}
