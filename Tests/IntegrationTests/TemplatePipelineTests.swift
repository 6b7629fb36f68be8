import Glibc
import Testing

/// `create_templates` through the real supervisor, listener and inserters.
@Suite struct TemplatePipeline {
    /// The pipeline's config with these lines added to its `[database]` section.
    static func config(port: UInt16, database: TestDatabase, inserters: Int = 2, createTables: String = "jsonb", database extra: String) -> String {
        Pipeline.config(port: port, database: database, inserters: inserters, createTables: createTables)
            .replacingAll("schema = \"\(database.schema)\"\n", with: "schema = \"\(database.schema)\"\n\(extra)\n")
    }

    /// pg_partman's daily native partitions by `_time`, made by the recipe of the README.
    static func partmanTemplates(defaultPartition: Bool) -> String {
        """
        create_templates = [
            '''CREATE TABLE {{ .table }} ({{ .columns }}) PARTITION BY RANGE (_time)''',
            '''SELECT partman.create_parent(p_parent_table := {{ .table.Schema|quoteLiteral }} || '.' || {{ .table.Name|quoteLiteral }},
                   p_control := '_time', p_type := 'native', p_interval := 'daily', p_premake := 3)''',
        \(defaultPartition ? "" : "    '''DROP TABLE {{ .table.WithSuffix \"_default\" }}''',")
        ]
        """
    }

    /// A database of the test's own with pg_partman in its schema `partman`.
    static func partmanDatabase() throws -> TestDatabase {
        let database = try TestDatabase(ownDatabase: "lm_partman_\(UInt32.random(in: 0...UInt32.max))")
        do {
            try database.psql("CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman")
        } catch {
            database.dropDatabase()
            throw PartmanMissing(cause: "\(error)")
        }
        return database
    }

    /// Lines of `cpu` at these days from now (`seq` numbering them), sent in one datagram.
    static func send(days: [Int], port: UInt16) {
        let now = Int64(time(nil))
        let lines = days.enumerated().map { seq, day in
            "cpu,host=h\(seq) usage=0.5,seq=\(seq)i \((now + Int64(day) * 86_400) * 1_000_000_000)"
        }
        UDPSender(port: port).send(lines.joined(separator: "\n"))
    }

    /// Where each stored row landed: `daily` when in the partition of its own day, else the partition's name.
    static func partitions(_ database: TestDatabase) throws -> String {
        try database.psql("""
            SELECT CASE WHEN c.relname = 'cpu_p' || to_char(t._time, 'YYYY_MM_DD') THEN 'daily' ELSE c.relname END, count(*), count(DISTINCT seq)
            FROM \(database.schema).cpu t JOIN pg_class c ON c.oid = t.tableoid GROUP BY 1 ORDER BY 1
            """)
    }

    @Test func partmanRecipeStoresEachRowInItsDaysPartitionAndLateOrEarlyRowsInTheDefault() throws {
        let database = try Self.partmanDatabase()
        defer { database.dropDatabase() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database, createTables: "columns", database: Self.partmanTemplates(defaultPartition: true)))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        Self.send(days: [-2, -1, 0, 1, 2, -40, 40], port: port)

        try waitUntil("the rows are stored", timeout: .seconds(30)) { database.count("SELECT count(*) FROM \(database.schema).cpu") == 7 }
        #expect(try Self.partitions(database) == "cpu_default|2|2\ndaily|5|5")
        #expect(try database.psql("SELECT partition_interval, premake FROM partman.part_config") == "1 day|3")
        #expect(try database.psql("SELECT relkind FROM pg_class WHERE oid = '\(database.schema).cpu'::regclass") == "p")
        #expect(database.count("SELECT count(*) FROM \(database.schema).linemaster_rejects") == 0)
    }

    @Test func withoutADefaultPartitionRowsNoPartitionTakesGoToTheRejectsAndTheOthersAreStored() throws {
        let database = try Self.partmanDatabase()
        defer { database.dropDatabase() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database, createTables: "columns", database: Self.partmanTemplates(defaultPartition: false)))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        Self.send(days: [-40, -1, 0, 40, 1], port: port)

        let rejects = "FROM \(database.schema).linemaster_rejects"
        try waitUntil("every row is stored or rejected", timeout: .seconds(30)) {
            database.count("SELECT count(*) FROM \(database.schema).cpu") == 3 && database.count("SELECT count(*) \(rejects)") == 2
        }
        #expect(try Self.partitions(database) == "daily|3|3")
        #expect(try database.psql("SELECT sqlstate, \"row\"->'fields'->>'seq', error \(rejects) ORDER BY 2") == """
            23514|0|no partition of relation "cpu" found for row
            23514|3|no partition of relation "cpu" found for row
            """)
    }

    /// A template PostgreSQL refuses parks the new table's rows (other tables flow on), with the
    /// statement and PostgreSQL's message in `status`; a reload with the template fixed restarts
    /// the inserters, which store every parked row once.
    @Test func aBrokenTemplateShowsInStatusAndAReloadThatFixesItStoresEveryRow() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let broken = #"create_templates = ["CREATE TABEL {{ .table }} ({{ .columns }})"]"#
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database, inserters: 1, database: broken))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        Self.send(days: [0, 0, 0], port: port)

        let parked = "SELECT count(*) FROM \(database.schema).linemaster_parked"
        try waitUntil("the rows are parked") { database.count(parked) == 3 }
        try waitUntil("status shows why") {
            supervisor.status()["inserter"]?["activity"]?.contains(
                #"parked 3 rows of cpu: PostgreSQL error 42601: create_templates[1]: syntax error at or near "TABEL""#) == true
        }

        supervisor.writeConfig(Self.config(port: port, database: database, inserters: 1, database: broken.replacingAll("TABEL", with: "TABLE")))
        #expect(supervisor.control(["reload", "-D", supervisor.dataDirectory]).status == 0)
        try waitUntil("every parked row is stored", timeout: .seconds(30)) {
            database.count("SELECT count(DISTINCT _fields->>'seq') FROM \(database.schema).cpu") == 3 && database.count(parked) == 0
        }
        #expect(database.count("SELECT count(*) FROM \(database.schema).cpu") == 3)
    }

    @Test func checkConfigNamesTheStatementAndPositionOfAnUnknownVariable() throws {
        let supervisor = SupervisorProcess(config: "[database]\ncreate_templates = [\n  \"SELECT create_hypertable({{ .tabel|quoteLiteral }}, '_time')\",\n]\n")
        let result = supervisor.control(["check-config", "-c", supervisor.configPath])
        #expect(result.status == 1)
        #expect(result.output.contains("\(supervisor.configPath):3: create_templates[1], line 1, column 29: unknown variable .tabel"), "\(result.output)")
    }
}

struct PartmanMissing: Error, CustomStringConvertible {
    let cause: String
    var description: String { "pg_partman is not installed in the throwaway server (scripts/install-deps installs it): \(cause)" }
}
