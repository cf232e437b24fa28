/// ftfy's byte-level transcoders, applied between encoding mojibake back to bytes and decoding
/// them as UTF-8.
enum ByteFixes {
    private static func continuationExceptA0(_ byte: UInt8) -> Bool {
        (0x80...0x84).contains(byte) || (0x86...0x9F).contains(byte) || (0xA1...0xBF).contains(byte)
    }

    private static func continuation(_ byte: UInt8) -> Bool { (0x80...0xBF).contains(byte) }

    /// `ALTERED_UTF8_RE.search`: UTF-8 sequences whose A0 byte seems to have become a space.
    static func containsAlteredUTF8(_ bytes: [UInt8]) -> Bool {
        (0..<bytes.count).contains { alteredUTF8Match(bytes, at: $0) != nil }
    }

    /// The length of the `ALTERED_UTF8_RE` match at `i`, trying its alternatives in order.
    private static func alteredUTF8Match(_ b: [UInt8], at i: Int) -> Int? {
        func at(_ k: Int, _ test: (UInt8) -> Bool) -> Bool { i + k < b.count && test(b[i + k]) }
        let space: (UInt8) -> Bool = { $0 == 0x20 }
        if at(0, { [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9].contains($0) }) && at(1, space) { return 2 }
        if at(0, { $0 == 0xE2 || $0 == 0xE3 }) && at(1, space) && at(2, continuationExceptA0) { return 3 }
        if at(0, { (0xE0...0xE3).contains($0) }) && at(1, continuationExceptA0) && at(2, space) { return 3 }
        if at(0, { $0 == 0xF0 }) {
            if at(1, space) && at(2, continuation) && at(3, continuation) { return 4 }
            if at(1, continuation) && at(2, space) && at(3, continuation) { return 4 }
            if at(1, continuation) && at(2, continuation) && at(3, space) { return 4 }
        }
        return nil
    }

    /// ftfy's `restore_byte_a0`: "Ã " not starting a Portuguese word becomes "à ", then spaces inside
    /// altered UTF-8 sequences become A0 again.
    static func restoreByteA0(_ bytes: [UInt8]) -> [UInt8] {
        // A_GRAVE_WORD_RE: C3 20 not followed by " ", "quele", "quela", "quilo" or "s ".
        let portugueseWords = [" ", "quele", "quela", "quilo", "s "].map { Array($0.utf8) }
        var step: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0xC3, i + 1 < bytes.count, bytes[i + 1] == 0x20,
               !portugueseWords.contains(where: { bytes[(i + 2)...].starts(with: $0) }) {
                step += [0xC3, 0xA0, 0x20]
                i += 2
            } else {
                step.append(bytes[i])
                i += 1
            }
        }
        var out: [UInt8] = []
        i = 0
        while i < step.count {
            if let length = alteredUTF8Match(step, at: i) {
                out += step[i..<(i + length)].map { $0 == 0x20 ? 0xA0 : $0 }
                i += length
            } else {
                out.append(step[i])
                i += 1
            }
        }
        return out
    }

    /// ftfy's `replace_lossy_sequences`: UTF-8-like sequences in which byte 1A (or "?") stands for
    /// lost bytes become the UTF-8 of U+FFFD.
    static func replaceLossySequences(_ bytes: [UInt8]) -> [UInt8] {
        let lost: (UInt8) -> Bool = { $0 == 0x1A || $0 == 0x3F }
        let lostOrContinuation: (UInt8) -> Bool = { $0 == 0x1A || (0x80...0xBF).contains($0) }
        let anyOfThese: (UInt8) -> Bool = { $0 == 0x1A || $0 == 0x3F || (0x80...0xBF).contains($0) }
        func match(_ b: [UInt8], _ i: Int) -> Int? {
            func at(_ k: Int, _ test: (UInt8) -> Bool) -> Bool { i + k < b.count && test(b[i + k]) }
            if at(0, { (0xC2...0xDF).contains($0) }) && at(1, { $0 == 0x1A }) { return 2 }
            if at(0, { $0 == 0xC2 || $0 == 0xC3 }) && at(1, { $0 == 0x3F }) { return 2 }
            if at(0, { $0 == 0xED }) && at(1, { (0xA0...0xAF).contains($0) }) && at(2, lost)
                && at(3, { $0 == 0xED }) && at(4, { (0xB0...0xBF).contains($0) }) && at(5, anyOfThese) { return 6 }
            if at(0, { $0 == 0xED }) && at(1, { (0xA0...0xAF).contains($0) }) && at(2, anyOfThese)
                && at(3, { $0 == 0xED }) && at(4, { (0xB0...0xBF).contains($0) }) && at(5, lost) { return 6 }
            if at(0, { (0xE0...0xEF).contains($0) }) && at(1, lost) && at(2, lostOrContinuation) { return 3 }
            if at(0, { (0xE0...0xEF).contains($0) }) && at(1, lostOrContinuation) && at(2, lost) { return 3 }
            if at(0, { (0xF0...0xF4).contains($0) }) {
                if at(1, lost) && at(2, lostOrContinuation) && at(3, lostOrContinuation) { return 4 }
                if at(1, lostOrContinuation) && at(2, lost) && at(3, lostOrContinuation) { return 4 }
                if at(1, lostOrContinuation) && at(2, lostOrContinuation) && at(3, lost) { return 4 }
            }
            if at(0, { $0 == 0x1A }) { return 1 }
            return nil
        }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if let length = match(bytes, i) {
                out += [0xEF, 0xBF, 0xBD]
                i += length
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
