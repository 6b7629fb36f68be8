#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPIngest
import Ingest
import LineProtocol
import NIOCore
import NIOEmbedded
import SharedRing
import WorkerGrants

/// One input of the fuzzer: one connection to the HTTP worker. The first byte chooses the
/// settings (see ``FuzzOptions``), the rest is what the client sends over TCP. It goes through the
/// worker's own pipeline (`ServerState.configure`: NIO's HTTP/1.1 server with the worker's header
/// limits, then `RequestHandler`), whose writes land in a real ring. Then the ring is drained, so
/// that `ack = "commit"` answers are sent and the ring never fills, and the clock is moved past
/// every timeout. Every record a request published must decode.
/// (Named as libFuzzer names it: see main.swift.)
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let options = FuzzOptions(data[0])
    let stream = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let channel = EmbeddedChannel()
    let rejects = RejectKeeper(ring: ring, stats: nil, worker: "fuzz") { _ in }
    let server = ServerState(ring: ring, settings: options.settings, stats: nil, rejects: rejects, metrics: nil, eventLoop: channel.embeddedEventLoop)
    do {
        try server.configure(channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8086)).wait()
    } catch {
        fatalError("the connection could not be set up: \(error)")
    }
    var offset = 0
    while offset < stream.count, channel.isActive {
        let chunk = UnsafeRawBufferPointer(rebasing: stream[offset ..< min(offset + options.chunkSize, stream.count)])
        offset += chunk.count
        // NIO's decoder throws on a malformed request after its error handler answered 400.
        do { try channel.writeInbound(channel.allocator.buffer(bytes: chunk)) } catch { break }
        discardOutput(channel)
    }
    drainRing()
    channel.embeddedEventLoop.advanceTime(by: .seconds(1))
    discardOutput(channel)
    channel.embeddedEventLoop.advanceTime(by: .minutes(10))
    discardOutput(channel)
    _ = try? channel.finish(acceptAlreadyClosed: true)
    return 0
}

/// What the first byte of an input chooses: each bit a setting, the high nibble how the rest is
/// cut into reads (0: one read; n: reads of n² bytes, so that framing is split everywhere).
struct FuzzOptions {
    let settings: HTTPGrant
    let chunkSize: Int

    init(_ byte: UInt8) {
        var settings = HTTPGrant()
        if byte & 1 != 0 {
            settings.authTokens = ["s3cret"]
            settings.users = ["telegraf:s3cret"]
        }
        if byte & 2 != 0 { settings.ack = .commit }
        if byte & 4 != 0 { settings.databaseTag = "db" }
        settings.maxBodySize = byte & 8 != 0 ? 1 << 10 : 1 << 20
        self.settings = settings
        let nibble = Int(byte >> 4)
        chunkSize = nibble == 0 ? .max : nibble * nibble
    }
}

/// One ring for the whole run, its name unlinked at once: the mapping stays, and a run that
/// crashes leaves nothing in /dev/shm. Four times the largest body, so that a body that fits in
/// `max_body_size` may still be too large for a quarter of the ring.
nonisolated(unsafe) let ring: SharedRing = {
    let name = "/linemaster-fuzz.\(getpid())"
    do {
        let ring = try SharedRing.create(name: name, size: 4 << 20)
        SharedSegment.unlink(name: name)
        return ring
    } catch {
        fatalError("cannot create the ring \(name): \(error)")
    }
}()

/// Takes every record out of the ring, as an inserter would; each must be a well-formed record.
func drainRing() {
    while let batch = ring.claim(maxRecords: 1000, timeout: .zero) {
        for record in batch.records {
            do {
                if RecordKind(of: record.payload) == .rejectedLine {
                    _ = try RejectedLineRecordView(record.payload)
                } else {
                    _ = try PointRecordView(record.payload)
                }
            } catch {
                fatalError("record \(record.sequence) published by the HTTP worker does not decode: \(error)")
            }
        }
        ring.release(batch)
    }
}

/// Reads and drops what the server wrote, so that the channel's outbound buffer stays empty.
func discardOutput(_ channel: EmbeddedChannel) {
    while (try? channel.readOutbound(as: IOData.self)) ?? nil != nil {}
}
