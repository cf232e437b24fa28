/// The character predicates of `tokenizers` (Rust's `char` methods, the `unicode_categories` crate
/// and the `regex` crate's `\w`), on Unicode scalars.
enum CharacterClasses {
    /// Rust's `char::is_whitespace`: the White_Space property.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

    /// `is_other`: categories Cc, Cf, Cn, Co and Cs.
    static func isOther(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// `is_punctuation`: any P category.
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// BERT's punctuation: ASCII punctuation (which includes symbols such as `$` and `^`) or any P category.
    static func isBertPunctuation(_ c: Unicode.Scalar) -> Bool {
        (c.isASCII && isASCIIPunctuation(c)) || isPunctuation(c)
    }

    static func isASCIIPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: return false
        }
    }

    /// Rust's `char::is_numeric`: categories Nd, Nl and No.
    static func isNumeric(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// The `regex` crate's Unicode `\w`: Alphabetic, marks, Nd, Pc and Join_Control.
    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        let properties = c.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks BERT surrounds with spaces.
    static func isChineseCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }

    /// Rust's `char::to_lowercase`: the full (unconditional) lowercase mapping.
    static func lowercased(_ c: Unicode.Scalar) -> [Unicode.Scalar] {
        if c.isASCII {
            return [(0x41...0x5A).contains(c.value) ? Unicode.Scalar(c.value + 32)! : c]
        }
        return Array(c.properties.lowercaseMapping.unicodeScalars)
    }
}
