import Glibc
import Supervision
import Testing
import WorkerGrants

@Suite struct StartingWorkers {
    @Test func workersWithCountGetNumberedInstances() {
        var h = StateMachineHarness([worker("listener", count: 2), worker("ticker")])
        h.start()
        #expect(h.spawned(in: h.take()) == ["listener 1", "listener 2", "ticker"])
    }

    @Test func databaseWorkersWaitUntilTheDatabaseIsReady() {
        var h = StateMachineHarness([worker("ticker"), worker("inserter", flags: [.sharedMemory, .database], start: .databaseReady)])
        h.start(databaseReady: false)
        #expect(h.spawned(in: h.take()) == ["ticker"])
        #expect(h.state("inserter") == .starting)
        h.answerProbe(.accepting)
        #expect(h.spawned(in: h.take()) == ["inserter"])
    }

    @Test func startAnnouncesReady() {
        var h = StateMachineHarness([worker("ticker")])
        h.start()
        #expect(h.take().contains(.announce(.ready)))
    }
}

@Suite struct ExitCodes {
    @Test func exitZeroIsNeverRestarted() {
        var h = StateMachineHarness([worker("job")])
        h.start()
        h.exit("job", .exited(0))
        h.advance(by: .seconds(60))
        #expect(h.state("job") == .stopped)
        #expect(h.spawned(in: h.take()) == ["job"])
    }

    @Test func exitOneRestartsAfterTheDelay() {
        var h = StateMachineHarness([worker("job", restart: .after(.seconds(2)))])
        h.start()
        _ = h.take()
        h.exit("job", .exited(1))
        #expect(h.state("job") == .backoff)
        h.advance(by: .milliseconds(1900))
        #expect(h.spawned(in: h.take()).isEmpty)
        h.advance(by: .milliseconds(100))
        #expect(h.spawned(in: h.take()) == ["job"])
        #expect(h.status("job")?.restarts == 1)
        #expect(h.status("job")?.lastExit == "exit 1")
    }

    @Test func restartNeverLeavesTheWorkerStopped() {
        var h = StateMachineHarness([worker("job", restart: .never)])
        h.start()
        _ = h.take()
        h.exit("job", .exited(1))
        h.advance(by: .seconds(60))
        #expect(h.state("job") == .stopped)
        #expect(h.spawned(in: h.take()).isEmpty)
    }

    @Test func crashOfAWorkerWithoutSharedMemoryRestartsOnlyIt() {
        var h = StateMachineHarness([worker("plain"), worker("ring", flags: [.sharedMemory])])
        h.start()
        _ = h.take()
        h.exit("plain", .signaled(SIGSEGV))
        #expect(h.signals(in: h.take()).isEmpty)
        h.advance(by: .seconds(1))
        #expect(h.spawned(in: h.take()) == ["plain"])
        #expect(h.state("ring") == .running)
    }

    @Test func restartDelaysDoubleUpToTheMaximum() {
        var settings = SupervisorSettings()
        settings.maxRestartDelay = .seconds(4)
        settings.maxRestarts = 100
        var h = StateMachineHarness([worker("flaky", restart: .after(.seconds(1)))], settings: settings)
        h.start()
        var delays: [Duration] = []
        for _ in 0..<5 {
            h.exit("flaky", .exited(1))
            var waited = Duration.zero
            _ = h.take()
            while h.spawned(in: h.take()).isEmpty {
                h.advance(by: .milliseconds(250))
                waited += .milliseconds(250)
            }
            delays.append(waited)
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)])
    }

    @Test func tooManyRestartsWithinTheWindowMarkTheWorkerFailed() {
        var settings = SupervisorSettings()
        settings.maxRestarts = 3
        var h = StateMachineHarness([worker("broken", restart: .after(.milliseconds(10)))], settings: settings)
        h.start()
        for _ in 0..<4 {
            h.exit("broken", .exited(1))
            h.advance(by: .seconds(1))
        }
        #expect(h.state("broken") == .failed)
        h.advance(by: .seconds(600))
        #expect(h.state("broken") == .failed)
    }
}

@Suite struct CrashRestart {
    let workers = [
        worker("listener", flags: [.sharedMemory], count: 2),
        worker("once", flags: [.sharedMemory], restart: .never),
        worker("plain"),
    ]

