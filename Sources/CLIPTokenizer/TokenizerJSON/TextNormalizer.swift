import Foundation

/// A `tokenizer.json` normaliser: the `normalizer` section, applied to text before it is split.
/// Same behaviour as the `tokenizers` library's normalisers of the same names.
indirect enum TextNormalizer {
    case sequence([TextNormalizer])
    /// BERT's: drop control characters and map whitespace to spaces, pad CJK ideographs with
    /// spaces, strip accents (NFD, then drop non-spacing marks), lowercase.
    case bert(cleanText: Bool, handleChineseCharacters: Bool, stripAccents: Bool, lowercase: Bool)
    case unicode(UnicodeNormalizationForm)
    case lowercase
    case stripAccents
    case strip(left: Bool, right: Bool)
    case replace(TextPattern, with: [Unicode.Scalar])
    case prepend([Unicode.Scalar])
    /// SentencePiece's compiled normalisation rules.
    case precompiled(PrecompiledCharsmap)
    /// SentencePiece's `nmt_nfkc` clean-up before NFKC: most C0 controls dropped, other controls,
    /// separators, zero-width marks, `▁` and U+FFFD made spaces.
    case nmt

    static func parse(_ field: JSONField) throws -> TextNormalizer? {
        if field.isNull { return nil }
        let type = try field["type"].string()
        switch type {
        case "Sequence":
            return .sequence(try field["normalizers"].array().compactMap { try parse($0) })
        case "BertNormalizer":
            let lowercase = try field["lowercase"].bool(default: true)
            return .bert(cleanText: try field["clean_text"].bool(default: true),
                         handleChineseCharacters: try field["handle_chinese_chars"].bool(default: true),
                         stripAccents: try field["strip_accents"].isNull ? lowercase : field["strip_accents"].bool(),
                         lowercase: lowercase)
        case "NFC", "NFD", "NFKC", "NFKD": return .unicode(UnicodeNormalizationForm(rawValue: type)!)
        case "Lowercase": return .lowercase
        case "Nmt": return .nmt
        case "StripAccents": return .stripAccents
        case "Strip": return .strip(left: try field["strip_left"].bool(default: true), right: try field["strip_right"].bool(default: true))
        case "Replace":
            return .replace(try TextPattern.parse(field["pattern"]), with: Array(try field["content"].string().unicodeScalars))
        case "Prepend": return .prepend(Array(try field["prepend"].string().unicodeScalars))
        case "Precompiled":
            let encoded = try field["precompiled_charsmap"].string()
            guard let data = Data(base64Encoded: encoded) else { throw field["precompiled_charsmap"].fail("not valid base64") }
            if data.isEmpty { return nil }
            do {
                return .precompiled(try PrecompiledCharsmap(data))
            } catch let error as PrecompiledCharsmap.FormatError {
                throw field["precompiled_charsmap"].fail(error.reason)
            }
        default:
            throw field["type"].fail("unsupported normalizer type \"\(type)\"")
        }
    }

    func callAsFunction(_ text: NormalizedText) -> NormalizedText {
        switch self {
        case let .sequence(normalizers):
            return normalizers.reduce(text) { $1($0) }
        case let .bert(cleanText, handleChineseCharacters, stripAccents, lowercase):
            var text = text
            if cleanText {
                text = text.mapped { c in
                    if c.value == 0 || c.value == 0xFFFD { return [] }
                    if c == "\t" || c == "\n" || c == "\r" { return [" "] }
                    if CharacterClasses.isOther(c) { return [] }
                    return CharacterClasses.isWhitespace(c) ? [" "] : [c]
                }
            }
            if handleChineseCharacters {
                text = text.mapped { CharacterClasses.isChineseCharacter($0) ? [" ", $0, " "] : [$0] }
            }
            if stripAccents {
                text = text.normalized(.nfd).filtered { $0.properties.generalCategory != .nonspacingMark }
            }
            if lowercase { text = text.mapped(CharacterClasses.lowercased) }
            return text
        case let .unicode(form):
            return text.normalized(form)
        case .nmt:
            return text.mapped { c in
                switch c.value {
                case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: return []
                case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: return [" "]
                default: return [c]
                }
            }
        case .lowercase:
            return text.mapped(CharacterClasses.lowercased)
        case .stripAccents:
            return text.filtered { $0.properties.generalCategory != .nonspacingMark }
        case let .strip(left, right):
            var start = 0, end = text.scalars.count
            if left { while start < end, CharacterClasses.isWhitespace(text.scalars[start]) { start += 1 } }
            if right { while end > start, CharacterClasses.isWhitespace(text.scalars[end - 1]) { end -= 1 } }
            var stripped = text.slice(start..<end)
            stripped.originalStart = text.originalStart
            return stripped
        case let .replace(pattern, replacement):
            return text.replacing(pattern.matches(in: text.scalars), with: replacement)
        case let .prepend(prefix):
            return text.isEmpty ? text : text.prepending(prefix)
        case let .precompiled(charsmap):
            return charsmap.normalize(text)
        }
    }
}

/// A `pattern` of `Replace` and `Split`: a literal string or a regular expression.
enum TextPattern {
    case string([Unicode.Scalar])
    case regex(NSRegularExpression)

    static func parse(_ field: JSONField) throws -> TextPattern {
        if !field["String"].isNull {
            let literal = Array(try field["String"].string().unicodeScalars)
            return .string(literal)
        }
        if !field["Regex"].isNull {
            let source = try field["Regex"].string()
            do {
                return .regex(try NSRegularExpression(pattern: source))
            } catch {
                throw field["Regex"].fail("cannot compile the regular expression \"\(source)\"")
            }
        }
        throw field.fail("expected {\"String\": …} or {\"Regex\": …}")
    }

    /// The non-overlapping matches, left to right, as scalar ranges. Empty matches are skipped.
    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case let .string(literal):
            guard !literal.isEmpty, literal.count <= scalars.count else { return [] }
            var ranges: [Range<Int>] = []
            var index = 0
            while index + literal.count <= scalars.count {
                if scalars[index] == literal[0], scalars[index..<(index + literal.count)].elementsEqual(literal) {
                    ranges.append(index..<(index + literal.count))
                    index += literal.count
                } else {
                    index += 1
                }
            }
            return ranges
        case let .regex(expression):
            // NSRegularExpression counts UTF-16 units; map them back to scalar offsets.
            let string = String(String.UnicodeScalarView(scalars))
            var scalarAtUTF16: [Int] = []
            scalarAtUTF16.reserveCapacity(string.utf16.count + 1)
            for (index, scalar) in scalars.enumerated() {
                for _ in 0..<UTF16.width(scalar) { scalarAtUTF16.append(index) }
            }
            scalarAtUTF16.append(scalars.count)
            return expression.matches(in: string, range: NSRange(location: 0, length: string.utf16.count)).compactMap { match in
                let range = match.range
                guard range.length > 0 else { return nil }
                return scalarAtUTF16[range.location]..<scalarAtUTF16[range.location + range.length]
            }
        }
    }
}
