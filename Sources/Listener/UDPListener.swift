#if canImport(Glibc)
import Glibc
#endif
import Ingest
import LineProtocol
import SharedRing
import SystemCalls
import WorkerRuntime

/// What `linemaster-listener` was asked to do.
public struct ListenerOptions: Sendable {
    /// `HOST:PORT` addresses to bind and receive on, when the supervisor passed no sockets.
    public var addresses: [String]
    /// Bytes of kernel receive buffer to ask for, per socket it binds itself.
    public var receiveBuffer: Int?
    /// The unit of timestamps in the received lines.
    public var precision: Precision

    public init(addresses: [String], receiveBuffer: Int?, precision: Precision) {
        self.addresses = addresses
        self.receiveBuffer = receiveBuffer
        self.precision = precision
    }
}

/// The listener worker: receives datagrams, parses every line, and publishes each accepted point
/// into the ring as a ``PointRecord``. A bad line costs that line only, and is kept for the rejects
/// table within a limit (``RejectKeeper``); a full ring costs the new row, counted as dropped. It waits only for datagrams (in recvmmsg, or poll for several sockets),
/// and for half a millisecond after a small batch.
public final class UDPListener {
    private let worker: Worker
    private let ring: SharedRing
    private let stats: WorkerStatsSlot?
    private let sockets: [UDPSocket]
    private let parser: LineParser
    private var datagrams = DatagramBatch(capacity: 64)
    private let rejects: RejectKeeper
    private var published: UInt64 = 0
    private var titleShown = ""
    /// Set once SIGTERM or SIGQUIT has arrived: from then on only what was read is published.
    private var stopping = false

    public init(worker: Worker, options: ListenerOptions) throws {
        self.worker = worker
        let ring = try worker.attachRing()
        self.ring = ring
        let stats = worker.statSlot.map { ring.workerStats(slot: $0) }
        self.stats = stats
        rejects = RejectKeeper(ring: ring, stats: stats, worker: worker.name) { worker.log($0) }
        parser = LineParser(precision: options.precision)
        guard worker.sockets.isEmpty else {
            guard options.addresses.isEmpty else { throw ListenerError.socketsTwice }
            // Shared by every instance: whichever is free reads the next datagram.
            sockets = try worker.sockets.map { socket throws(ListenerError) in try UDPSocket(inherited: socket) }
            return
        }
        guard !options.addresses.isEmpty else { throw ListenerError.noSockets }
        sockets = try options.addresses.map { address throws(ListenerError) in
            try UDPSocket(binding: address, receiveBuffer: options.receiveBuffer)
        }
        if worker.instances > 1 {
            for socket in sockets {
                do { try socket.spreadDatagrams(over: worker.instances) } catch {
                    worker.log("\(error): each sender's datagrams go to one listener, chosen by its address")
                }
            }
        }
        if let wanted = options.receiveBuffer {
            for socket in sockets where socket.grantedReceiveBuffer < wanted {
                worker.log(ReceiveBuffer.capped(socket.address, granted: socket.grantedReceiveBuffer, asked: wanted))
            }
        }
    }

    /// Receives until SIGTERM or SIGQUIT, publishing every datagram it has read before it
    /// returns the exit status (``Worker/exitStatus``): what it took from the socket exists
    /// nowhere else. A lone socket is read with blocking receives; several are watched with poll.
    /// Either way it wakes at least once a second.
    public func run() throws -> Int32 {
        worker.log("receiving line protocol on udp \(sockets.map(\.address).joined(separator: ", "))")
        var polls = sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        if sockets.count == 1 { sockets[0].blockWhileReceiving(timeout: .seconds(1)) }
        showActivity()  // `udp ADDRESS` in ps: the sockets are bound, datagrams are taken from now on
        var lastTitle = ContinuousClock.now
        while !stopRequested() {
            var received = 0
            if sockets.count == 1 {
                received = try datagrams.receive(from: sockets[0].fd, waitForOne: true)
                ingest(datagramsFrom: sockets[0], count: received)
            } else if poll(&polls, nfds_t(polls.count), 1000) > 0 {
                for i in polls.indices where polls[i].revents != 0 {
                    received += try drain(sockets[i])
                }
            }
            // A wakeup costs more than a few datagrams do: after a small batch, let the kernel
            // queue some more before asking again, as network cards coalesce interrupts. Half a
            // millisecond is far less than a receive buffer holds at any rate a core can parse.
            if received > 0 && received < Self.smallBatch { usleep(500) }
            let now = ContinuousClock.now
            rejects.flushLog(now: now)
            if now - lastTitle >= .seconds(1) {
                showActivity()
                lastTitle = now
            }
        }
        worker.log("stopping after \(published) rows")
        return worker.exitStatus
    }

