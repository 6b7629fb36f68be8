#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import SharedRing
import WorkerGrants

/// The worker side of the contract with the supervisor: who this worker is, which capabilities
/// it was granted, its process title, the signals it was sent, and the supervisor's death.
///
/// A worker executable calls ``Worker/start()`` first thing in `main`.
public final class Worker: @unchecked Sendable {
    /// The instance name, e.g. `listener 2`; `ps` shows `linemaster: listener 2 ...`.
    public let name: String
    /// How many instances of this worker's definition run (`count`); 1 outside a supervisor.
    public let instances: Int
    /// This worker's statistics slot in the shared-memory segment.
    public let statSlot: Int?
    /// The supervisor's data directory.
    public let dataDirectory: String?
    /// The sockets of the definition's `listen` addresses, in their order; empty without any.
    public let sockets: [InheritedSocket]
    private let sharedMemoryFD: Int32?
    private let databaseGrant: DatabaseGrant?
    private let httpGrant: HTTPGrant?
    private let onQuit: QuitBehavior
    private var quitRequested = false

    /// What SIGQUIT (the supervisor's crash restart, or an immediate shutdown) does.
    public enum QuitBehavior: Sendable {
        /// Exit at once with status 2, as PostgreSQL's quickdie does: the shared memory may be
        /// damaged, so nothing is cleaned up. Right for a worker that holds nothing of value.
        case exitAtOnce
        /// Record it like SIGTERM (``shouldStop()``) and exit 2 once the work in hand is done
        /// (``exitStatus``): for a worker holding data the sender was told is accepted, such as
        /// a listener's datagrams, which exist nowhere else once read from the socket.
        case finishWorkInHand
    }

    private init(name: String, instances: Int, statSlot: Int?, dataDirectory: String?, sockets: [InheritedSocket],
                 sharedMemoryFD: Int32?, databaseGrant: DatabaseGrant?, httpGrant: HTTPGrant?, onQuit: QuitBehavior) {
        self.name = name
        self.instances = instances
        self.statSlot = statSlot
        self.dataDirectory = dataDirectory
        self.sockets = sockets
        self.sharedMemoryFD = sharedMemoryFD
        self.databaseGrant = databaseGrant
        self.httpGrant = httpGrant
        self.onQuit = onQuit
    }

    /// Reads the worker's environment and its inherited sockets, starts watching the death pipe
    /// (the process exits with status 1 once the supervisor is gone), records SIGTERM, SIGHUP and
    /// SIGINT as flags, handles SIGQUIT as `onQuit` says, and sets the title to `linemaster: NAME`.
    /// Outside a supervisor the name is the program's.
    public static func start(onQuit: QuitBehavior = .exitAtOnce) -> Worker {
        _ = CommandLine.arguments
        let name = environment(WorkerEnvironment.name) ?? String(CommandLine.arguments[0].split(separator: "/").last ?? "worker")
        let worker = Worker(
            name: name, instances: environment(WorkerEnvironment.count).flatMap { Int($0) } ?? 1,
            statSlot: environment(WorkerEnvironment.statsSlot).flatMap { Int($0) },
            dataDirectory: environment(WorkerEnvironment.dataDirectory),
            sockets: SocketActivation.takeSockets(),
            sharedMemoryFD: environment(WorkerEnvironment.sharedMemory).flatMap { Int32($0) },
            databaseGrant: environment(WorkerEnvironment.database).flatMap { Int32($0) }.flatMap(DatabaseGrant.read),
            httpGrant: environment(WorkerEnvironment.http).flatMap { Int32($0) }.flatMap(HTTPGrant.read),
            onQuit: onQuit)
        if let fd = environment(WorkerEnvironment.deathPipe).flatMap({ Int32($0) }) {
            lm_watch_death_pipe(fd)
        }
        for signal in [SIGTERM, SIGHUP, SIGINT] { lm_install_flag_handler(signal) }
        switch onQuit {
        case .exitAtOnce: lm_install_quick_exit_on_sigquit()
        case .finishWorkInHand: lm_install_flag_handler(SIGQUIT)
        }
        worker.setActivity(nil)
        return worker
    }

    /// Shows `linemaster: NAME ACTIVITY` in ps. Never put a secret here: any user can read it.
    public func setActivity(_ activity: String?) {
        let title = "linemaster: \(name)" + (activity.map { " " + $0 } ?? "")
        lm_set_process_title(title)
    }