    @Test func crashOfASharedMemoryWorkerQuitsTheOthersAndRestartsThemAfterRecovery() {
        var h = StateMachineHarness(workers)
        h.start()
        _ = h.take()
        let old = h.pids
        h.exit("listener 1", .signaled(SIGSEGV))
        let quit = h.signals(in: h.take())
        #expect(Set(quit.map(\.pid)) == [old["listener 2"]!, old["once"]!])
        #expect(quit.allSatisfy { $0.signal == SIGQUIT })

        h.exit("listener 2", .signaled(SIGQUIT))
        #expect(!h.take().contains(.recoverSharedMemory))
        h.exit("once", .signaled(SIGQUIT))
        let after = h.take()
        #expect(after.contains(.recoverSharedMemory))
        #expect(h.spawned(in: after) == ["listener 2"])
        #expect(h.state("once") == .stopped)
        #expect(h.pids["plain"] == old["plain"])
        h.advance(by: .seconds(1))
        #expect(h.spawned(in: h.take()) == ["listener 1"])
    }

    @Test func stragglersGetSIGKILLAfterTheShutdownTimeout() {
        var h = StateMachineHarness(workers)
        h.start()
        h.exit("listener 1", .exited(3))
        _ = h.take()
        h.advance(by: .seconds(5))
        let killed = h.signals(in: h.take())
        #expect(Set(killed.map(\.pid)) == [h.pids["listener 2"]!, h.pids["once"]!])
        #expect(killed.allSatisfy { $0.signal == SIGKILL })
    }

    @Test func withRestartAfterCrashOffAWorkerKilledAfterAReloadStopsTheSupervisorToo() {
        var settings = SupervisorSettings()
        settings.restartAfterCrash = false
        var h = StateMachineHarness([worker("listener", flags: [.sharedMemory])], settings: settings)
        h.start()
        var changed = worker("listener", flags: [.sharedMemory])
        changed.args = ["--changed"]
        h.apply(h.machine.reload(LinemasterConfig(path: "test.toml", supervisor: settings, workers: [changed]), now: h.now))
        h.advance(by: settings.shutdownTimeout)
        #expect(h.signals(in: h.take()).map(\.signal) == [SIGTERM, SIGKILL])
        h.exit("listener", .signaled(SIGKILL))
        let actions = h.take()
        #expect(actions.contains(.log("restart_after_crash is off: shutting down")))
        #expect(actions.last == .exit(code: 1, removeSharedMemory: false))
        #expect(h.spawned(in: actions).isEmpty)
    }

    @Test func withRestartAfterCrashOffTheSupervisorExitsWithStatusOne() {
        var settings = SupervisorSettings()
        settings.restartAfterCrash = false
        var h = StateMachineHarness(workers, settings: settings)
        h.start()
        h.exit("listener 1", .signaled(SIGKILL))
        for name in ["listener 2", "once"] { h.exit(name, .signaled(SIGQUIT)) }
        #expect(h.take().contains(.log("\(ShutdownMode.immediate) shutdown")))
        h.exit("plain", .signaled(SIGQUIT))
        #expect(h.take().last == .exit(code: 1, removeSharedMemory: false))
    }
}

@Suite struct Shutdown {
    let workers = [
        worker("inserter", flags: [.sharedMemory, .database], start: .databaseReady),
        worker("listener", flags: [.sharedMemory]),
        worker("postgres"),
    ]

    @Test func smartShutdownStopsProducersThenConsumersThenTheRest() {
        var h = StateMachineHarness(workers)
        h.start()
        _ = h.take()
        h.apply(h.machine.shutdownRequested(.smart, now: h.now))
        #expect(h.signals(in: h.take()).map(\.pid) == [h.pids["listener"]!])
        h.exit("listener", .exited(0))
        #expect(h.signals(in: h.take()).map(\.pid) == [h.pids["inserter"]!])
        h.exit("inserter", .exited(0))
        #expect(h.signals(in: h.take()).map(\.pid) == [h.pids["postgres"]!])
        h.exit("postgres", .signaled(SIGTERM))
        #expect(h.take().last == .exit(code: 0, removeSharedMemory: true))
    }

