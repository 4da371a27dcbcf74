/// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A bounds-checked cursor over protobuf wire data held in memory.
///
/// Never reads outside `[pos, end)`; every malformed construct throws a `ProfileDecodingError`
/// carrying the byte offset from the start of the whole message.
struct ProtobufReader {
    let base: UnsafePointer<UInt8>
    var pos: Int
    let end: Int

    init(base: UnsafePointer<UInt8>, start: Int, end: Int) {
        self.base = base
        self.pos = start
        self.end = end
    }

    @inline(__always) var isAtEnd: Bool { pos >= end }

    @inline(__always)
    mutating func readVarint() throws(ProfileDecodingError) -> UInt64 {
        // Fast path: a single byte.
        if pos < end, base[pos] < 0x80 {
            let v = UInt64(base[pos])
            pos += 1
            return v
        }
        return try readVarintSlow()
    }

    mutating func readVarintSlow() throws(ProfileDecodingError) -> UInt64 {
        let start = pos
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw ProfileDecodingError(.truncatedVarint, offset: start) }
            let byte = base[pos]
            pos += 1
            if shift == 63 && byte > 1 { throw ProfileDecodingError(.overlongVarint, offset: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw ProfileDecodingError(.overlongVarint, offset: start) }
        }
    }

    /// Reads a field key; returns the field number and wire type.
    @inline(__always)
    mutating func readKey() throws(ProfileDecodingError) -> (field: UInt64, wire: WireType) {
        let start = pos
        let key = try readVarint()
        let field = key >> 3
        guard field >= 1 && field <= 536_870_911 else {
            throw ProfileDecodingError(.invalidFieldNumber(field), offset: start)
        }
        guard let wire = WireType(rawValue: UInt8(key & 7)), wire != .startGroup, wire != .endGroup else {
            throw ProfileDecodingError(.unsupportedWireType(Int(key & 7)), offset: start)
        }
        return (field, wire)
    }

    /// Reads a length prefix and returns the range of the payload, advancing past it.
    @inline(__always)
    mutating func readLengthDelimited() throws(ProfileDecodingError) -> Range<Int> {
        let start = pos
        let length = try readVarint()
        let remaining = end - pos
        guard length <= UInt64(remaining) else {
            throw ProfileDecodingError(.lengthPastEnd(length: length, remaining: remaining), offset: start)
        }
        let payloadStart = pos
        pos += Int(length)
        return payloadStart..<pos
    }

    mutating func skipFixed(_ width: Int) throws(ProfileDecodingError) {
        guard end - pos >= width else { throw ProfileDecodingError(.truncatedFixed(width: width), offset: pos) }
        pos += width
    }

    /// Skips the payload of a field whose key has just been read.
    mutating func skip(_ wire: WireType) throws(ProfileDecodingError) {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64: try skipFixed(8)
        case .fixed32: try skipFixed(4)
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup:
            throw ProfileDecodingError(.unsupportedWireType(Int(wire.rawValue)), offset: pos)
        }
    }

    /// Reads a singular varint field, rejecting other wire types.
    @inline(__always)
    mutating func readVarintField(_ field: UInt64, _ wire: WireType) throws(ProfileDecodingError) -> UInt64 {
        guard wire == .varint else {
            throw ProfileDecodingError(.wireTypeMismatch(field: field, wireType: Int(wire.rawValue)), offset: pos)
        }
        return try readVarint()
    }

    /// Reads a singular length-delimited field, rejecting other wire types.
    @inline(__always)
    mutating func readBytesField(_ field: UInt64, _ wire: WireType) throws(ProfileDecodingError) -> Range<Int> {
        guard wire == .lengthDelimited else {
            throw ProfileDecodingError(.wireTypeMismatch(field: field, wireType: Int(wire.rawValue)), offset: pos)
        }
        return try readLengthDelimited()
    }

    /// Reads one occurrence of a repeated varint field, packed (wire type 2) or not (wire type 0),
    /// appending the values through `append`.
    @inline(__always)
    mutating func readRepeatedVarint(
        _ field: UInt64, _ wire: WireType, _ append: (UInt64) -> Void
    ) throws(ProfileDecodingError) {
        switch wire {
        case .varint:
            append(try readVarint())
        case .lengthDelimited:
            let range = try readLengthDelimited()
            var sub = ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
            while !sub.isAtEnd { append(try sub.readVarint()) }
        default:
            throw ProfileDecodingError(.wireTypeMismatch(field: field, wireType: Int(wire.rawValue)), offset: pos)
        }
    }

    /// Counts the varints in a packed payload (to reserve capacity before decoding).
    @inline(__always)
    func countVarints(in range: Range<Int>) -> Int {
        var n = 0
        var i = range.lowerBound
        while i < range.upperBound {
            if base[i] < 0x80 { n += 1 }
            i += 1
        }
        return n
    }

    /// Decodes a packed varint payload straight into an exactly sized array.
    @inline(__always)
    func packedVarints<T>(_ range: Range<Int>, _ transform: (UInt64) -> T) throws(ProfileDecodingError) -> [T] {
        let capacity = countVarints(in: range)
        var failure: ProfileDecodingError?
        let result = [T](unsafeUninitializedCapacity: capacity) { buffer, count in
            var sub = subReader(range)
            do throws(ProfileDecodingError) {
                while !sub.isAtEnd {
                    let v = try sub.readVarint()
                    // Each complete varint ends in exactly one byte below 0x80, so this holds.
                    guard count < capacity else { return }
                    (buffer.baseAddress! + count).initialize(to: transform(v))
                    count += 1
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result
    }

    func subReader(_ range: Range<Int>) -> ProtobufReader {
        ProtobufReader(base: base, start: range.lowerBound, end: range.upperBound)
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }
}