    /// Attaches the shared-memory ring the supervisor granted; fails, naming the flag, when it did not.
    public func attachRing() throws(CapabilityError) -> SharedRing {
        guard let fd = sharedMemoryFD else { throw .notGranted(.sharedMemory, worker: name) }
        do { return try SharedRing.attach(fd: fd) } catch { throw .unusable(.sharedMemory, "\(error)") }
    }

    /// The database settings the supervisor granted; fails, naming the flag, when it did not.
    public func database() throws(CapabilityError) -> DatabaseGrant {
        guard let databaseGrant else { throw .notGranted(.database, worker: name) }
        return databaseGrant
    }

    /// The `[http]` settings the supervisor granted; fails, naming the flag, when it did not.
    public func http() throws(CapabilityError) -> HTTPGrant {
        guard let httpGrant else { throw .notGranted(.http, worker: name) }
        return httpGrant
    }

    /// Whether SIGTERM (or SIGINT, or with ``QuitBehavior/finishWorkInHand`` SIGQUIT) arrived
    /// since the last call: finish up and exit with ``exitStatus``.
    public func shouldStop() -> Bool {
        let term = lm_take_signal_flag(SIGTERM) != 0
        let int = lm_take_signal_flag(SIGINT) != 0
        if onQuit == .finishWorkInHand && lm_take_signal_flag(SIGQUIT) != 0 { quitRequested = true }
        return term || int || quitRequested
    }

    /// The status to exit with after a stop: 2 when it was SIGQUIT, which tells the supervisor
    /// that the worker did not finish normally, as PostgreSQL's processes do; 0 otherwise.
    public var exitStatus: Int32 { quitRequested ? 2 : 0 }

    /// Whether SIGHUP arrived since the last call: re-read settings, drop caches.
    public func shouldReload() -> Bool {
        lm_take_signal_flag(SIGHUP) != 0
    }

    /// Logs a line under this worker's name.
    public func log(_ message: String) {
        Log.write(message, from: name)
    }

    private static func environment(_ variable: String) -> String? {
        getenv(variable).map { String(cString: $0) }
    }
}

/// The environment variables through which the supervisor tells a worker who it is and what it
/// may use. The supervisor drops any inherited `LINEMASTER_*` variable before setting these.
public enum WorkerEnvironment {
    public static let name = "LINEMASTER_WORKER_NAME"
    /// How many instances of the worker's definition the configuration asks for (its `count`).
    public static let count = "LINEMASTER_WORKER_COUNT"
    /// Index of the worker's statistics slot in the shared-memory segment.
    public static let statsSlot = WorkerStatsSlot.environmentVariable
    /// The supervisor's data directory (absolute), where a worker may keep files of its own.
    public static let dataDirectory = "LINEMASTER_DATA_DIR"
    /// Read end of the death pipe: EOF when the supervisor is gone.
    public static let deathPipe = "LINEMASTER_DEATH_FD"
    /// Descriptor of the shared-memory segment, for workers with the `shared-memory` flag only.
    public static let sharedMemory = "LINEMASTER_SHM_FD"
    /// Read end of a pipe holding the ``DatabaseGrant``, for workers with the `database` flag only.
    public static let database = "LINEMASTER_DATABASE_FD"
    /// Read end of a pipe holding the ``HTTPGrant``, for workers with the `http` flag only.
    public static let http = "LINEMASTER_HTTP_FD"
}

/// A capability the supervisor grants through the worker's `flags` (the config calls it a flag).
public enum Capability: String, CaseIterable, Sendable {
    /// The worker receives the shared-memory segment. A crash of such a worker
    /// may have corrupted the segment, so it triggers a crash restart of all of them.
    case sharedMemory = "shared-memory"
    /// The worker receives the database connection settings. Requires `sharedMemory`.
    case database
    /// The worker receives the `[http]` section: limits, acknowledgement and credentials.
    case http
}

/// A worker tried to use something its flags do not grant.
public enum CapabilityError: Error, CustomStringConvertible {
    case notGranted(Capability, worker: String)
    case unusable(Capability, String)

    public var description: String {
        switch self {
        case .notGranted(let capability, let worker):
            return "worker \"\(worker)\" has no \(capability.rawValue) access: add \"\(capability.rawValue)\" to its flags in the configuration"
        case .unusable(let capability, let reason):
            return "\(capability.rawValue) granted but unusable: \(reason)"
        }
    }
}
