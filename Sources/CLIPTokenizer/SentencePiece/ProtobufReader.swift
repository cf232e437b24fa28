/// A reader of Protocol Buffers' wire format, enough for SentencePiece's `ModelProto`: varints,
/// 32- and 64-bit fixed values and length-delimited fields; groups are refused. Every read is
/// bounds-checked, so truncated or hostile input throws instead of reading past the end.
struct ProtobufReader {
    struct FormatError: Error { let offset: Int; let reason: String }

    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)

        var integer: Int64? {
            if case let .varint(raw) = self { return Int64(bitPattern: raw) }
            return nil
        }
        var float: Float? {
            if case let .fixed32(raw) = self { return Float(bitPattern: raw) }
            return nil
        }
        var data: ArraySlice<UInt8>? {
            if case let .bytes(bytes) = self { return bytes }
            return nil
        }
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// The next field number and value, or nil at the end.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard position < bytes.endIndex else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        guard field > 0, field < (1 << 29) else { throw FormatError(offset: position, reason: "invalid field number \(field)") }
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(UInt64(try fixed(8))))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw FormatError(offset: position, reason: "a \(length)-byte field runs past the end")
            }
            let start = position
            position += Int(length)
            return (field, .bytes(bytes[start..<position]))
        case 5: return (field, .fixed32(UInt32(try fixed(4))))
        default: throw FormatError(offset: position, reason: "unsupported wire type \(key & 7)")
        }
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard position < bytes.endIndex else { throw FormatError(offset: position, reason: "truncated varint") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw FormatError(offset: position, reason: "varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return result }
        }
        throw FormatError(offset: position, reason: "varint longer than 10 bytes")
    }

    private mutating func fixed(_ width: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= width else { throw FormatError(offset: position, reason: "truncated fixed-width value") }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[position + index]) << UInt64(8 * index) }
        position += width
        return value
    }
}
