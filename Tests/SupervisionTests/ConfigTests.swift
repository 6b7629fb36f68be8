import Supervision
import WorkerGrants
import Testing

private func parse(_ text: String) throws(ConfigError) -> LinemasterConfig {
    try LinemasterConfig.parse(text: text, path: "test.toml")
}

/// The problems of a configuration that must be refused (empty when it is accepted).
private func problems(_ text: String) -> [ConfigProblem] {
    do {
        _ = try parse(text)
        return []
    } catch {
        return error.problems
    }
}

private func problem(_ line: Int, _ reason: String) -> ConfigProblem {
    ConfigProblem(file: "test.toml", line: line, reason: reason)
}

/// A worker section with the two required keys and `extra` lines after them (the first on line 4).
private func worker(_ extra: String...) -> String {
    (["[[worker]]", "name = \"w\"", "executable = \"/bin/true\""] + extra).joined(separator: "\n") + "\n"
}

@Test func fullConfigIsReadIntoTheModel() throws {
    let text = """
        [supervisor]
        shutdown_timeout = "10s"
        restart_after_crash = false
        max_restart_delay = "2m"
        max_restarts = 3
        restart_window = "1m30s"

        [ring]
        size = "128MiB"

        [[worker]]
        name = "listener"
        executable = "linemaster-listener"
        args = ["--port", "8089"]
        flags = ["shared-memory"]
        restart = "never"
        count = 2

        [[worker]]
        name = "inserter"
        executable = "/usr/local/bin/linemaster-inserter"
        flags = ["shared-memory", "database"]
        start = "database-ready"
        restart = "500ms"
        """
    var supervisor = SupervisorSettings()
    supervisor.shutdownTimeout = .seconds(10)
    supervisor.restartAfterCrash = false
    supervisor.maxRestartDelay = .seconds(120)
    supervisor.maxRestarts = 3
    supervisor.restartWindow = .seconds(90)
    let expected = LinemasterConfig(path: "test.toml", supervisor: supervisor, ring: RingSettings(size: 128 << 20), workers: [
        WorkerSpec(name: "listener", executable: "linemaster-listener", args: ["--port", "8089"],
                   flags: [.sharedMemory], restart: .never, count: 2),
        WorkerSpec(name: "inserter", executable: "/usr/local/bin/linemaster-inserter", flags: [.sharedMemory, .database],
                   start: .databaseReady, restart: .after(.milliseconds(500))),
    ])
    #expect(try parse(text) == expected)
}

@Test func omittedKeysTakeTheirDefaults() throws {
    let config = try parse(worker())
    #expect(config == LinemasterConfig(path: "test.toml", workers: [WorkerSpec(name: "w", executable: "/bin/true")]))
    #expect(config.supervisor == SupervisorSettings())
    #expect(config.ring.size == 64 << 20)
    #expect(config.workers[0] == WorkerSpec(name: "w", executable: "/bin/true", args: [], flags: [],
                                           start: .immediately, restart: .after(.seconds(5)), count: 1))
}

@Test func configWithoutWorkersIsValid() throws {
    #expect(try parse("[supervisor]\nmax_restarts = 2\n").workers.isEmpty)
}

@Test func emptyFileIsRefused() {
    #expect(problems("  \n# nothing here\n")
        == [problem(0, "the file has no settings: add a [supervisor] section or [[worker]] sections")])
}

@Test func missingFileCannotBeRead() {
    do {
        _ = try LinemasterConfig.load(path: "/nonexistent/linemaster.toml")
        Issue.record("a missing file was accepted")
    } catch {
        #expect(error.problems == [ConfigProblem(file: "/nonexistent/linemaster.toml", line: 0,
            reason: "cannot read /nonexistent/linemaster.toml: No such file or directory")])
    }
}

@Test func exampleConfigIsValid() throws {
    // #filePath is .../Tests/SupervisionTests/ConfigTests.swift; the example lives in .../etc.
    let root = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
    let config = try LinemasterConfig.load(path: root + "/etc/linemaster.toml")
    #expect(!config.workers.isEmpty)
}

