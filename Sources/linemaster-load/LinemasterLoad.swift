import ArgumentParser
import Glibc

/// `linemaster-load`: sends numbered line protocol over UDP so that loss and duplicates can be
/// counted at the far end.
@main
struct LinemasterLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-load",
        abstract: "Send line protocol over UDP at a measured rate.",
        discussion: """
            Line i (counting from 0), with s = i % series and seq = seq-start + i, is
              cpu,host=h<s>,region=r<s%8> usage=<x.yy>,idle=<i>i,label="x<i%100>",seq=<seq>i <ns>
            seq numbers the lines without gaps, so that the receiver can count lost and
            duplicated lines. The time is the wall clock when the datagram was built.
            At the end it prints lines, datagrams, bytes and the achieved rate; while it
            runs it shows progress every second when stderr is a terminal.
            """)

    @Argument(help: "Where to send: HOST:PORT with an IPv4 address, [IPv6]:PORT, or localhost:PORT.")
    var destination: String

    @Option(name: [.customShort("n"), .long], help: "Number of lines to send.")
    var lines = 1_000_000

    @Option(help: "Target rate in lines per second; 0 sends as fast as possible.")
    var rate: Double = 0

    @Option(name: .customLong("lines-per-datagram"), help: "Lines per datagram (fewer when 64 KiB would be exceeded).")
    var linesPerDatagram = 100

    @Option(help: "Number of distinct series (host/region tag combinations).")
    var series = 1000

    @Option(help: "Value of the seq field of the first line.")
    var seqStart: Int64 = 0

    @Option(help: "Measurement name.")
    var measurement = "cpu"

    @Flag(help: ArgumentHelp(
        "Send through UDP segmentation offload: up to 64 datagrams per system call.",
        discussion: """
            The kernel cuts each send back into separate datagrams before they are queued at
            the receiving socket, which receives them one by one as from separate sends; but it
            picks that socket (among several bound with SO_REUSEPORT) once per send, and gets
            them in bursts. Each datagram is padded with newlines to the longest of its send.
            This cuts the sender's CPU per datagram about four-fold, which matters when the
            generator shares its cores with what it measures. Every datagram must fit the
            path's MTU.
            """))
    var segmentOffload = false

    func validate() throws {
        guard lines >= 0 else { throw ValidationError("--lines must not be negative") }
        guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
        guard linesPerDatagram >= 1 else { throw ValidationError("--lines-per-datagram must be at least 1") }
        guard series >= 1 else { throw ValidationError("--series must be at least 1") }
    }

    /// Datagrams per system call: sendmmsg takes 32, segmentation offload up to 64.
    var datagramsPerSend: Int { segmentOffload ? UDPSender.maxSegments : 32 }

    func run() throws {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: destination) } catch { throw ValidationError("\(error)") }
        let sender = try UDPSender(to: address)
        var generator = try LineGenerator(measurement: measurement, series: series, seqStart: seqStart)
        var pacer = Pacer(linesPerSecond: rate)
        var stats = SendStatistics(showProgress: isatty(STDERR_FILENO) == 1, total: lines)
        // Datagrams go out in batches (sendmmsg or segmentation offload), so that the generator
        // costs the machine under test as little as it can; pacing still counts lines.
        var batch: [UInt8] = []
        var lengths: [Int] = []
        var lineCounts: [Int] = []
        // Options read once: every read of an ArgumentParser property goes through its wrapper.
        let (segmentOffload, perSend, perDatagram) = (self.segmentOffload, datagramsPerSend, linesPerDatagram)
        var remaining = lines
        while remaining > 0 {
            batch.removeAll(keepingCapacity: true)
            lengths.removeAll(keepingCapacity: true)
            lineCounts.removeAll(keepingCapacity: true)
            while lengths.count < perSend && remaining > 0 {
                let start = batch.count
                let count = generator.fill(&batch, maxLines: min(perDatagram, remaining), maxBytes: start + UDPSender.maxPayload)
                lengths.append(batch.count - start)
                lineCounts.append(count)
                remaining -= count
            }
            pacer.wait(beforeSending: lineCounts.reduce(0, +))
            let sent = segmentOffload ? try sender.sendSegmented(batch, lengths: &lengths) : sender.send(batch, lengths: lengths)
            for i in lengths.indices {
                stats.record(lines: lineCounts[i], bytes: lengths[i], sent: i < sent)
            }
        }
        stats.finish(destination: destination, seqStart: seqStart)
    }
}
