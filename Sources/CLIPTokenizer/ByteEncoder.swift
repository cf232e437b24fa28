/// CLIP's reversible byte ↔ character table (`bytes_to_unicode` in the reference).
///
/// Printable Latin-1 bytes stand for themselves; the other 68 bytes (controls, space, 0x7F–0xA0,
/// 0xAD) are moved to U+0100 and up, so that BPE symbols never contain whitespace or controls.
enum ByteEncoder {
    /// Bytes in the reference's order: printable ranges first, then the rest ascending. Vocabulary
    /// ids 0–255 follow this order.
    static let orderedBytes: [UInt8] = {
        var printable = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        let rest = (0...255).map(UInt8.init).filter { !printable.contains($0) }
        printable += rest
        return printable
    }()

    /// byte → character.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var shifted: UInt32 = 0
        for (index, byte) in orderedBytes.enumerated() {
            if index < 188 {
                table[Int(byte)] = Unicode.Scalar(byte)
            } else {
                table[Int(byte)] = Unicode.Scalar(256 + shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// character → byte.
    static let bytes: [Unicode.Scalar: UInt8] = {
        Dictionary(uniqueKeysWithValues: (0...255).map { (characters[$0], UInt8($0)) })
    }()
}
