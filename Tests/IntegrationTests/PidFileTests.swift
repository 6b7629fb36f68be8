import Glibc
import Testing

@Suite struct PidFileAndDataDirectory {
    let config = """
        [[worker]]
        name = "ticker"
        executable = "TESTWORKER"
        """

    @Test func pidFileHoldsPidDataDirectoryStartTimeConfigSegmentAndStatus() throws {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        let lines = try #require(supervisor.pidFileLines())
        #expect(lines.count == 6)
        #expect(lines[0] == String(supervisor.pid))
        #expect(lines[1] == supervisor.dataDirectory)
        #expect(abs(Double(lines[2])! - Double(time(nil))) < 60)
        #expect(lines[3] == supervisor.configPath)
        #expect(lines[4].hasPrefix("/linemaster."))
        #expect(lines[5] == "ready")
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        #expect(supervisor.pidFileLines() == nil)
    }

    @Test func aSecondStartOnTheSameDataDirectoryFailsClearly() throws {
        let first = SupervisorProcess(config: config)
        try first.startReady()
        let second = Binaries.run("linemaster", ["start", "-D", first.dataDirectory, "-c", first.configPath])
        #expect(second.status == 2)
        #expect(second.output.contains("another linemaster (pid \(first.pid)) is running with data directory \(first.dataDirectory)"))
        #expect(ProcessInfoSnapshot.isRunning(first.pid))
    }

    @Test func aStalePidFileIsReplaced() throws {
        let supervisor = SupervisorProcess(config: config)
        mkdir(supervisor.dataDirectory, 0o700)
        writeFile(supervisor.dataDirectory + "/linemaster.pid", "999999\n\(supervisor.dataDirectory)\n0\nx\n/linemaster.x\nready\n")
        try supervisor.startReady()
        #expect(supervisor.pidFileLines()?.first == String(supervisor.pid))
        #expect(supervisor.log().contains("removing stale pid file"))
    }

    @Test func aBadConfigIsRefusedAtStartWithFileLineAndReason() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "inserter"
            executable = "TESTWORKER"
            flags = ["database"]
            """)
        supervisor.start()
        #expect(supervisor.waitForExit()?.exitCode == 2)
        #expect(supervisor.log().contains("\(supervisor.configPath):4:"))
        let check = supervisor.control(["check-config", "-c", supervisor.configPath])
        #expect(check.status == 1)
        #expect(check.output.contains("\(supervisor.configPath):4:"))
        #expect(check.output.contains("shared-memory"))
    }
}
