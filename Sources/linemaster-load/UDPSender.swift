import CPlatform
import Glibc

/// A connected UDP socket that sends whole datagrams.
final class UDPSender {
    /// The largest UDP payload over IPv4 (65535 - 8 - 20): below 64 KiB, and never split by us.
    static let maxPayload = 65_507

    struct SocketError: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32
    /// Where ``sendSegmented(_:lengths:)`` pads a run: one send carries at most ``maxPayload`` bytes.
    private var padded = [UInt8](repeating: 0, count: UDPSender.maxPayload)

    init(to address: SocketAddress) throws {
        fd = socket(address.family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        var size: Int32 = 4 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockaddr { connect(fd, $0, $1) }
        guard rc == 0 else { throw SocketError(description: "connect: \(String(cString: strerror(errno)))") }
    }

    /// Sends the datagrams laid end to end in `bytes` (each `lengths[i]` long) with one sendmmsg;
    /// returns how many the kernel took. A refused port (an ICMP error from an earlier datagram)
    /// or a full buffer leaves the rest not sent; the caller counts them and carries on.
    func send(_ bytes: [UInt8], lengths: [Int]) -> Int {
        var offsets: [Int] = []
        offsets.reserveCapacity(lengths.count)
        var offset = 0
        for length in lengths {
            offsets.append(offset)
            offset += length
        }
        let sent = bytes.withUnsafeBufferPointer { buffer in
            lm_send_datagrams(fd, buffer.baseAddress, offsets, lengths, UInt32(lengths.count))
        }
        return max(Int(sent), 0)
    }

    /// The most segments the kernel takes in one UDP_SEGMENT send on every kernel that has it.
    static let maxSegments = 64

    /// Sends the datagrams laid end to end in `bytes` through UDP segmentation offload: each run
    /// of consecutive datagrams is padded with newlines to the longest of the run (line protocol
    /// skips blank lines) and handed to the kernel in one sendmsg, which cuts it back into one
    /// datagram per segment. Sets each `lengths[i]` to the padded size; returns how many datagrams
    /// the kernel took. Throws when the kernel refuses segmentation itself.
    func sendSegmented(_ bytes: [UInt8], lengths: inout [Int]) throws -> Int {
        var start = 0, offset = 0
        while start < lengths.count {
            let (end, size) = Self.run(of: lengths, from: start)
            let runBytes = lengths[start..<end].reduce(0, +)
            let err = sendRun(bytes[offset..<offset + runBytes], lengths: lengths[start..<end], segmentSize: size)
            if err == EAGAIN || err == ECONNREFUSED || err == ENOBUFS { return start }
            if err != 0 {
                let hint = err == EMSGSIZE ? ": a datagram is larger than the path MTU allows; send fewer --lines-per-datagram" : ""
                throw SocketError(description: "sendmsg with UDP_SEGMENT (--segment-offload): \(String(cString: strerror(err)))\(hint)")
            }
            for i in start..<end { lengths[i] = size }
            start = end
            offset += runBytes
        }
        return lengths.count
    }

    /// The run of datagrams from `start` that one send can carry: at most ``maxSegments``, all
    /// padded to the longest, within ``maxPayload`` bytes. Returns its end and segment size.
    private static func run(of lengths: [Int], from start: Int) -> (end: Int, size: Int) {
        var end = start, size = 0
        while end < lengths.count && end - start < maxSegments && (end - start + 1) * max(size, lengths[end]) <= maxPayload {
            size = max(size, lengths[end])
            end += 1
        }
        return (end, size)
    }

    /// Pads one run into the scratch buffer and sends it; returns 0 or the errno of the send.
    private func sendRun(_ bytes: ArraySlice<UInt8>, lengths: ArraySlice<Int>, segmentSize: Int) -> Int32 {
        let total = lengths.count * segmentSize
        return padded.withUnsafeMutableBytes { run in
            bytes.withUnsafeBytes { source in
                memset(run.baseAddress!, Int32(UInt8(ascii: "\n")), total)
                var from = 0
                for (k, length) in lengths.enumerated() {
                    run.baseAddress!.advanced(by: k * segmentSize).copyMemory(from: source.baseAddress!.advanced(by: from), byteCount: length)
                    from += length
                }
                let taken = lm_send_segmented(fd, run.baseAddress!.assumingMemoryBound(to: UInt8.self), total, UInt16(segmentSize))
                return taken < 0 ? errno : 0
            }
        }
    }
}
