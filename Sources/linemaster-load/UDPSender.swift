import CSystem
import Glibc

/// A connected UDP socket that sends whole datagrams.
struct UDPSender {
    /// The largest UDP payload over IPv4 (65535 - 8 - 20): below 64 KiB, and never split by us.
    static let maxPayload = 65_507

    struct SocketError: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32

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

    /// Sends the datagrams laid end to end in `bytes` through UDP segmentation offload: runs of
    /// consecutive datagrams are padded with newlines to the longest of their run (line protocol
    /// skips blank lines) and handed to the kernel in one sendmsg per run, which the kernel cuts
    /// back into one datagram per segment. Returns how many datagrams the kernel took, with each
    /// one's padded size in `sizes`; throws when the kernel refuses segmentation itself.
    func sendSegmented(_ bytes: [UInt8], lengths: [Int], sizes: inout [Int], scratch: inout [UInt8]) throws -> Int {
        sizes.removeAll(keepingCapacity: true)
        var start = 0, offset = 0
        while start < lengths.count {
            var end = start, size = 0
            while end < lengths.count && end - start < Self.maxSegments
                && (end - start + 1) * max(size, lengths[end]) <= Self.maxPayload {
                size = max(size, lengths[end])
                end += 1
            }
            let runLength = (end - start) * size
            if scratch.count < runLength { scratch = [UInt8](repeating: 0, count: Self.maxPayload) }
            let taken = scratch.withUnsafeMutableBytes { run in
                bytes.withUnsafeBytes { source in
                    memset(run.baseAddress!, Int32(UInt8(ascii: "\n")), runLength)
                    var from = offset
                    for i in start..<end {
                        run.baseAddress!.advanced(by: (i - start) * size)
                            .copyMemory(from: source.baseAddress!.advanced(by: from), byteCount: lengths[i])
                        from += lengths[i]
                    }
                    return lm_send_segmented(fd, run.baseAddress!.assumingMemoryBound(to: UInt8.self), runLength, UInt16(size))
                }
            }
            if taken < 0 {
                if errno == EAGAIN || errno == ECONNREFUSED || errno == ENOBUFS { break }
                throw SocketError(description: "sendmsg with UDP_SEGMENT (--segment-offload): \(String(cString: strerror(errno)))")
            }
            for i in start..<end {
                sizes.append(size)
                offset += lengths[i]
            }
            start = end
        }
        return sizes.count
    }
}