    @Test func fastShutdownSendsSIGTERMToEveryWorkerAtOnce() {
        var h = StateMachineHarness(workers)
        h.start()
        _ = h.take()
        h.apply(h.machine.shutdownRequested(.fast, now: h.now))
        let signals = h.signals(in: h.take())
        #expect(Set(signals.map(\.pid)) == Set(h.pids.values))
        #expect(signals.allSatisfy { $0.signal == SIGTERM })
    }

    @Test func immediateShutdownUpgradesASmartOneInProgress() {
        var h = StateMachineHarness(workers)
        h.start()
        h.apply(h.machine.shutdownRequested(.smart, now: h.now))
        _ = h.take()
        h.apply(h.machine.shutdownRequested(.immediate, now: h.now))
        let signals = h.signals(in: h.take())
        #expect(Set(signals.map(\.pid)) == Set(h.pids.values))
        #expect(signals.allSatisfy { $0.signal == SIGQUIT })
        #expect(!h.machine.acceptsReload)
    }

    @Test func aWeakerRequestDoesNotDowngradeAShutdown() {
        var h = StateMachineHarness(workers)
        h.start()
        h.apply(h.machine.shutdownRequested(.fast, now: h.now))
        _ = h.take()
        h.apply(h.machine.shutdownRequested(.smart, now: h.now))
        #expect(h.signals(in: h.take()).isEmpty)
    }

    @Test func workersThatExitDuringShutdownAreNotRestarted() {
        var h = StateMachineHarness(workers)
        h.start()
        h.apply(h.machine.shutdownRequested(.smart, now: h.now))
        h.exit("postgres", .exited(1))
        h.advance(by: .seconds(10))
        #expect(h.state("postgres") == .stopped)
    }
}

@Suite struct Reload {
    @Test func addedStartRemovedStopChangedRestartUnchangedGetSIGHUP() {
        var h = StateMachineHarness([worker("keep"), worker("change"), worker("remove")])
        h.start()
        _ = h.take()
        let old = h.pids
        var changed = worker("change")
        changed.args = ["--new"]
        let config = LinemasterConfig(path: "test.toml", workers: [worker("keep"), changed, worker("add")])
        h.apply(h.machine.reload(config, now: h.now))
        let actions = h.take()
        #expect(h.spawned(in: actions) == ["add"])
        let signals = Dictionary(uniqueKeysWithValues: h.signals(in: actions).map { ($0.pid, $0.signal) })
        #expect(signals == [old["keep"]!: SIGHUP, old["change"]!: SIGTERM, old["remove"]!: SIGTERM])

        h.exit("change", .signaled(SIGTERM))
        #expect(h.spawned(in: h.take()) == ["change"])
        h.exit("remove", .exited(0))
        #expect(h.status("remove") == nil)
        #expect(h.machine.statuses(now: h.now).map(\.name) == ["keep", "change", "add"])
    }

    @Test func scalingUpStartsOnlyTheNewInstances() {
        var h = StateMachineHarness([worker("listener", count: 2)])
        h.start()
        _ = h.take()
        h.apply(h.machine.reload(LinemasterConfig(path: "t", workers: [worker("listener", count: 3)]), now: h.now))
        let actions = h.take()
        #expect(h.spawned(in: actions) == ["listener 3"])
        #expect(h.signals(in: actions).allSatisfy { $0.signal == SIGHUP })
    }

    @Test func reloadGivesAFailedWorkerAFreshStart() {
        var settings = SupervisorSettings()
        settings.maxRestarts = 1
        var h = StateMachineHarness([worker("broken")], settings: settings)
        h.start()
        h.exit("broken", .exited(1))
        h.advance(by: .seconds(1))
        h.exit("broken", .exited(1))
        #expect(h.state("broken") == .failed)
        _ = h.take()
        h.apply(h.machine.reload(LinemasterConfig(path: "t", supervisor: settings, workers: [worker("broken")]), now: h.now))
        #expect(h.spawned(in: h.take()) == ["broken"])
    }

    @Test func reloadIsIgnoredDuringShutdown() {
        var h = StateMachineHarness([worker("keep")])
        h.start()
        h.apply(h.machine.shutdownRequested(.fast, now: h.now))
        _ = h.take()
        h.apply(h.machine.reload(LinemasterConfig(path: "t", workers: [worker("new")]), now: h.now))
        #expect(h.spawned(in: h.take()).isEmpty)
    }
}

@Suite struct StartsThatRaceAnEvent {
    @Test func aWorkerStartedAfterAFastShutdownBeganIsStoppedAtOnce() {
        var h = StateMachineHarness([worker("keep")])
        h.start()
        _ = h.take()
        // A reload adds a worker, and a SIGINT comes in the same batch of events: the main loop
        // starts the new worker only after the shutdown began.
        let spawn = h.machine.reload(LinemasterConfig(path: "t", workers: [worker("keep"), worker("added")]), now: h.now)
        h.apply(h.machine.shutdownRequested(.fast, now: h.now))
        h.apply(spawn)
        let signals = h.signals(in: h.take())
        #expect(signals.contains { $0.pid == h.pids["added"] && $0.signal == SIGTERM })
    }

    @Test func aSharedMemoryWorkerStartedDuringACrashRecoveryIsStoppedToo() {
        var h = StateMachineHarness([worker("ring", flags: [.sharedMemory]), worker("late", flags: [.sharedMemory], restart: .after(.milliseconds(1)))])
        h.start()
        h.exit("late", .exited(1))
        h.now = h.now + .seconds(1)
        let restart = h.machine.timerFired(now: h.now)
        h.apply(h.machine.childExited(pid: h.pids["ring"]!, reason: .signaled(SIGKILL), now: h.now))
        _ = h.take()
        h.apply(restart)
        #expect(h.signals(in: h.take()).contains { $0.pid == h.pids["late"] && $0.signal == SIGQUIT })
        #expect(h.state("late") == .stopping)
    }
}

@Suite struct DatabaseProbing {
    let inserter = worker("inserter", flags: [.sharedMemory, .database], start: .databaseReady)

    @Test func theDatabaseIsAskedOnceASecondUntilItAccepts() {
        var h = StateMachineHarness([inserter])
        h.start(databaseReady: false)
        #expect(h.take() == [.startProbe, .announce(.ready)])
        h.answerProbe(.noResponse)
        #expect(h.take() == [.log("waiting for the database: no server answers at the configured address")])
        #expect(h.machine.nextDeadline == h.now + .seconds(1))
        h.advance(by: .milliseconds(999))
        #expect(h.take().isEmpty)
        h.advance(by: .milliseconds(1))
        #expect(h.take() == [.startProbe])
        h.answerProbe(.noResponse)
        #expect(h.take().isEmpty, "the same reason is logged once")
        h.advance(by: .seconds(1))
        h.answerProbe(.accepting)
        let actions = h.take()
        #expect(actions.first == .startProbe)
        #expect(actions.contains(.log("the database is ready: database-ready workers may start")))
        #expect(h.spawned(in: actions) == ["inserter"])
        #expect(h.machine.nextDeadline == nil)
    }

    @Test func nothingIsAskedWhileNoWorkerWaitsForTheDatabase() {
        var h = StateMachineHarness([worker("ticker")])
        h.start(databaseReady: false)
        #expect(!h.take().contains(.startProbe))
        #expect(h.machine.nextDeadline == nil)
        h.apply(h.machine.reload(LinemasterConfig(path: "test.toml", workers: [worker("ticker"), inserter]), now: h.now))
        #expect(h.take().contains(.startProbe))
    }

    @Test func aProbeWithoutAnAnswerIsRepeatedInASecond() {
        var h = StateMachineHarness([inserter])
        h.start(databaseReady: false)
        _ = h.take()
        h.answerProbe(nil)
        #expect(h.take() == [.log("waiting for the database: the database probe failed; see its log line above")])
        h.advance(by: .seconds(1))
        #expect(h.take() == [.startProbe])
    }

    @Test func noProbeIsStartedOnceAShutdownBegan() {
        var h = StateMachineHarness([inserter])
        h.start(databaseReady: false)
        h.answerProbe(.noResponse)
        h.apply(h.machine.shutdownRequested(.smart, now: h.now))
        _ = h.take()
        h.advance(by: .seconds(5))
        #expect(!h.take().contains(.startProbe))
    }
}

