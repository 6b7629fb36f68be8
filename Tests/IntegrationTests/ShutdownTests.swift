import Glibc
import Testing

@Suite struct ShutdownSignals {
    let config = """
        [supervisor]
        shutdown_timeout = "1s"
        [[worker]]
        name = "listener"
        executable = "TESTWORKER"
        args = ["--report", "REPORT"]
        flags = ["shared-memory"]
        [[worker]]
        name = "service"
        executable = "TESTWORKER"
        args = ["--report", "REPORT"]
        [[worker]]
        name = "stubborn"
        executable = "TESTWORKER"
        args = ["--ignore-term", "--report", "REPORT"]
        """

    private func runAndStop(with signals: [Int32]) throws -> (SupervisorProcess, [String: pid_t], ExitOutcome?) {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        let workers = try supervisor.waitForWorkers(["listener", "service", "stubborn"])
        for signal in signals { supervisor.signal(signal) }
        let outcome = supervisor.waitForExit()
        return (supervisor, workers, outcome)
    }

    private func expectNothingLeft(_ workers: [String: pid_t]) throws {
        try waitUntil("every worker is gone", timeout: .seconds(2)) { workers.values.allSatisfy { !ProcessInfoSnapshot.isRunning($0) } }
    }

    @Test func sigtermStopsProducersBeforeTheRestAndExitsZero() throws {
        let (supervisor, workers, outcome) = try runAndStop(with: [SIGTERM])
        #expect(outcome?.exitCode == 0)
        let stops = supervisor.reports().filter { $0.hasSuffix("stopping") }
        #expect(stops.first == "\(workers["listener"]!) listener: stopping")
        #expect(supervisor.log().contains("did not exit within"))
        try expectNothingLeft(workers)
    }

    @Test func sigintStopsEveryWorkerAtOnce() throws {
        let (supervisor, workers, outcome) = try runAndStop(with: [SIGINT])
        #expect(outcome?.exitCode == 0)
        #expect(supervisor.log().contains("fast shutdown"))
        try expectNothingLeft(workers)
    }

    @Test func sigquitKillsImmediately() throws {
        let (supervisor, workers, outcome) = try runAndStop(with: [SIGQUIT])
        #expect(outcome?.exitCode == 0)
        #expect(!supervisor.reports().contains { $0.hasSuffix("stopping") })
        try expectNothingLeft(workers)
    }

    @Test func aStrongerSignalUpgradesAShutdownInProgress() throws {
        let (supervisor, workers, outcome) = try runAndStop(with: [SIGTERM, SIGQUIT])
        #expect(outcome?.exitCode == 0)
        #expect(supervisor.log().contains("immediate shutdown"))
        try expectNothingLeft(workers)
    }

    @Test func stopCommandWaitsUntilTheSupervisorHasExited() throws {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        let workers = try supervisor.waitForWorkers(["listener", "service", "stubborn"])
        let stop = supervisor.control(["stop", "-D", supervisor.dataDirectory, "--mode", "fast"])
        #expect(stop.status == 0)
        #expect(supervisor.pidFileLines() == nil)
        #expect(supervisor.waitForExit(timeout: .seconds(1))?.exitCode == 0)
        try expectNothingLeft(workers)
    }

    @Test func killingTheSupervisorTakesEveryWorkerDownAndANewStartWorks() throws {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        let workers = try supervisor.waitForWorkers(["listener", "service", "stubborn"])
        supervisor.signal(SIGKILL)
        _ = supervisor.waitForExit()
        try expectNothingLeft(workers)
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "service", "stubborn"])
    }
}
