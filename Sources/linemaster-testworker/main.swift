#if canImport(Glibc)
import Glibc
#endif
import WorkerRuntime
import WorkerGrants

// A worker for the integration tests. It reports what happens to it, one line each, to the
// file given with --report, and behaves as the options say:
//   --exit CODE --after SECONDS   exit with CODE after SECONDS (--at UNIXTIME: at that moment,
//                                 if started before it; a restarted worker keeps running)
//   --title TEXT                  set its activity in the process title
//   --attach-shm                  try to attach the shared memory and report the outcome
//   --database                    report the database settings it was granted, or why not
//   --ignore-term                 ignore SIGTERM (to be SIGKILLed)
let worker = Worker.start()
var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()[...]
while let option = arguments.popFirst() {
    options[option] = ["--attach-shm", "--ignore-term", "--database"].contains(option) ? "" : arguments.popFirst() ?? ""
}

@MainActor func report(_ line: String) {
    guard let path = options["--report"] else { return }
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    let bytes = Array("\(getpid()) \(worker.name): \(line)\n".utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

report("started")
if let title = options["--title"] { worker.setActivity(title) }
if options["--ignore-term"] != nil { signal(SIGTERM, SIG_IGN) }
if options["--attach-shm"] != nil {
    do { report("attached a ring of \(try worker.attachRing().capacity) bytes") } catch { report("refused: \(error)") }
}
func wallClock() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
if options["--database"] != nil {
    do {
        let grant = try worker.database()
        report("database url=\(grant.url) schema=\(grant.schema) create_tables=\(grant.createTables.rawValue)")
    } catch {
        report("refused: \(error)")
    }
}
let deadline = options["--at"].flatMap(Double.init).flatMap { $0 > wallClock() ? $0 : nil } ?? options["--after"].flatMap(Double.init).map { wallClock() + $0 }
while true {
    if worker.shouldStop() {
        report("stopping")
        exit(0)
    }
    if worker.shouldReload() { report("reloading") }
    if let deadline, wallClock() >= deadline, let code = options["--exit"].flatMap(Int32.init) { exit(code) }
    usleep(20_000)
}
