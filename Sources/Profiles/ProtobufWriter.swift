/// Appends protobuf wire data to a byte array (proto3 rules: zero scalars are omitted).
struct ProtobufWriter {
    var bytes: [UInt8] = []

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    @inline(__always)
    mutating func key(_ field: UInt64, _ wire: WireType) {
        varint(field << 3 | UInt64(wire.rawValue))
    }

    /// A varint field, omitted when zero.
    @inline(__always)
    mutating func uint64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        key(field, .varint)
        varint(value)
    }

    /// An int64 field (two's complement, not zigzag), omitted when zero.
    @inline(__always)
    mutating func int64(_ field: UInt64, _ value: Int64) {
        uint64(field, UInt64(bitPattern: value))
    }

    /// A bool field, omitted when false.
    mutating func bool(_ field: UInt64, _ value: Bool) {
        uint64(field, value ? 1 : 0)
    }

    /// A length-delimited field holding `payload`.
    mutating func bytesField(_ field: UInt64, _ payload: some Collection<UInt8>) {
        key(field, .lengthDelimited)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    /// A repeated varint field: packed when it has more than two elements, one field per element
    /// otherwise (what Go's runtime writer does, so both encodings get exercised).
    mutating func repeatedVarint(_ field: UInt64, _ values: some Collection<UInt64>) {
        if values.count > 2 {
            var size = 0
            for v in values { size += Self.varintSize(v) }
            key(field, .lengthDelimited)
            varint(UInt64(size))
            for v in values { varint(v) }
        } else {
            for v in values {
                key(field, .varint)
                varint(v)
            }
        }
    }

    /// A nested message field, written by `body` into `scratch` (reused to avoid allocations).
    @inline(__always)
    mutating func message(_ field: UInt64, scratch: inout ProtobufWriter, _ body: (inout ProtobufWriter) -> Void) {
        scratch.bytes.removeAll(keepingCapacity: true)
        body(&scratch)
        bytesField(field, scratch.bytes)
    }
}
