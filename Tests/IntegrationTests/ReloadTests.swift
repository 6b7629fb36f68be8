import Glibc
import Testing

@Suite struct ReloadOnSIGHUP {
    let original = """
        [[worker]]
        name = "keep"
        executable = "TESTWORKER"
        args = ["--report", "REPORT"]
        [[worker]]
        name = "change"
        executable = "TESTWORKER"
        [[worker]]
        name = "remove"
        executable = "TESTWORKER"
        """

    @Test func addedStartRemovedStopChangedRestartUnchangedGetSIGHUP() throws {
        let supervisor = SupervisorProcess(config: original)
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["keep", "change", "remove"])
        supervisor.writeConfig("""
            [[worker]]
            name = "keep"
            executable = "TESTWORKER"
            args = ["--report", "REPORT"]
            [[worker]]
            name = "change"
            executable = "TESTWORKER"
            args = ["--title", "changed"]
            [[worker]]
            name = "add"
            executable = "TESTWORKER"
            """)
        #expect(supervisor.control(["reload", "-D", supervisor.dataDirectory]).status == 0)
        let after = try supervisor.waitForWorkers(["keep", "change", "add"])
        try waitUntil("'remove' is gone") { supervisor.worker("remove") == nil && !ProcessInfoSnapshot.isRunning(before["remove"]!) }
        #expect(after["keep"] == before["keep"])
        #expect(after["change"] != before["change"])
        try waitUntil("'keep' got SIGHUP") { supervisor.reports().contains("\(before["keep"]!) keep: reloading") }
        #expect(Set(supervisor.status().keys) == ["keep", "change", "add"])
    }

    @Test func aBrokenConfigOnReloadIsLoggedAndTheRunningOneStays() throws {
        let supervisor = SupervisorProcess(config: original)
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["keep", "change", "remove"])
        supervisor.writeConfig("[[worker]]\nname = \"keep\"\nexecutable = \"TESTWORKER\"\nrestart = \"soon\"\n")
        supervisor.signal(SIGHUP)
        try waitUntil("the error is logged") { supervisor.log().contains("keeping the current one") }
        #expect(supervisor.log().contains("\(supervisor.configPath):4:"))
        usleep(300_000)
        #expect(try supervisor.waitForWorkers(["keep", "change", "remove"]) == before)
    }

    @Test func reloadGivesAFailedWorkerAFreshStart() throws {
        let supervisor = SupervisorProcess(config: """
            [supervisor]
            max_restarts = 1
            [[worker]]
            name = "broken"
            executable = "./broken.sh"
            restart = "50ms"
            """)
        writeScript(supervisor.directory + "/broken.sh", "[ -e \(supervisor.directory)/fixed ] && exec sleep 60; exit 1")
        try supervisor.startReady()
        try waitUntil("'broken' is failed") { supervisor.status()["broken"]?["state"] == "failed" }
        writeFile(supervisor.directory + "/fixed", "")
        supervisor.signal(SIGHUP)
        try waitUntil("'broken' runs") { supervisor.status()["broken"]?["state"] == "running" }
    }
}
