import ArgumentParser
import SharedRing

#if canImport(Glibc)
import Glibc
#endif

/// Drives a ring from outside, for the crash tests (which SIGKILL these processes at random
/// moments) and for poking at a live segment by hand.
@main
struct RingTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-ringtool",
        abstract: "Publish into and consume from a linemaster shared-memory ring.",
        subcommands: [Produce.self, Consume.self, Status.self]
    )
}

struct SegmentOption: ParsableArguments {
    @Option(help: "The segment name, e.g. /linemaster.0123456789abcdef.")
    var segment: String

    func openRing() throws -> SharedRing {
        guard let ring = try SharedRing.open(name: segment) else {
            throw ValidationError("no shared memory segment \(segment)")
        }
        return ring
    }
}

/// An append-only file written with one write(2) per call.
struct AppendFile {
    let fd: Int32

    init(path: String) throws {
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n <= 0 { return }
                done += n
            }
        }
    }
}
