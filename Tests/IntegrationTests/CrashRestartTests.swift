import Glibc
import Testing

@Suite struct CrashRestart {
    let config = """
        [supervisor]
        shutdown_timeout = "1s"
        [[worker]]
        name = "ring"
        executable = "TESTWORKER"
        flags = ["shared-memory"]
        restart = "100ms"
        count = 2
        [[worker]]
        name = "stubborn"
        executable = "TESTWORKER"
        args = ["--ignore-term"]
        flags = ["shared-memory"]
        restart = "100ms"
        [[worker]]
        name = "plain"
        executable = "TESTWORKER"
        restart = "100ms"
        """

    @Test func crashOfASharedMemoryWorkerRestartsEverySharedMemoryWorkerButNotTheOthers() throws {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["ring 1", "ring 2", "stubborn", "plain"])
        kill(before["ring 1"]!, SIGKILL)
        try waitUntil("the shared-memory workers have new pids") {
            let now = ["ring 1", "ring 2", "stubborn"].compactMap { supervisor.worker($0)?.pid }
            return now.count == 3 && Set(now).isDisjoint(with: before.values)
        }
        #expect(supervisor.worker("plain")?.pid == before["plain"])
        #expect(supervisor.log().contains("shared memory recovered"))
        for name in ["ring 1", "ring 2", "stubborn", "plain"] {
            #expect(!ProcessInfoSnapshot.isRunning(before[name]!) || name == "plain")
        }
    }

    @Test func crashOfAWorkerWithoutSharedMemoryRestartsOnlyThatWorker() throws {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["ring 1", "ring 2", "stubborn", "plain"])
        kill(before["plain"]!, SIGKILL)
        try waitUntil("'plain' has a new pid") { supervisor.worker("plain").map { $0.pid != before["plain"] } ?? false }
        for name in ["ring 1", "ring 2", "stubborn"] {
            #expect(supervisor.worker(name)?.pid == before[name])
        }
    }

    @Test func withRestartAfterCrashOffTheSupervisorExitsWithStatusOne() throws {
        let supervisor = SupervisorProcess(config: config.replacingAll("[supervisor]", with: "[supervisor]\nrestart_after_crash = false"))
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["ring 1", "ring 2", "stubborn", "plain"])
        kill(before["ring 2"]!, SIGKILL)
        #expect(supervisor.waitForExit()?.exitCode == 1)
        #expect(before.values.allSatisfy { !ProcessInfoSnapshot.isRunning($0) })
    }
}
