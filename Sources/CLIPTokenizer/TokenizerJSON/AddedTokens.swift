/// The `added_tokens` of a `tokenizer.json` (special tokens such as `[CLS]`, `<mask>`): found in the
/// text before the model sees it and encoded as their ids. Tokens marked `normalized: false` are
/// found in the raw text, the others in the normalised text; matching is leftmost-longest, as
/// `tokenizers`' `AddedVocabulary` does.
struct AddedTokens {
    struct Token {
        let id: Int
        let content: [Unicode.Scalar]
        let singleWord: Bool
        let leftStrip: Bool
        let rightStrip: Bool
        let normalized: Bool
        let special: Bool
    }

    /// A stretch of text: either an added token's id or text for the model.
    enum Segment {
        case token(Int)
        case text([Unicode.Scalar], offset: Int)
    }

    let tokens: [Token]
    private let raw: [Token]
    private let afterNormalization: [Token]

    init(_ field: JSONField) throws {
        var tokens: [Token] = []
        if !field.isNull {
            for entry in try field.array() {
                let content = Array(try entry["content"].string().unicodeScalars)
                guard !content.isEmpty else { throw entry["content"].fail("an added token cannot be empty") }
                tokens.append(Token(id: try entry["id"].int(), content: content,
                                    singleWord: try entry["single_word"].bool(default: false),
                                    leftStrip: try entry["lstrip"].bool(default: false),
                                    rightStrip: try entry["rstrip"].bool(default: false),
                                    normalized: try entry["normalized"].bool(default: !(try entry["special"].bool(default: false))),
                                    special: try entry["special"].bool(default: false)))
            }
        }
        self.init(tokens)
    }

    init(_ tokens: [Token]) {
        self.tokens = tokens
        // Longest first, so the first match at a position is the longest.
        raw = tokens.filter { !$0.normalized }.sorted { $0.content.count > $1.content.count }
        afterNormalization = tokens.filter(\.normalized).sorted { $0.content.count > $1.content.count }
    }

    /// `text` cut at the added tokens found in it without normalisation.
    func splitRaw(_ text: [Unicode.Scalar]) -> [Segment] {
        Self.split(text, offset: 0, candidates: raw)
    }

    /// Normalised text cut at the added tokens that are matched after normalisation.
    func splitNormalized(_ text: NormalizedText) -> [(NormalizedText?, Int?)] {
        guard !afterNormalization.isEmpty else { return [(text, nil)] }
        var result: [(NormalizedText?, Int?)] = []
        var position = 0
        for (range, id) in Self.matches(text.scalars, candidates: afterNormalization) {
            if position < range.lowerBound { result.append((text.slice(position..<range.lowerBound), nil)) }
            result.append((nil, id))
            position = range.upperBound
        }
        if position < text.scalars.count || result.isEmpty { result.append((text.slice(position..<text.scalars.count), nil)) }
        return result
    }

    private static func split(_ text: [Unicode.Scalar], offset: Int, candidates: [Token]) -> [Segment] {
        guard !candidates.isEmpty, !text.isEmpty else { return [.text(text, offset: offset)] }
        var segments: [Segment] = []
        var position = 0
        for (range, id) in matches(text, candidates: candidates) {
            if position < range.lowerBound { segments.append(.text(Array(text[position..<range.lowerBound]), offset: offset + position)) }
            segments.append(.token(id))
            position = range.upperBound
        }
        if position < text.count { segments.append(.text(Array(text[position...]), offset: offset + position)) }
        return segments
    }

    /// Leftmost-longest matches, widened over the whitespace that `lstrip` / `rstrip` tokens absorb.
    private static func matches(_ text: [Unicode.Scalar], candidates: [Token]) -> [(Range<Int>, Int)] {
        var found: [(Range<Int>, Int)] = []
        var consumed = 0
        var index = 0
        while index < text.count {
            guard let token = candidates.first(where: { token in
                index + token.content.count <= text.count && text[index..<(index + token.content.count)].elementsEqual(token.content)
            }) else {
                index += 1
                continue
            }
            var start = index, stop = index + token.content.count
            if token.singleWord {
                let startsWord = start == 0 || !CharacterClasses.isWordCharacter(text[start - 1])
                let endsWord = stop == text.count || !CharacterClasses.isWordCharacter(text[stop])
                guard startsWord && endsWord else {
                    index = stop   // the search resumes after the discarded match
                    continue
                }
            }
            if token.leftStrip {
                while start > consumed, CharacterClasses.isWhitespace(text[start - 1]) { start -= 1 }
            }
            if token.rightStrip {
                while stop < text.count, CharacterClasses.isWhitespace(text[stop]) { stop += 1 }
            }
            found.append((start..<stop, token.id))
            consumed = stop
            index = stop
        }
        return found
    }
}
