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
}
