import Glibc
import LineProtocol

/// Builds the numbered lines, with the series keys encoded once and cached.
struct LineGenerator {
    private var seriesKeys: [[UInt8]] = []
    private let seqStart: Int64
    private var seq: Int64
    private var index = 0
    /// Every this many lines a new field (0: never); see ``appendLine(time:to:)``.
    private let newFieldEvery: Int

    init(measurement: String, series: Int, seqStart: Int64, newFieldEvery: Int) throws {
        self.seqStart = seqStart
        self.newFieldEvery = newFieldEvery
        seq = seqStart
        seriesKeys.reserveCapacity(series)
        for s in 0..<series {
            var key: [UInt8] = []
            try LineProtocolEncoder().appendSeriesKey(
                measurement: measurement, tags: [.init("host", "h\(s)"), .init("region", "r\(s % 8)")], to: &key)
            seriesKeys.append(key)
        }
    }

    /// Makes line `index` (counting from 0) the next one: what a connection does before each
    /// request, when several share the numbering.
    mutating func seek(toLine index: Int) {
        self.index = index
        seq = seqStart + Int64(index)
    }

    /// Appends up to `maxLines` lines to `datagram` without exceeding `maxBytes`; returns how many.
    mutating func fill(_ datagram: inout [UInt8], maxLines: Int, maxBytes: Int) -> Int {
        let now = wallClockNanoseconds()
        var count = 0
        while count < maxLines {
            let lineStart = datagram.count
            appendLine(time: now + Int64(count), to: &datagram)
            if datagram.count > maxBytes {
                precondition(count > 0, "one line is longer than a datagram")
                datagram.removeSubrange(lineStart...)
                break
            }
            count += 1
            seq += 1
            index += 1
        }
        return count
    }

    private static let usageKey = Array(" usage=".utf8), idleKey = Array(",idle=".utf8)
    private static let labelKey = Array("i,label=\"x".utf8), seqKey = Array("\",seq=".utf8)
    private static let newFieldKey = Array("i,f".utf8), newFieldValue = Array("=1".utf8)

    /// `<series key> usage=<x.yy>,idle=<i>i,label="x<i%100>",seq=<seq>i <time>`, with
    /// `,f<i/N>=1i` after the seq when a new field comes every N lines: constant names are written
    /// as they are (they need no escaping), numbers through the encoder's digit writer.
    private func appendLine(time: Int64, to out: inout [UInt8]) {
        let i = index
        let usage = (i &* 7919) % 10_000
        out.append(contentsOf: seriesKeys[i % seriesKeys.count])
        out.append(contentsOf: Self.usageKey)
        LineProtocolEncoder.appendDecimal(usage / 100, to: &out)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(usage % 100 / 10))
        out.append(UInt8(ascii: "0") + UInt8(usage % 10))
        out.append(contentsOf: Self.idleKey)
        LineProtocolEncoder.appendDecimal(i, to: &out)
        out.append(contentsOf: Self.labelKey)
        LineProtocolEncoder.appendDecimal(i % 100, to: &out)
        out.append(contentsOf: Self.seqKey)
        LineProtocolEncoder.appendDecimal(seq, to: &out)
        if newFieldEvery > 0 {
            out.append(contentsOf: Self.newFieldKey)
            LineProtocolEncoder.appendDecimal(i / newFieldEvery, to: &out)
            out.append(contentsOf: Self.newFieldValue)
        }
        out.append(UInt8(ascii: "i"))
        out.append(UInt8(ascii: " "))
        LineProtocolEncoder.appendDecimal(time, to: &out)
        out.append(UInt8(ascii: "\n"))
    }
}

func wallClockNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Sleeps `seconds` (never spinning), through interruptions.
func sleepSeconds(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var left = timespec()
    while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
}
