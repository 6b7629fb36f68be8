import ArgumentParser
import Glibc

/// `linemaster-load`: sends numbered line protocol over UDP or HTTP so that loss and duplicates
/// can be counted at the far end.
@main
struct LinemasterLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-load",
        abstract: "Send line protocol over UDP at a measured rate, or over HTTP as InfluxDB clients do.",
        discussion: """
            Line i (counting from 0), with s = i % series and seq = seq-start + i, is
              cpu,host=h<s>,region=r<s%8> usage=<x.yy>,idle=<i>i,label="x<i%100>",seq=<seq>i <ns>
            seq numbers the lines without gaps, so that the receiver can count lost and
            duplicated lines. The time is the wall clock when the datagram was built. With
            --new-field-every N, line i also carries f<i/N>=1i after seq: a field no earlier
            line had every N lines (what makes a typed table grow a column).
            At the end it prints lines, datagrams, bytes and the achieved rate; while it
            runs over UDP it shows progress every second when stderr is a terminal.
            With --http URL it POSTs the same lines, --lines-per-request to a body, over
            --connections keep-alive HTTP/1.1 connections, as fast as the server answers;
            "sent" then counts only the lines of requests answered 204, the answers are
            counted by status, and the latency of each answer is reported as p50 and p99.
            """)

    @Argument(help: "Where to send over UDP: HOST:PORT with an IPv4 address, [IPv6]:PORT, or localhost:PORT.")
    var destination: String?

    @Option(help: ArgumentHelp("Send over HTTP instead: POST to this URL, e.g. http://127.0.0.1:8086/write?db=bench.", valueName: "URL"))
    var http: String?

    @Option(help: "With --http: keep-alive connections, each sending one request at a time.")
    var connections = 4

    @Option(name: .customLong("lines-per-request"), help: "With --http: lines per request body.")
    var linesPerRequest = 5000

    @Flag(help: "With --http: gzip each body (zlib level 1) and send Content-Encoding: gzip.")
    var gzip = false

    @Flag(help: ArgumentHelp("With --http: retry a request answered 503 or 429 with Retry-After, after waiting that long.",
                             discussion: "At most \(HTTPLoad.maxAttempts) attempts per request. Other answers are never retried."))
    var retry = false

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

    @Option(name: .customLong("new-field-every"), help: ArgumentHelp("Line i gets the field f<i/N>=1i: a new field every N lines (0: none).", valueName: "N"))
    var newFieldEvery = 0

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
        guard newFieldEvery >= 0 else { throw ValidationError("--new-field-every must not be negative") }
        guard (destination == nil) != (http == nil) else { throw ValidationError("give either a UDP destination HOST:PORT or --http URL") }
        if http != nil {
            guard rate == 0, !segmentOffload else { throw ValidationError("--rate and --segment-offload are for UDP; --http sends as fast as the server answers") }
            guard connections >= 1, linesPerRequest >= 1 else { throw ValidationError("--connections and --lines-per-request must be at least 1") }
        } else {
            guard !gzip, !retry else { throw ValidationError("--gzip and --retry are for --http") }
        }
    }

    /// Datagrams per system call: sendmmsg takes 32, segmentation offload up to 64.
    var datagramsPerSend: Int { segmentOffload ? UDPSender.maxSegments : 32 }

    func run() throws {
        if let http { return try runHTTP(url: http) }
        let destination = destination!
        let address: SocketAddress
        do { address = try SocketAddress(parsing: destination) } catch { throw ValidationError("\(error)") }
        let sender = try UDPSender(to: address)
        var generator = try LineGenerator(measurement: measurement, series: series, seqStart: seqStart, newFieldEvery: newFieldEvery)
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

    private func runHTTP(url: String) throws {
        let target: HTTPTarget
        do { target = try HTTPTarget(parsing: url) } catch { throw ValidationError("\(error)") }
        let load = HTTPLoad(target: target, lines: lines, linesPerRequest: linesPerRequest, connections: connections,
                            gzip: gzip, retry: retry, measurement: measurement, series: series, seqStart: seqStart,
                            newFieldEvery: newFieldEvery)
        let start = monotonicSeconds()
        let tally = try load.run()
        tally.printSummary(url: url, seqStart: seqStart, lines: lines, seconds: monotonicSeconds() - start)
    }
}
