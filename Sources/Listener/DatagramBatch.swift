import CPlatform
import SystemCalls

/// Buffers for receiving many datagrams with one recvmmsg call, each up to the largest UDP payload.
struct DatagramBatch: ~Copyable {
    /// 64 KiB: more than the largest UDP payload over IPv4 (65,507 bytes) or IPv6 (65,527).
    static let datagramCapacity = 65_536
    let capacity: Int
    private let buffers: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<Int>
    private let truncated: UnsafeMutablePointer<Int32>
    /// The senders' addresses, formatted only for a datagram with a rejected line.
    private let senders: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        buffers = .allocate(capacity: capacity * Self.datagramCapacity)
        lengths = .allocate(capacity: capacity)
        truncated = .allocate(capacity: capacity)
        senders = .allocate(capacity: capacity * Int(LM_SENDER_SIZE))
    }

    deinit {
        buffers.deallocate()
        lengths.deallocate()
        truncated.deallocate()
        senders.deallocate()
    }

    /// Receives what is waiting on `fd`, up to ``capacity`` datagrams; returns how many (0: none).
    /// With `waitForOne` (a blocking socket), waits for the first one up to the socket's timeout.
    mutating func receive(from fd: Int32, waitForOne: Bool = false) throws(ListenerError) -> Int {
        let n = lm_receive_datagrams(fd, buffers, Self.datagramCapacity, UInt32(capacity), lengths, truncated, senders, waitForOne ? 1 : 0)
        guard n >= 0 else { throw .system(SystemCallError("recvmmsg")) }
        count = Int(n)
        return count
    }

    /// Datagram `i` of the last receive.
    func datagram(_ i: Int) -> (bytes: UnsafeRawBufferPointer, truncated: Bool) {
        (UnsafeRawBufferPointer(start: buffers + i * Self.datagramCapacity, count: lengths[i]), truncated[i] != 0)
    }

    /// The sender of datagram `i` of the last receive, e.g. `10.0.0.7:41234`; nil if the kernel
    /// gave no address of a known family.
    func sender(_ i: Int) -> String? {
        var text = [CChar](repeating: 0, count: 64)
        guard lm_format_sender(senders + i * Int(LM_SENDER_SIZE), &text, text.count) == 0 else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif
