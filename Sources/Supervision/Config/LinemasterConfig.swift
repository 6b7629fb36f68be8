import WorkerGrants
import WorkerRuntime

/// The whole configuration of one linemaster instance, as read from its TOML file.
///
/// Every section is a small value type, so that a reload can compare old and new with `==`.
public struct LinemasterConfig: Equatable, Sendable {
    /// Where the configuration was read from (shown in the pid file and in error messages).
    public var path: String
    public var supervisor: SupervisorSettings
    public var ring: RingSettings
    public var database: DatabaseSettings
    /// The `[http]` section, handed to workers with the `http` flag only.
    public var http: HTTPGrant
    public var workers: [WorkerSpec]

    public init(
        path: String, supervisor: SupervisorSettings = .init(), ring: RingSettings = .init(),
        database: DatabaseSettings = .init(), http: HTTPGrant = .init(), workers: [WorkerSpec]
    ) {
        self.path = path
        self.supervisor = supervisor
        self.ring = ring
        self.database = database
        self.http = http
        self.workers = workers
    }
}

/// The `[database]` section: where inserters write. Only workers with the `database` flag
/// receive it, through a pipe, never through argv or the environment.
public struct DatabaseSettings: Equatable, Sendable {
    /// A libpq connection string or URI (settings it leaves out come from the PG* environment
    /// variables). Nil: the embedded server that `linemaster-postgres` runs in the data directory.
    public var url: String?
    /// The schema that holds one table per measurement.
    public var schema: String = "public"
    /// What to do with a measurement that has no table yet.
    public var createTables: TableCreation = .jsonb
    /// Whether a tag or field key without a column gets one; nil: only with `create_tables = "columns"`.
    public var addColumns: Bool?
    /// A table with this many columns gets no more (`max_columns`, at most ``columnLimit``).
    public var maxColumns = 1000
    /// PostgreSQL's limit on a table's columns.
    public static let columnLimit = 1600
    /// `create_templates`: statements run instead of linemaster's own CREATE TABLE, checked at load.
    public var createTemplates: [String] = []
    /// `add_column_templates`: statements run instead of linemaster's own ADD COLUMN, checked at load.
    public var addColumnTemplates: [String] = []

    public init() {}

    /// What the inserters (and the database probe) are told, connecting to `url`.
    public func grant(url: String) -> DatabaseGrant {
        DatabaseGrant(url: url, schema: schema, createTables: createTables,
                      addColumns: addColumns ?? (createTables == .columns), maxColumns: maxColumns,
                      createTemplates: createTemplates, addColumnTemplates: addColumnTemplates)
    }
}

/// The `[ring]` section: the shared-memory ring that listeners fill and inserters drain.
public struct RingSettings: Equatable, Sendable {
    /// Size of the ring in bytes (`size = "64MiB"`), between `minimumSize` and `maximumSize`.
    public var size: Int = 64 << 20

    /// Below this a burst of UDP datagrams would fill the ring at once.
    public static let minimumSize = 1 << 20
    /// Far beyond what buffering between listeners and inserters needs; a typo guard.
    public static let maximumSize = 16 << 30

    public init(size: Int = 64 << 20) { self.size = size }
}

/// The `[supervisor]` section.
public struct SupervisorSettings: Equatable, Sendable {
    /// How long a worker may take to exit after SIGTERM or SIGQUIT before it gets SIGKILL.
    public var shutdownTimeout: Duration = .seconds(5)
    /// Whether a crash of a shared-memory worker is followed by a restart of all of them
    /// (`true`) or by the supervisor exiting with status 1 (`false`).
    public var restartAfterCrash: Bool = true
    /// The restart delay doubles after each consecutive failure of a worker, up to this.
    public var maxRestartDelay: Duration = .seconds(60)
    /// More than `maxRestarts` restarts of one worker within `restartWindow` mark it failed.
    public var maxRestarts: Int = 5
    public var restartWindow: Duration = .seconds(60)

    public init() {}
}

/// One `[[worker]]` entry: what to run, with which capabilities, when, and how often.
public struct WorkerSpec: Equatable, Sendable {
    /// Unique among the workers; shown in ps as `linemaster: NAME` (or `NAME N` when `count > 1`).
    public var name: String
    /// The executable as written in the config: a path, or a name looked up next to
    /// the linemaster binary and then in `PATH`.
    public var executable: String
    public var args: [String]
    public var flags: Set<WorkerFlag>
    public var start: StartCondition
    public var restart: RestartPolicy
    /// How many identical instances to run.
    public var count: Int
    /// The sockets the supervisor binds and passes to every instance (fds from 3, `LISTEN_FDS`).
    public var listen: [ListenAddress]
    /// Kernel receive buffer of each of its UDP sockets, in bytes.
    public var receiveBuffer: Int

    /// Enough for a crash restart under load: the kernel queues datagrams here while no
    /// listener reads (see the README's "Sockets" for how long that lasts).
    public static let defaultReceiveBuffer = 8 << 20

    public init(
        name: String, executable: String, args: [String] = [], flags: Set<WorkerFlag> = [],
        start: StartCondition = .immediately, restart: RestartPolicy = .after(.seconds(5)), count: Int = 1,
        listen: [ListenAddress] = [], receiveBuffer: Int = defaultReceiveBuffer
    ) {
        self.name = name
        self.executable = executable
        self.args = args
        self.flags = flags
        self.start = start
        self.restart = restart
        self.count = count
        self.listen = listen
        self.receiveBuffer = receiveBuffer
    }
}

extension WorkerSpec {
    /// The names of the instances, as shown in ps and logs: `["ticker"]` when `count` is 1,
    /// `["listener 1", "listener 2"]` when it is more.
    public var instanceNames: [String] {
        count == 1 ? [name] : (0..<max(count, 0)).map { "\(name) \($0 + 1)" }
    }
}

/// A worker's `flags` entry: the capability the runtime checks on the worker's side.
public typealias WorkerFlag = Capability

/// When a worker may start.
public enum StartCondition: String, Sendable {
    case immediately
    /// Once the configured database accepts connections.
    case databaseReady = "database-ready"
}

/// What happens after a worker exits with status 1 (or crashes without taking shared memory down).
public enum RestartPolicy: Equatable, Sendable {
    case never
    /// Restart after this delay (doubled on each consecutive failure, see `SupervisorSettings`).
    case after(Duration)
}
