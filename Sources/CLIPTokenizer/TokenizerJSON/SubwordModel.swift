/// The `model` of a `tokenizer.json`: maps one pre-tokenised piece to token ids.
protocol SubwordModel: Sendable {
    /// The ids of `piece` (never empty for a non-empty piece).
    func encode(_ piece: String) throws -> [Int]
    /// The id of a whole token, if the vocabulary has it.
    func id(of token: String) -> Int?
    /// The token of `id`, if any.
    func token(of id: Int) -> String?
    /// The number of ids.
    var vocabularySize: Int { get }
}

enum SubwordModels {
    /// The model described by the `model` section.
    static func parse(_ field: JSONField) throws -> any SubwordModel {
        guard !field.isNull else { throw field.fail("missing") }
        // Files written before `type` was added to the model section are BPE when they have merges.
        let type = field["type"].isNull ? (field["merges"].isNull ? "WordPiece" : "BPE") : try field["type"].string()
        switch type {
        case "WordPiece": return try WordPieceModel(field)
        case "Unigram": return try UnigramModel(field)
        case "BPE": return try BytePairModel(field)
        case "WordLevel": return try WordLevelModel(field)
        default: throw field["type"].fail("unsupported model type \"\(type)\"")
        }
    }

    /// A `{token: id}` vocabulary with non-negative ids (a repeated token keeps its last id, as serde reads it).
    static func vocabulary(_ field: JSONField) throws -> TokenVocabulary {
        let members = try field.members()
        guard !members.isEmpty else { throw field.fail("the vocabulary is empty") }
        var vocabulary = TokenVocabulary()
        vocabulary.ids.reserveCapacity(members.count)
        for (token, value) in members {
            vocabulary.insert(token, id: try value.int())
        }
        return vocabulary
    }
}

/// Tokens and ids, keyed by their exact UTF-8 bytes (Swift's `String` equality is canonical
/// equivalence, under which distinct vocabulary entries would collide).
struct TokenVocabulary: Sendable {
    var ids: [[UInt8]: Int] = [:]
    var tokens: [Int: String] = [:]

    mutating func insert(_ token: String, id: Int) {
        ids[Array(token.utf8)] = id
        tokens[id] = token
    }

    func id(_ token: String) -> Int? { ids[Array(token.utf8)] }
    func id(bytes: [UInt8]) -> Int? { ids[bytes] }
    var count: Int { tokens.count }

    /// The ids of the byte-fallback tokens `<0x00>` … `<0xFF>`, where the vocabulary has them.
    func byteTokenIDs() -> [Int?] {
        let hex = Array("0123456789ABCDEF")
        return (0...255).map { byte in id("<0x\(hex[byte >> 4])\(hex[byte & 15])>") }
    }

    /// The byte-fallback ids of `bytes`, or nil when one is missing.
    static func byteFallback(_ bytes: some Sequence<UInt8>, ids: [Int?]) -> [Int]? {
        var result: [Int] = []
        for byte in bytes {
            guard let id = ids[Int(byte)] else { return nil }
            result.append(id)
        }
        return result
    }
}

/// A vocabulary lookup and nothing else (`WordLevel`): unknown pieces become the unknown token.
struct WordLevelModel: SubwordModel {
    let vocabulary: TokenVocabulary
    let unknownToken: String?

    init(_ field: JSONField) throws {
        vocabulary = try SubwordModels.vocabulary(field["vocab"])
        unknownToken = try field["unk_token"].optionalString()
    }

    func encode(_ piece: String) throws -> [Int] {
        if let id = vocabulary.id(piece) { return [id] }
        guard let unknownToken, let unknown = vocabulary.id(unknownToken) else {
            throw TokenizerError.unencodableText(reason: "\"\(piece)\" is not in the vocabulary and there is no unknown token")
        }
        return [unknown]
    }

    func id(of token: String) -> Int? { vocabulary.id(token) }
    func token(of id: Int) -> String? { vocabulary.tokens[id] }
    var vocabularySize: Int { vocabulary.count }
}