@Test func badDurationIsRefusedWithTheExactMessage() {
    #expect(problems(worker("restart = \"2x\""))
        == [problem(4, #"bad duration "2x" for restart: expected a number with a unit ms, s, m or h, e.g. "2s""#)])
}

@Test func restartMayBeNeverOrZero() throws {
    #expect(try parse(worker("restart = \"never\"")).workers[0].restart == .never)
    #expect(try parse(worker("restart = \"0s\"")).workers[0].restart == .after(.zero))
}

@Test func zeroShutdownTimeoutIsRefused() {
    #expect(problems("[supervisor]\nshutdown_timeout = \"0ms\"\n") == [problem(2, "shutdown_timeout must be longer than zero")])
}

@Test func durationWithoutQuotesIsRefused() {
    #expect(problems("[supervisor]\nrestart_window = 60\n")
        == [problem(2, #"restart_window must be a duration in quotes such as "5s", not an integer"#)])
}

@Test func durationsCombineUnitsLargestFirst() {
    #expect(Duration(configText: "1h2m3s4ms") == .milliseconds(3_723_004))
    #expect(Duration(configText: "30s1m") == nil)
    #expect(Duration(configText: "1.5s") == nil)
    #expect(Duration(configText: "") == nil)
}

@Test func durationsPrintAsTheConfigWritesThem() {
    #expect(Duration.seconds(2).configText == "2s")
    #expect(Duration.seconds(90).configText == "1m30s")
    #expect(Duration.milliseconds(500).configText == "500ms")
    #expect(Duration.zero.configText == "0s")
    #expect(Duration.seconds(3 * 3600 + 5).configText == "3h5s")
}

@Test func hugeDurationsPrintWithoutOverflow() {
    #expect(Duration.seconds(Int64.max).configText.hasSuffix("7s"))
}

@Test func unknownKeyIsRefusedWithASuggestion() {
    #expect(problems(worker("exectuable_path = 1", "restrat = \"1s\"")) == [
        problem(4, "unknown key exectuable_path in [[worker]]"),
        problem(5, "unknown key restrat in [[worker]]; did you mean restart?"),
    ])
}

@Test func unknownSectionIsRefused() {
    #expect(problems("[supervisor]\n[workers]\nname = \"x\"\n") == [problem(2, "unknown section [workers]; did you mean worker?")])
}

@Test func singleWorkerTableMustBeAnArrayOfTables() {
    #expect(problems("[worker]\nname = \"x\"\n")
        == [problem(1, "worker must be written [[worker]] (one section per worker), not [worker]")])
}

@Test func wrongValueTypeIsRefused() {
    #expect(problems("[supervisor]\nrestart_after_crash = \"yes\"\n")
        == [problem(2, "restart_after_crash must be true or false, not a string")])
}

@Test func negativeMaxRestartsIsRefused() {
    #expect(problems("[supervisor]\nmax_restarts = -1\n") == [problem(2, "max_restarts must be at least 0, not -1")])
}

@Test func databaseFlagRequiresSharedMemory() {
    #expect(problems(worker("flags = [\"database\"]", "start = \"database-ready\"")) == [
        problem(4, #"flag "database" requires "shared-memory": write flags = ["shared-memory", "database"]"#),
    ])
}

@Test func httpFlagRequiresSharedMemory() {
    #expect(problems(worker("flags = [\"http\"]")) == [
        problem(4, #"flag "http" requires "shared-memory": write flags = ["shared-memory", "http"]"#),
    ])
}

@Test func httpSectionIsReadWithItsDefaultsForWhatItOmits() throws {
    let config = try parse("""
        [http]
        max_body_size = "1MiB"
        ack = "commit"
        database_tag = "db"
        auth_tokens = ["t0ken"]
        users = ["telegraf:pass:word"]
        idle_timeout = "5s"
        """)
    var expected = HTTPGrant()
    (expected.maxBodySize, expected.ack, expected.databaseTag) = (1 << 20, .commit, "db")
    (expected.authTokens, expected.users, expected.idleTimeout) = (["t0ken"], ["telegraf:pass:word"], .seconds(5))
    #expect(config.http == expected)
    #expect(HTTPGrant(encoded: expected.encoded) == expected, "the grant crosses the pipe unchanged")
}

@Test func badHTTPSettingsAreRefusedWithTheirLines() {
    #expect(problems("[http]\nack = \"disk\"\nusers = [\"nopassword\", \"\"]\nmax_body_size = \"1B\"\n") == [
        problem(2, #"unknown ack "disk": expected "ring" or "commit""#),
        problem(3, #"each element of users must be "name:password" on one line"#),
        problem(3, #"each element of users must be "name:password" on one line"#),
        problem(4, #"max_body_size "1B" is out of range: it must be between 1KiB and 1GiB"#),
    ])
}

@Test func databaseWorkerCannotStartImmediately() {
    #expect(problems(worker("flags = [\"shared-memory\", \"database\"]", "start = \"immediately\"")) == [
        problem(5, #"a worker with flag "database" must wait for the database: set start = "database-ready""#),
    ])
}

@Test func databaseWorkerWithDefaultStartIsRefusedOnItsFlagsLine() {
    #expect(problems(worker("count = 1", "flags = [\"shared-memory\", \"database\"]")).map(\.line) == [5])
}

@Test func duplicateWorkerNamesAreRefused() {
    let text = worker() + "\n" + worker()
    #expect(problems(text) == [problem(6, #"duplicate worker name "w": already used on line 2"#)])
}

@Test func emptyWorkerNameIsRefused() {
    #expect(problems("[[worker]]\nname = \"\"\nexecutable = \"x\"\n") == [problem(2, "worker name must not be empty")])
}

@Test func workerNameUnfitForProcessTitlesIsRefused() {
    #expect(problems("[[worker]]\nname = \"my worker\"\nexecutable = \"x\"\n")
        == [problem(2, #"worker name "my worker" may contain only ASCII letters, digits, "-", "_" and ".""#)])
}

@Test func workerNameWithDotsDashesAndUnderscoresIsAccepted() throws {
    #expect(try parse("[[worker]]\nname = \"a.b-c_1\"\nexecutable = \"x\"\n").workers[0].name == "a.b-c_1")
}

@Test func workerWithoutNameOrExecutableIsRefusedAtItsHeader() {
    #expect(problems("[supervisor]\n\n[[worker]]\nargs = []\n") == [
        problem(3, #"worker has no name: add name = "...""#),
        problem(3, #"worker has no executable: add executable = "/path/to/program""#),
    ])
}

@Test func countBelowOneIsRefused() {
    #expect(problems(worker("count = 0")) == [problem(4, "count must be at least 1, not 0")])
}

@Test func absurdCountIsRefused() {
    #expect(problems(worker("count = 5000")) == [problem(4, "count must be at most 1000, not 5000")])
}

@Test func unknownFlagIsRefusedWithASuggestion() {
    #expect(problems(worker("flags = [\"shared_memory\", \"gpu\"]")) == [
        problem(4, #"unknown flag "shared_memory"; did you mean "shared-memory"?"#),
        problem(4, #"unknown flag "gpu": expected "shared-memory" or "database""#),
    ])
}

@Test func duplicateFlagIsRefusedOnItsElementLine() {
    #expect(problems(worker("flags = [", "  \"shared-memory\",", "  \"shared-memory\",", "]"))
        == [problem(6, #"duplicate flag "shared-memory""#)])
}

@Test func unknownStartConditionIsRefused() {
    #expect(problems(worker("start = \"later\""))
        == [problem(4, #"unknown start "later": expected "immediately" or "database-ready""#)])
}

@Test func nonStringArgumentIsRefusedOnItsLine() {
    #expect(problems(worker("args = [\"--port\",", "  8089]")) == [problem(5, "each element of args must be a string, not an integer")])
}

@Test func ringSizeAcceptsUnitsAndPlainBytes() throws {
    #expect(try parse("[ring]\nsize = \"2GiB\"\n").ring.size == 2 << 30)
    #expect(try parse("[ring]\nsize = \"1024KiB\"\n").ring.size == 1 << 20)
    #expect(try parse("[ring]\nsize = 2097152\n").ring.size == 2 << 20)
}

@Test func ringSizeWithDecimalUnitIsRefused() {
    #expect(problems("[ring]\nsize = \"64MB\"\n") == [problem(2,
        #"bad size "64MB" for size: expected a number of bytes or a number with a unit B, KiB, MiB or GiB, e.g. "64MiB""#)])
}

@Test func ringSizeOutOfRangeIsRefused() {
    #expect(problems("[ring]\nsize = \"512KiB\"\n")
        == [problem(2, #"ring size "512KiB" is out of range: it must be between 1MiB and 16GiB"#)])
    #expect(problems("[ring]\nsize = -1\n").map(\.line) == [2])
}

@Test func everyProblemIsReportedAtOnceInLineOrder() {
    let text = """
        [supervisor]
        shutdown_timeout = "soon"
        colour = "blue"

        [[worker]]
        name = "a"
        executable = "x"
        count = 0

        [[worker]]
        name = "a"
        executable = "y"
        flags = ["database"]
        """
    #expect(problems(text).map(\.line) == [2, 3, 8, 11, 13, 13])
}

@Test func syntaxErrorIsReportedWithItsLine() {
    #expect(problems("[supervisor]\nmax_restarts = \n") == [problem(2, "expected a value, found end of line")])
}

@Test func duplicateKeyAndSemanticProblemsAreReportedTogether() {
    #expect(problems(worker("count = 0", "count = 2")).map(\.line) == [4, 5])
}

@Test func singleInstanceIsNamedLikeItsWorker() {
    #expect(WorkerSpec(name: "ticker", executable: "t").instanceNames == ["ticker"])
}

@Test func severalInstancesAreNumberedFromOne() {
    #expect(WorkerSpec(name: "listener", executable: "l", count: 2).instanceNames == ["listener 1", "listener 2"])
}

@Test func byteSizesPrintWithTheLargestExactUnit() {
    #expect(ByteSize.format(64 << 20) == "64MiB")
    #expect(ByteSize.format(1536 << 10) == "1536KiB")
    #expect(ByteSize.format(100) == "100B")
}

@Test func duplicateNameIsReportedEvenWhenTheWorkerHasOtherProblems() {
    #expect(problems(worker() + "[[worker]]\nname = \"w\"\n") == [
        problem(4, #"worker has no executable: add executable = "/path/to/program""#),
        problem(5, #"duplicate worker name "w": already used on line 2"#),
    ])
}

@Test func endlessFileIsRefused() {
    do {
        _ = try LinemasterConfig.load(path: "/dev/zero")
        Issue.record("/dev/zero was accepted")
    } catch {
        #expect(error.problems.map(\.reason) == ["the file is larger than 1MiB: is it really a configuration?"])
    }
}

@Test func directoryCannotBeRead() {
    do {
        _ = try LinemasterConfig.load(path: "/")
        Issue.record("/ was accepted")
    } catch {
        #expect(error.problems.map(\.reason) == ["cannot read /: Is a directory"])
    }
}

@Suite struct ListenAddresses {
    @Test func listenAddressesAndReceiveBufferAreRead() throws {
        let config = try parse(worker(#"listen = ["udp://127.0.0.1:8089", "udp://[::1]:8089", "tcp://localhost:8086", "unix:///run/lm.sock"]"#,
                                      #"receive_buffer = "16MiB""#))
        let spec = try #require(config.workers.first)
        #expect(spec.listen.map(\.text) == ["udp://127.0.0.1:8089", "udp://[::1]:8089", "tcp://localhost:8086", "unix:///run/lm.sock"])
        #expect(spec.listen.map(\.endpoint) == [
            .inet(host: "127.0.0.1", port: 8089), .inet(host: "::1", port: 8089),
            .inet(host: "localhost", port: 8086), .unix(path: "/run/lm.sock"),
        ])
        #expect(spec.listen.map(\.transport) == [.udp, .udp, .tcp, .unix])
        #expect(spec.receiveBuffer == 16 << 20)
    }

    @Test func withoutListenAWorkerHasNoSocketsAndTheDefaultBuffer() throws {
        let spec = try #require(try parse(worker()).workers.first)
        #expect(spec.listen.isEmpty)
        #expect(spec.receiveBuffer == 8 << 20)
    }

    @Test func badAddressesAreRefusedOnTheirLineWithAnExample() {
        #expect(problems(worker(#"listen = ["http://127.0.0.1:80"]"#)) == [problem(4,
            #"bad listen address "http://127.0.0.1:80": expected udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH"#)])
        #expect(problems(worker(#"listen = ["udp://127.0.0.1:0"]"#)) == [problem(4,
            #"bad listen address "udp://127.0.0.1:0": the port must be a number from 1 to 65535, e.g. udp://127.0.0.1:8089 or udp://[::1]:8089"#)])
        #expect(problems(worker(#"listen = ["udp://::1:8089"]"#)) == [problem(4,
            #"bad listen address "udp://::1:8089": write an IPv6 host in brackets, e.g. udp://127.0.0.1:8089 or udp://[::1]:8089"#)])
        #expect(problems(worker(#"listen = ["unix://run/x.sock"]"#)) == [problem(4,
            #"bad listen address "unix://run/x.sock": a unix socket needs an absolute path, e.g. unix:///run/linemaster/http.sock"#)])
    }

    @Test func anAddressBelongsToOneWorker() {
        let text = worker(#"listen = ["udp://127.0.0.1:8089"]"#)
            + "[[worker]]\nname = \"other\"\nexecutable = \"/bin/true\"\nlisten = [\"udp://127.0.0.1:8089\"]\n"
        #expect(problems(text) == [problem(8, #"udp://127.0.0.1:8089 is in listen of worker "w" already"#)])
        #expect(problems(worker(#"listen = ["udp://127.0.0.1:8089", "udp://127.0.0.1:8089"]"#))
            == [problem(4, #"duplicate listen address "udp://127.0.0.1:8089""#)])
    }

    @Test func receiveBufferOutOfRangeIsRefused() {
        #expect(problems(worker(#"receive_buffer = "2GiB""#)) == [problem(4,
            #"receive_buffer "2GiB" is out of range: it must be between 4KiB and 512MiB"#)])
    }
}

@Test func addColumnsDefaultsToTheColumnsLayoutAndReachesTheInsertersGrant() throws {
    let columns = try parse("[database]\ncreate_tables = \"columns\"\n").database.grant(url: "")
    let jsonb = try parse("[database]\ncreate_tables = \"jsonb\"\n").database.grant(url: "")
    #expect(columns.addColumns && !jsonb.addColumns && columns.maxColumns == 1000)
    let set = try parse("[database]\ncreate_tables = \"columns\"\nadd_columns = false\nmax_columns = 200\n").database.grant(url: "u")
    #expect(!set.addColumns && set.maxColumns == 200)
    #expect(DatabaseGrant(encoded: set.encoded) == set, "the grant crosses the pipe unchanged")
}

@Test func maxColumnsBeyondPostgreSQLsLimitIsRefused() {
    #expect(problems("[database]\nmax_columns = 1601\nadd_columns = \"yes\"\n") == [
        problem(2, "max_columns must be at most 1600, not 1601"),
        problem(3, "add_columns must be true or false, not a string"),
    ])
}
