import ArgumentParser
import CLibPQ
import Glibc
import Supervision
import WorkerRuntime
import WorkerGrants

/// `linemaster probe-database`: run by the supervisor as a child with the `database` capability,
/// asks once whether the database accepts connections and exits with the answer (see
/// `DatabaseProbe`), so that the supervisor's loop never waits on the network.
struct ProbeDatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-database",
        abstract: "Ask once whether the granted database accepts connections (run by the supervisor).",
        shouldDisplay: false)

    func run() throws {
        let worker = Worker.start()
        let grant: DatabaseGrant
        do { grant = try worker.database() } catch {
            worker.log("\(error)")
            throw ExitCode(1)
        }
        throw ExitCode(Self.ask(conninfo: grant.url).rawValue)
    }

    /// PQping, which needs no credentials and sends no query; at most `connect_timeout` seconds.
    static func ask(conninfo: String) -> DatabaseProbe.Answer {
        let keywords = ["dbname", "connect_timeout"]
        let values = [conninfo, "2"]
        let ping = keywords.withCStringArray { keys in
            values.withCStringArray { vals in PQpingParams(keys, vals, 1) }
        }
        switch ping {
        case PQPING_OK: return .accepting
        case PQPING_REJECT: return .rejecting
        case PQPING_NO_RESPONSE: return .noResponse
        default: return .unusableSettings
        }
    }
}

extension Array where Element == String {
    /// Calls `body` with a NULL-terminated array of C strings, valid during the call.
    func withCStringArray<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = map { UnsafePointer(strdup($0)) } + [nil]
        defer { copies.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
