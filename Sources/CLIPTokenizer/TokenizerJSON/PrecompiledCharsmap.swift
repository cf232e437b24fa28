import Foundation

/// SentencePiece's compiled normalisation rules (`precompiled_charsmap`): a Darts double-array trie
/// over UTF-8 bytes whose leaves point into a blob of NUL-terminated replacement strings.
///
/// Layout: a little-endian `UInt32` with the trie's size in bytes, the trie's 32-bit units, then the
/// replacement blob. Each unit packs a label (bits 0–7 and 31), a leaf flag (bit 8) and an offset
/// (bits 10–31, shifted left by 8 when bit 9 is set); a leaf's value is the low 31 bits of the unit
/// it points to.
struct PrecompiledCharsmap {
    struct FormatError: Error { let reason: String }

    private let units: [UInt32]
    private let replacements: [UInt8]

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw FormatError(reason: "shorter than its 4-byte header") }
        let trieSize = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        let unitCount = trieSize / 4
        guard unitCount >= 1, 4 + unitCount * 4 <= bytes.count else {
            throw FormatError(reason: "declares a \(trieSize)-byte trie but holds \(bytes.count - 4) bytes")
        }
        units = (0..<unitCount).map { index in
            let base = 4 + index * 4
            return UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24
        }
        replacements = Array(bytes[(4 + unitCount * 4)...])
        guard String(validating: replacements, as: UTF8.self) != nil else {
            throw FormatError(reason: "its replacement strings are not valid UTF-8")
        }
    }

    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    private static func value(_ unit: UInt32) -> Int { Int(unit & 0x7FFF_FFFF) }
    private static func label(_ unit: UInt32) -> UInt32 { unit & (0x8000_0000 | 0xFF) }
    private static func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }

    /// Walks the trie along `bytes`, calling `leaf(length, index)` at each prefix that has a rule
    /// (`index` points into the replacements) until it returns false. A NUL byte or a missing edge
    /// ends the walk, and so does a malformed unit, instead of reading out of bounds.
    private func walkPrefixes(_ bytes: some Sequence<UInt8>, _ leaf: (Int, Int) -> Bool) {
        var position = Self.offset(units[0])
        for (length, byte) in zip(1..., bytes) {
            if byte == 0 { return }
            position ^= Int(byte)
            guard position >= 0, position < units.count else { return }
            let unit = units[position]
            guard Self.label(unit) == UInt32(byte) else { return }
            position ^= Self.offset(unit)
            guard position >= 0, position < units.count else { return }
            if Self.hasLeaf(unit), !leaf(length, Self.value(units[position])) { return }
        }
    }

    /// The replacement of the shortest prefix of `key` that has a rule (SentencePiece's
    /// `common_prefix_search`, first result, as `tokenizers` reads it).
    private func shortestPrefixReplacement(_ key: [UInt8]) -> [UInt8]? {
        var result: [UInt8]?
        walkPrefixes(key) { _, index in
            result = replacement(at: index)
            return false
        }
        return result
    }

    private func replacement(at index: Int) -> [UInt8]? {
        guard index <= replacements.count else { return nil }
        var end = index
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        let bytes = Array(replacements[index..<end])
        // An index inside a character would be a broken string: treat it as no rule.
        return String(validating: bytes, as: UTF8.self) != nil ? bytes : nil
    }

    private func scalars(_ bytes: [UInt8]) -> [Unicode.Scalar] {
        Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
    }

    /// The normalised text, as `tokenizers` applies the rules: grapheme by grapheme, a grapheme of
    /// fewer than 6 UTF-8 bytes replaced whole by its rule when it has one, else scalar by scalar.
    func normalize(_ text: NormalizedText) -> NormalizedText {
        var out: [Unicode.Scalar] = [], origins: [Int] = []
        out.reserveCapacity(text.scalars.count)
        origins.reserveCapacity(text.scalars.count)
        var position = 0
        for grapheme in text.text {
            let graphemeScalars = Array(grapheme.unicodeScalars)
            let range = position..<(position + graphemeScalars.count)
            position = range.upperBound
            let utf8 = Array(String(grapheme).utf8)
            if utf8.count < 6, let replacement = shortestPrefixReplacement(utf8) {
                let replaced = scalars(replacement)
                out += replaced
                origins += Array(repeating: text.origins[range.lowerBound], count: replaced.count)
                continue
            }
            for index in range {
                let scalar = text.scalars[index]
                if let replacement = shortestPrefixReplacement(Array(String(scalar).utf8)) {
                    let replaced = scalars(replacement)
                    out += replaced
                    origins += Array(repeating: text.origins[index], count: replaced.count)
                } else {
                    out.append(scalar)
                    origins.append(text.origins[index])
                }
            }
        }
        return NormalizedText(out, origins: origins, originalStart: text.originalStart)
    }

    /// The longest prefix of `bytes` that has a rule: its length in bytes and its
    /// replacement (SentencePiece's `NormalizePrefix`).
    func longestPrefixReplacement(_ bytes: ArraySlice<UInt8>) -> (Int, [UInt8])? {
        var result: (Int, [UInt8])?
        walkPrefixes(bytes) { length, index in
            if let replacement = replacement(at: index) { result = (length, replacement) }
            return true
        }
        return result
    }
}
