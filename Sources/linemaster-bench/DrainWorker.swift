import ArgumentParser
import SharedRing
import WorkerRuntime

/// `linemaster-bench drain`: a consumer that only counts, so that a benchmark measures what goes
/// into the ring and not what PostgreSQL can take out of it.
///
/// Runs as a linemaster worker with `flags = ["shared-memory"]`. It blocks in `claim` while the
/// ring is empty (idle at 0% CPU), and shows its count in its title:
/// `linemaster: NAME 1234567 rows`. The ring's own `rows_out` counter, in `linemaster status`,
/// is what scripts should read.
struct DrainWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "A linemaster worker that takes rows off the ring and only counts them.",
        discussion: "Runs as a linemaster worker with flags = [\"shared-memory\"]; SIGTERM stops it (exit 0).")

    @Option(help: "Most records per claimed batch.")
    var batch = 4096

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() throws {
        let worker = Worker.start()
        let ring: SharedRing
        do { ring = try worker.attachRing() } catch {
            worker.log("\(error)")
            throw ExitCode(1)
        }
        worker.log("draining the ring, batches of up to \(batch) records")
        var drained: UInt64 = 0
        var shown: UInt64 = .max
        var lastTitle = ContinuousClock.now - .seconds(10)
        while !worker.shouldStop() {
            // Blocks while the ring is empty; the timeout (and a signal) bring us back to look at
            // the stop flag.
            if let claimed = ring.claim(maxRecords: batch, timeout: .seconds(1)) {
                drained += UInt64(claimed.count)
                ring.release(claimed)
            }
            // The title is a write into our own memory, but once a second is plenty for ps.
            let now = ContinuousClock.now
            if drained != shown && now - lastTitle >= .seconds(1) {
                worker.setActivity("\(drained) rows")
                shown = drained
                lastTitle = now
            }
        }
        worker.log("stopping after \(drained) rows")
    }
}
