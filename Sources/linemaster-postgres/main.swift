#if canImport(Glibc)
import Glibc
#endif
import EmbeddedPostgres
import WorkerRuntime

// `linemaster-postgres`: the embedded PostgreSQL as a linemaster worker (no flags needed).
// Its cluster is DATADIR/postgres; inserters reach it when [database] url is not set.
let worker = Worker.start()
do {
    guard let dataDirectory = worker.dataDirectory else {
        worker.log("must run under linemaster (LINEMASTER_DATA_DIR is not set)")
        exit(2)
    }
    let postgres = try EmbeddedPostgres(dataDirectory: dataDirectory)
    try postgres.initializeIfNeeded(log: worker.log)
    let server = try postgres.start()
    worker.setActivity("pid \(server) socket \(postgres.directory)")
    exit(postgres.supervise(server, worker: worker))
} catch {
    worker.log("\(error)")
    exit(1)
}
