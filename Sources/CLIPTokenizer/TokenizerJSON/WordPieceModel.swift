/// WordPiece (BERT, Chinese-CLIP): greedy longest-match-first subwords, continuations prefixed with
/// `##`; a word with any unmatched remainder, or longer than `maxInputCharactersPerWord`, becomes
/// the unknown token. Same behaviour as `tokenizers`' `WordPiece`.
struct WordPieceModel: SubwordModel {
    let vocabulary: TokenVocabulary
    let unknownToken: String
    let continuingPrefix: String
    let maxInputCharactersPerWord: Int

    init(_ field: JSONField) throws {
        vocabulary = try SubwordModels.vocabulary(field["vocab"])
        unknownToken = try field["unk_token"].isNull ? "[UNK]" : field["unk_token"].string()
        continuingPrefix = try field["continuing_subword_prefix"].isNull ? "##" : field["continuing_subword_prefix"].string()
        maxInputCharactersPerWord = try field["max_input_chars_per_word"].int(default: 100)
    }

    /// A model over a `vocab.txt` (one token per line, the line number its id), as BERT's tokenizer
    /// reads it.
    init(vocabularyLines lines: [String], unknownToken: String = "[UNK]") {
        var vocabulary = TokenVocabulary()
        for (index, line) in lines.enumerated() { vocabulary.insert(line, id: index) }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        continuingPrefix = "##"
        maxInputCharactersPerWord = 100
    }

    func encode(_ piece: String) throws -> [Int] {
        // The unknown token is looked up only when needed, as `tokenizers` does.
        func unknown() throws -> [Int] {
            guard let id = vocabulary.id(unknownToken) else {
                throw TokenizerError.unencodableText(reason: "the WordPiece vocabulary lacks its unknown token \(unknownToken)")
            }
            return [id]
        }
        let scalars = Array(piece.unicodeScalars)
        guard scalars.count <= maxInputCharactersPerWord else { return try unknown() }
        // UTF-8 offset of each scalar boundary, so candidates are byte slices.
        let bytes = Array(piece.utf8)
        var boundaries = [0]
        for scalar in scalars { boundaries.append(boundaries.last! + UTF8.width(scalar)) }
        let prefix = Array(continuingPrefix.utf8)
        var result: [Int] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var match: Int?
            while start < end {
                let candidate = Array(bytes[boundaries[start]..<boundaries[end]])
                if let id = vocabulary.id(bytes: start > 0 ? prefix + candidate : candidate) {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else { return try unknown() }
            result.append(match)
            start = end
        }
        return result
    }

    func id(of token: String) -> Int? { vocabulary.id(token) }
    func token(of id: Int) -> String? { vocabulary.tokens[id] }
    var vocabularySize: Int { vocabulary.count }
}
