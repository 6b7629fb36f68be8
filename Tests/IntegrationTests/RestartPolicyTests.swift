import Glibc
import Testing

@Suite struct RestartPolicies {
    @Test func exitZeroIsNeverRestartedAndExitOneIsRestarted() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "done"
            executable = "TESTWORKER"
            args = ["--exit", "0", "--after", "0.2", "--report", "REPORT"]
            restart = "100ms"
            [[worker]]
            name = "again"
            executable = "TESTWORKER"
            args = ["--exit", "1", "--after", "0.2", "--report", "REPORT"]
            restart = "100ms"
            """)
        try supervisor.startReady()
        try waitUntil("'again' was restarted twice") { (Int(supervisor.status()["again"]?["restarts"] ?? "0") ?? 0) >= 2 }
        let status = supervisor.status()
        #expect(status["done"]?["state"] == "stopped")
        #expect(status["done"]?["last_exit"] == "exit 0")
        #expect(status["again"]?["last_exit"] == "exit 1")
        #expect(supervisor.reports().filter { $0.hasSuffix("done: started") }.count == 1)
    }

    @Test func restartNeverLeavesAFailingWorkerStopped() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "once"
            executable = "TESTWORKER"
            args = ["--exit", "1", "--after", "0.1"]
            restart = "never"
            """)
        try supervisor.startReady()
        try waitUntil("'once' stopped") { supervisor.status()["once"]?["state"] == "stopped" }
        usleep(500_000)
        #expect(supervisor.status()["once"]?["restarts"] == "0")
    }

    @Test func aWorkerThatKeepsFailingIsMarkedFailedAndStatusExitsNonZero() throws {
        let supervisor = SupervisorProcess(config: """
            [supervisor]
            max_restarts = 3
            restart_window = "60s"
            [[worker]]
            name = "broken"
            executable = "/bin/false"
            restart = "50ms"
            """)
        try supervisor.startReady()
        try waitUntil("'broken' is failed") { supervisor.status()["broken"]?["state"] == "failed" }
        #expect(supervisor.status()["broken"]?["restarts"] == "3")
        let text = supervisor.control(["status", "-D", supervisor.dataDirectory])
        #expect(text.status == 1)
        #expect(text.output.contains("failed"))
        // The delays grew: 50ms, 100ms, 200ms between the four runs.
        #expect(supervisor.log().contains("restarts in 0.2 seconds"))
    }

    @Test func fiftyWorkersExitingAtOnceLeaveNoZombieAndFollowTheirPolicies() throws {
        let at = String(Double(time(nil)) + 2)
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "finisher"
            executable = "TESTWORKER"
            args = ["--exit", "0", "--at", "\(at)"]
            count = 25
            [[worker]]
            name = "restarter"
            executable = "TESTWORKER"
            args = ["--exit", "1", "--at", "\(at)"]
            restart = "1s"
            count = 25
            """)
        try supervisor.startReady()
        try waitUntil("every worker was handled", timeout: .seconds(30)) {
            let status = supervisor.status()
            return status.count == 50 && status.allSatisfy { name, fields in
                name.hasPrefix("finisher") ? fields["state"] == "stopped" : fields["restarts"] == "1" && fields["state"] == "running"
            }
        }
        #expect(supervisor.workers().filter { $0.state == "Z" }.isEmpty)
        #expect(supervisor.workers().count == 25)
    }
}
