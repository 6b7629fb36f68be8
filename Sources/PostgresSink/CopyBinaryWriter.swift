/// The framing of PostgreSQL's binary COPY format: a fixed header, per tuple a field count and per
/// field a length (-1 for NULL) followed by the value in the type's binary send format, a trailer.
enum CopyBinary {
    /// `PGCOPY\n\377\r\n\0`, flags 0, header extension length 0.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// A field count of -1 ends the data.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000
}

extension ByteBuffer {
    @inline(__always) func beginTuple(fieldCount: Int) {
        appendBigEndian(Int16(truncatingIfNeeded: fieldCount))
    }

    @inline(__always) func appendNullField() {
        appendBigEndian(Int32(-1))
    }

    /// Starts a field of unknown length; pass the result to ``endField(_:)`` once the value is written.
    @inline(__always) func beginField() -> Int {
        let position = count
        appendBigEndian(Int32(0))
        return position
    }

    @inline(__always) func endField(_ position: Int) {
        patchBigEndian(Int32(truncatingIfNeeded: count - position - 4), at: position)
    }

    @inline(__always) func appendField<T: FixedWidthInteger>(_ value: T) {
        appendBigEndian(Int32(MemoryLayout<T>.size))
        appendBigEndian(value)
    }

    /// A timestamp or timestamptz: microseconds since 2000-01-01 UTC, from nanoseconds since 1970,
    /// rounded down so that a row never moves into the next microsecond.
    @inline(__always) func appendTimestampField(nanoseconds: Int64) {
        let micro = nanoseconds >= 0 ? nanoseconds / 1000 : (nanoseconds - 999) / 1000
        appendField(micro - CopyBinary.postgresEpochMicroseconds)
    }
}
