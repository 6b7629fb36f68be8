import Glibc
import Testing

@Suite struct SharedMemoryCapability {
    @Test func onlyWorkersWithTheFlagCanAttachAndTheSegmentIsPrivate() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "granted"
            executable = "TESTWORKER"
            args = ["--attach-shm", "--report", "REPORT"]
            flags = ["shared-memory"]
            [[worker]]
            name = "denied"
            executable = "TESTWORKER"
            args = ["--attach-shm", "--report", "REPORT"]
            """)
        try supervisor.startReady()
        try waitUntil("both workers tried to attach") { supervisor.reports().filter { !$0.hasSuffix("started") }.count == 2 }
        let reports = supervisor.reports()
        #expect(reports.contains { $0.contains("granted: attached") })
        #expect(reports.contains { $0.contains("denied: refused: worker \"denied\" has no shared-memory access") })

        let segment = "/dev/shm" + (supervisor.pidFileLines()?[4] ?? "?")
        var info = stat()
        #expect(stat(segment, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        // Allocated whole at creation: a /dev/shm too small fails the start, not a worker later.
        #expect(Int(info.st_blocks) * 512 >= Int(info.st_size))
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        #expect(access(segment, F_OK) != 0)
    }

    @Test func workersInheritTheSupervisorsEnvironmentButOnlyDatabaseWorkersSeePGVariables() throws {
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "env"
            executable = "./env.sh"
            """)
        writeScript(supervisor.directory + "/env.sh", "echo \"$INHERITED_TEST_VALUE/${PGPASSWORD:-none}\" > \(supervisor.reportPath); exec sleep 60")
        try supervisor.startReady(environment: ["INHERITED_TEST_VALUE=inherited-42", "PGPASSWORD=not-for-you"])
        try waitUntil("the worker wrote its environment") { supervisor.reports() == ["inherited-42/none"] }
    }

    @Test func aSegmentSomeoneElseCouldOpenIsRefused() throws {
        let supervisor = SupervisorProcess(config: "[[worker]]\nname = \"w\"\nexecutable = \"TESTWORKER\"\n")
        mkdir(supervisor.dataDirectory, 0o700)
        let fd = shm_open(supervisor.segmentName, O_CREAT | O_RDWR, 0o644)
        fchmod(fd, 0o644)
        ftruncate(fd, 1 << 20)
        close(fd)
        supervisor.start()
        #expect(supervisor.waitForExit()?.exitCode == 2)
        #expect(supervisor.log().contains("is not private"))
    }
}

@Suite struct DatabaseCapability {
    @Test func onlyDatabaseWorkersReceiveTheSettingsAndThePasswordIsNeverVisible() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let url = database.url + " password=s3cret-pw"
        let supervisor = SupervisorProcess(config: """
            [database]
            url = "\(url)"
            schema = "telemetry"
            [[worker]]
            name = "granted"
            executable = "TESTWORKER"
            args = ["--database", "--report", "REPORT"]
            flags = ["shared-memory", "database"]
            start = "database-ready"
            [[worker]]
            name = "denied"
            executable = "TESTWORKER"
            args = ["--database", "--report", "REPORT"]
            flags = ["shared-memory"]
            """)
        try supervisor.startReady()
        try waitUntil("both workers reported") { supervisor.reports().filter { !$0.hasSuffix("started") }.count == 2 }
        let reports = supervisor.reports()
        #expect(reports.contains { $0.hasSuffix("granted: database url=\(url) schema=telemetry create_tables=jsonb") })
        #expect(reports.contains { $0.contains("denied: refused: worker \"denied\" has no database access") })
        let granted = try #require(supervisor.worker("granted"))
        #expect(!(readFile("/proc/\(granted.pid)/environ") ?? "").contains("s3cret-pw"))
        #expect(!ProcessInfoSnapshot.all().map(\.title).joined().contains("s3cret-pw"))
        #expect(!supervisor.log().contains("s3cret-pw"))
    }
}