    /// Datagrams per receive below which the listener pauses briefly before the next one.
    static let smallBatch = 16

    private func stopRequested() -> Bool {
        if worker.shouldStop() { stopping = true }
        return stopping
    }

    /// Receives from a socket that poll found readable until nothing is left, or a stop was
    /// asked for (a sender faster than the listener would keep it here); returns how many.
    private func drain(_ socket: UDPSocket) throws -> Int {
        var total = 0
        while !stopRequested() {
            let count = try datagrams.receive(from: socket.fd)
            total += count
            ingest(datagramsFrom: socket, count: count)
            if count < datagrams.capacity { return total }
        }
        return total
    }

    /// Ingests the `count` datagrams of the last receive; the counters in shared memory are
    /// updated once per receive, not per datagram.
    private func ingest(datagramsFrom socket: UDPSocket, count: Int) {
        guard count > 0 else { return }
        let receivedAt = WallClock.nanosecondsSinceEpoch()
        var tally = Tally()
        for i in 0..<count {
            let (bytes, truncated) = datagrams.datagram(i)
            tally.bytes += UInt64(bytes.count)
            if truncated {
                tally.rejected += 1
                worker.log("dropped a datagram larger than \(DatagramBatch.datagramCapacity) bytes from \(socket.address)")
                continue
            }
            ingest(bytes, receivedAt: receivedAt, into: &tally) { RejectSource(transport: "udp", local: socket.address, peer: datagrams.sender(i)) }
        }
        published += tally.accepted
        stats?.add(tally.parsed, to: .rowsParsed)
        stats?.add(tally.accepted, to: .rowsPublished)
        if tally.dropped > 0 { stats?.add(tally.dropped, to: .rowsDropped) }
        if tally.rejected > 0 { stats?.add(tally.rejected, to: .linesRejected) }
        stats?.add(tally.bytes, to: .bytesReceived)
        // Last: whoever reads N datagrams finds their rows counted already.
        stats?.add(UInt64(count), to: .messagesReceived)
    }

    /// What became of the lines of one receive.
    private struct Tally {
        var parsed: UInt64 = 0, accepted: UInt64 = 0, dropped: UInt64 = 0, rejected: UInt64 = 0, bytes: UInt64 = 0
    }

    /// Parses one datagram and publishes its points, and its rejected lines (from `source`).
    private func ingest(_ bytes: UnsafeRawBufferPointer, receivedAt: Int64, into tally: inout Tally, source: () -> RejectSource) {
        parser.parse(bytes, defaultTime: receivedAt) { point in
            tally.parsed += 1
            let result = ring.tryPublish(byteCount: PointRecord.encodedSize(point)) { record in
                PointRecord.encode(point, into: record.baseAddress!)
            }
            if case .published = result { tally.accepted += 1 } else { tally.dropped += 1 }
        } onError: { error in
            tally.rejected += 1
            rejects.keep(error, in: bytes, receivedAt: receivedAt, from: source())
        }
    }

    private func showActivity() {
        let title = "udp \(sockets.map(\.address).joined(separator: ",")) \(Self.abbreviated(published)) rows"
        guard title != titleShown else { return }
        worker.setActivity(title)
        titleShown = title
    }

    /// 999, 12.3k, 1.2M, 3.4G.
    static func abbreviated(_ n: UInt64) -> String {
        let units: [(Double, String)] = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where Double(n) >= scale {
            let value = (Double(n) / scale * 10).rounded(.down) / 10
            return (value == value.rounded() ? String(Int(value)) : String(value)) + suffix
        }
        return String(n)
    }
}
