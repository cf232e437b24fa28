/// The byte-level codecs of ftfy's encoding repair: the single-byte charmaps it tries, strict UTF-8,
/// and its "utf-8-variants" decoder (CESU-8 surrogate pairs, Java's C0 80 null).
struct ByteCodecs: Sendable {
    let tables: FixTextTables

    /// ftfy's `possible_encoding`: every character is ASCII other than U+001A, or the decoding of a
    /// byte 80–FF or 1A in `encoding`.
    func canEncode(_ text: [Unicode.Scalar], as encoding: String) -> Bool {
        guard let inverse = tables.encodeTables[encoding] else { return false }
        for scalar in text {
            let value = scalar.value
            if value < 0x80 && value != 0x1A { continue }
            guard let byte = inverse[value], byte >= 0x80 || byte == 0x1A else { return false }
        }
        return true
    }

    /// `text.encode(encoding)`, for text that `canEncode` accepted.
    func encode(_ text: [Unicode.Scalar], as encoding: String) -> [UInt8]? {
        guard let inverse = tables.encodeTables[encoding] else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        for scalar in text {
            guard let byte = inverse[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// Strict single-byte decoding (nil when a byte is undefined in `encoding`).
    func decode(_ bytes: [UInt8], as encoding: String) -> [Unicode.Scalar]? {
        guard let table = tables.decodeTables[encoding] else { return nil }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            guard let scalar = table[Int(byte)] else { return nil }
            out.append(scalar)
        }
        return out
    }

    /// Strict UTF-8, as Python's decoder: nil on any invalid, overlong, surrogate or truncated sequence.
    static func decodeUTF8<C: Collection>(_ bytes: C) -> [Unicode.Scalar]? where C.Element == UInt8 {
        var out: [Unicode.Scalar] = []
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): out.append(scalar)
            case .emptyInput: return out
            case .error: return nil
            }
        }
    }

    /// ftfy's "utf-8-variants": strict UTF-8, except that C0 80 decodes to U+0000 and a CESU-8
    /// surrogate pair (ED A0–AF 80–BF ED B0–BF 80–BF) to the astral character it encodes.
    static func decodeUTF8Variants(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        var start = 0
        var i = 0
        func flush(_ end: Int) -> Bool {
            guard start < end else { return true }
            guard let decoded = decodeUTF8(bytes[start..<end]) else { return false }
            out.append(contentsOf: decoded)
            return true
        }
        while i < bytes.count {
            if bytes[i] == 0xC0, i + 1 < bytes.count, bytes[i + 1] == 0x80 {
                guard flush(i) else { return nil }
                out.append("\u{0}")
                i += 2
                start = i
            } else if bytes[i] == 0xED, i + 1 >= bytes.count || (0xA0...0xBF).contains(bytes[i + 1]) {
                guard flush(i), i + 5 < bytes.count,
                      (0xA0...0xAF).contains(bytes[i + 1]), (0x80...0xBF).contains(bytes[i + 2]),
                      bytes[i + 3] == 0xED, (0xB0...0xBF).contains(bytes[i + 4]), (0x80...0xBF).contains(bytes[i + 5])
                else { return nil }
                let value = (UInt32(bytes[i + 1] & 0x0F) << 16) + (UInt32(bytes[i + 2] & 0x3F) << 10)
                    + (UInt32(bytes[i + 4] & 0x0F) << 6) + UInt32(bytes[i + 5] & 0x3F) + 0x10000
                guard let scalar = Unicode.Scalar(value) else { return nil }
                out.append(scalar)
                i += 6
                start = i
            } else {
                i += 1
            }
        }
        return flush(bytes.count) ? out : nil
    }
}
