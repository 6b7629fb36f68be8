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