@Suite struct SpawnFailures {
    @Test func aShutdownFinishesWhenAWorkerAddedByTheSameWakeupsReloadCannotStart() {
        var h = StateMachineHarness([worker("job", restart: .never)])
        h.start()
        _ = h.take()
        // SIGHUP and SIGTERM in one wakeup: the reload's start is decided, then the shutdown.
        let reload = h.machine.reload(LinemasterConfig(path: "test.toml", workers: [worker("job", restart: .never), worker("new", restart: .never)]), now: h.now)
        #expect(h.spawned(in: reload) == ["new"])
        h.apply(h.machine.shutdownRequested(.fast, now: h.now))
        h.exit("job", .signaled(SIGTERM))
        #expect(!h.take().contains { if case .exit = $0 { true } else { false } })
        let actions = h.machine.spawnFailed(instance: "new", reason: "not found", now: h.now)
        #expect(actions == [.log("could not start worker \"new\": not found"), .exit(code: 0, removeSharedMemory: false)])
    }

    @Test func aWorkerThatCannotStartIsRetriedAfterItsDelay() {
        var h = StateMachineHarness([])
        h.start()
        let reload = h.machine.reload(LinemasterConfig(path: "test.toml", workers: [worker("new", restart: .after(.seconds(2)))]), now: h.now)
        #expect(h.spawned(in: reload) == ["new"])
        _ = h.machine.spawnFailed(instance: "new", reason: "not found", now: h.now)
        #expect(h.state("new") == .backoff)
        h.advance(by: .seconds(2))
        #expect(h.spawned(in: h.take()) == ["new"])
    }
}

@Suite struct ReloadDetails {
    @Test func aReloadDoesNotCutAWorkersBackoffShort() {
        var h = StateMachineHarness([worker("flaky", restart: .after(.seconds(10)))])
        h.start()
        h.exit("flaky", .exited(1))
        _ = h.take()
        h.apply(h.machine.reload(LinemasterConfig(path: "test.toml", workers: [worker("flaky", restart: .after(.seconds(10)))]), now: h.now))
        #expect(h.spawned(in: h.take()).isEmpty)
        #expect(h.state("flaky") == .backoff)
    }

    @Test func aChangedReceiveBufferAloneRestartsNothing() {
        var listener = worker("listener", flags: [.sharedMemory])
        listener.listen = [try! ListenAddress(parsing: "udp://127.0.0.1:8089")]
        var h = StateMachineHarness([listener])
        h.start()
        _ = h.take()
        listener.receiveBuffer = 32 << 20
        h.apply(h.machine.reload(LinemasterConfig(path: "test.toml", workers: [listener]), now: h.now))
        #expect(h.signals(in: h.take()).map(\.signal) == [SIGHUP], "the supervisor applies it to the socket it holds")
    }

    @Test func changedDatabaseSettingsRestartTheDatabaseWorkers() {
        let inserter = worker("inserter", flags: [.sharedMemory, .database], start: .databaseReady)
        var h = StateMachineHarness([inserter, worker("plain")])
        h.start()
        _ = h.take()
        var config = LinemasterConfig(path: "test.toml", workers: [inserter, worker("plain")])
        config.database.url = "host=elsewhere"
        h.apply(h.machine.reload(config, now: h.now))
        let signals = Dictionary(uniqueKeysWithValues: h.signals(in: h.take()).map { ($0.pid, $0.signal) })
        #expect(signals == [h.pids["inserter"]!: SIGTERM, h.pids["plain"]!: SIGHUP])
    }

    @Test func changedHTTPSettingsRestartOnlyTheHTTPWorkers() {
        let http = worker("http", flags: [.sharedMemory, .http])
        var h = StateMachineHarness([http, worker("plain")])
        h.start()
        _ = h.take()
        var config = LinemasterConfig(path: "test.toml", workers: [http, worker("plain")])
        config.http.authTokens = ["new token"]
        h.apply(h.machine.reload(config, now: h.now))
        let signals = Dictionary(uniqueKeysWithValues: h.signals(in: h.take()).map { ($0.pid, $0.signal) })
        #expect(signals == [h.pids["http"]!: SIGTERM, h.pids["plain"]!: SIGHUP])
    }
}
