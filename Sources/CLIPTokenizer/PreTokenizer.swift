/// The reference's split pattern, applied as `regex.findall` with IGNORECASE:
/// `<special>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`.
struct PreTokenizer: Sendable {
    /// One piece of text, and whether it is a special token written out in the text.
    struct Piece: Equatable {
        let scalars: ArraySlice<Unicode.Scalar>
        let isSpecial: Bool
    }

    let specialTokens: [[Unicode.Scalar]]
    let isSpace: @Sendable (Unicode.Scalar) -> Bool

    private static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }

    func pieces(_ text: [Unicode.Scalar]) -> [Piece] {
        var pieces: [Piece] = []
        var i = 0
        while i < text.count {
            if let special = specialTokens.first(where: { matchesIgnoringCase($0, text, at: i) }) {
                pieces.append(Piece(scalars: text[i..<(i + special.count)], isSpecial: true))
                i += special.count
            } else if let contraction = Self.contractions.first(where: { matchesIgnoringCase($0, text, at: i) }) {
                pieces.append(Piece(scalars: text[i..<(i + contraction.count)], isSpecial: false))
                i += contraction.count
            } else if Self.isLetter(text[i]) {
                var j = i + 1
                while j < text.count && Self.isLetter(text[j]) { j += 1 }
                pieces.append(Piece(scalars: text[i..<j], isSpecial: false))
                i = j
            } else if Self.isNumber(text[i]) {
                pieces.append(Piece(scalars: text[i..<(i + 1)], isSpecial: false))
                i += 1
            } else if text[i] == "\u{345}" {
                // COMBINING GREEK YPOGEGRAMMENI case-folds to ι; under IGNORECASE the regex module
                // then keeps it out of [^\s\p{L}\p{N}] without letting it into [\p{L}], so no
                // alternative matches it and findall skips it (the only such character).
                i += 1
            } else if !isSpace(text[i]) {
                var j = i + 1
                while j < text.count && !isSpace(text[j]) && !Self.isLetter(text[j]) && !Self.isNumber(text[j])
                        && text[j] != "\u{345}" { j += 1 }
                pieces.append(Piece(scalars: text[i..<j], isSpecial: false))
                i = j
            } else {
                i += 1
            }
        }
        return pieces
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Case-insensitive literal match, with the simple case folds that reach these ASCII patterns
    /// (ſ folds to s, the Kelvin sign to k).
    private func matchesIgnoringCase(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + pattern.count <= text.count else { return false }
        for (offset, expected) in pattern.enumerated() where Self.fold(text[start + offset]) != Self.fold(expected) {
            return false
        }
        return true
    }

    private static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x41...0x5A: return Unicode.Scalar(scalar.value + 32)!
        case 0x17F: return "s"
        case 0x212A: return "k"
        default: return scalar
        }
    }
}
