import Foundation

/// A tokenizer defined by a Hugging Face `tokenizer.json` (the `tokenizers` library's format, shipped
/// with SigLIP, SigLIP 2, Chinese-CLIP and XLM-R models), producing the same ids as `tokenizers`.
///
/// Text passes through the file's added tokens, `normalizer`, `pre_tokenizer`, `model` (WordPiece,
/// Unigram, BPE with byte fallback, WordLevel) and `post_processor`; `encode(_:length:)` then
/// truncates and pads as transformers' `truncation=True, padding="max_length"` does.
///
/// ```swift
/// let tokenizer = try HuggingFaceTokenizer(contentsOf: "siglip/tokenizer.json")
/// let ids = try tokenizer.encode("a photo of a cat", length: 64)   // 64 ids, padded
/// ```
///
/// Immutable after loading, so it is safe to share between threads.
public final class HuggingFaceTokenizer: @unchecked Sendable {
    // @unchecked: NSRegularExpression (in patterns) is documented thread-safe for matching.

    /// Where the definition came from (for messages).
    public let source: String
    let addedTokens: AddedTokens
    let normalizer: TextNormalizer?
    let preTokenizer: TextPreTokenizer?
    let model: any SubwordModel
    let postProcessor: PostProcessor?
    /// The id the file pads with (its `padding.pad_id`), if it says.
    public let paddingID: Int?
    let truncatesLeft: Bool
    let padsLeft: Bool

    /// Files larger than this are refused (the largest published `tokenizer.json`, Gemma's, is 34 MB).
    public static let maximumFileSize = 256 << 20

    /// Reads `tokenizer.json` at `path`.
    public convenience init(contentsOf path: String) throws {
        try self.init(data: TextInput.readFile(path, limit: Self.maximumFileSize, describing: "a tokenizer.json"), source: path)
    }

    /// Parses a `tokenizer.json` document; `source` names it in errors.
    public convenience init(data: Data, source: String) throws {
        let root: JSONValue
        do {
            root = try JSONValue.parse([UInt8](data))
        } catch let error as JSONValue.SyntaxError {
            throw TokenizerError.invalidTokenizerFile(path: source, field: "byte \(error.offset)", reason: error.reason)
        }
        let file = JSONField(root: root, file: source)
        _ = try file.members()
        let truncation = file["truncation"], padding = file["padding"]
        self.init(source: source, model: try SubwordModels.parse(file["model"]), addedTokens: try AddedTokens(file["added_tokens"]),
                  normalizer: try TextNormalizer.parse(file["normalizer"]), preTokenizer: try TextPreTokenizer.parse(file["pre_tokenizer"]),
                  postProcessor: try PostProcessor.parse(file["post_processor"]),
                  paddingID: try padding.isNull ? nil : padding["pad_id"].int(default: 0),
                  truncatesLeft: try !truncation.isNull && truncation["direction"].optionalString() == "Left",
                  padsLeft: try !padding.isNull && padding["direction"].optionalString() == "Left")
    }

    /// BERT's WordPiece tokenizer from a `vocab.txt` (Chinese-CLIP ships only that), as
    /// transformers' `BertTokenizerFast` builds it: BERT normalisation (lower-casing and accent
    /// stripping when `lowercase`), BERT pre-tokenisation, `[CLS] … [SEP]`, `[PAD]` padding.
    public convenience init(bertVocabulary path: String, lowercase: Bool = true) throws {
        let lines = try TextInput.lines(of: TextInput.readUTF8File(path))
        guard !lines.isEmpty else { throw TokenizerError.invalidVocabulary(path: path, reason: "the vocabulary is empty") }
        let model = WordPieceModel(vocabularyLines: lines)
        func required(_ token: String) throws -> Int {
            guard let id = model.id(of: token) else { throw TokenizerError.invalidVocabulary(path: path, reason: "\(token) is not in the vocabulary") }
            return id
        }
        let specials = try ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map { token in
            AddedTokens.Token(id: try required(token), content: Array(token.unicodeScalars), singleWord: false, leftStrip: false,
                              rightStrip: false, normalized: false, special: true)
        }
        self.init(source: path, model: model, addedTokens: AddedTokens(specials),
                  normalizer: .bert(cleanText: true, handleChineseCharacters: true, stripAccents: lowercase, lowercase: lowercase),
                  preTokenizer: .bert, postProcessor: .around(prefix: [specials[2].id], suffix: [specials[3].id]),
                  paddingID: specials[0].id, truncatesLeft: false, padsLeft: false)
    }

    init(source: String, model: any SubwordModel, addedTokens: AddedTokens, normalizer: TextNormalizer?, preTokenizer: TextPreTokenizer?,
         postProcessor: PostProcessor?, paddingID: Int?, truncatesLeft: Bool, padsLeft: Bool) {
        self.source = source
        self.model = model
        self.addedTokens = addedTokens
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.paddingID = paddingID
        self.truncatesLeft = truncatesLeft
        self.padsLeft = padsLeft
    }

    /// The longest sequence `encode(_:length:)` produces.
    public static let maximumLength = 1 << 20

    /// Ids per text that the post-processor adds (`[CLS]` and `[SEP]`: 2).
    public var specialTokenCount: Int { postProcessor?.addedCount ?? 0 }

    /// The ids of `text`, with the post-processor's special tokens unless told otherwise; no
    /// truncation or padding.
    public func encode(_ text: String, addingSpecialTokens: Bool = true) throws -> [Int] {
        let ids = try encodeWithoutSpecialTokens(text)
        return addingSpecialTokens ? (postProcessor?(ids) ?? ids) : ids
    }

    /// Exactly `length` ids: the text's ids truncated so that they fit with the special tokens, the
    /// special tokens added, then padding with `paddingID` (the file's, else `padding`).
    public func encode(_ text: String, length: Int, padding: Int? = nil) throws -> [Int] {
        let added = specialTokenCount
        guard length > added, length <= Self.maximumLength else {
            throw TokenizerError.invalidContextLength(length)
        }
        var ids = try encodeWithoutSpecialTokens(text)
        if ids.count > length - added {
            ids = truncatesLeft ? Array(ids.suffix(length - added)) : Array(ids.prefix(length - added))
        }
        ids = postProcessor?(ids) ?? ids
        let pad = Array(repeating: padding ?? paddingID ?? 0, count: length - ids.count)
        return padsLeft ? pad + ids : ids + pad
    }

    /// The id of a token (added tokens first), if it has one.
    public func id(of token: String) -> Int? {
        let scalars = Array(token.unicodeScalars)
        return addedTokens.tokens.last(where: { $0.content == scalars })?.id ?? model.id(of: token)
    }

    /// The token of `id`, if any.
    public func token(of id: Int) -> String? {
        if let added = addedTokens.tokens.last(where: { $0.id == id }) { return String(String.UnicodeScalarView(added.content)) }
        return model.token(of: id)
    }

    /// The model's type as `tokenizer.json` names it (`WordPiece`, `Unigram`, `BPE`, `WordLevel`).
    public var modelType: String {
        switch model {
        case is WordPieceModel: return "WordPiece"
        case is UnigramModel: return "Unigram"
        case is BytePairModel: return "BPE"
        default: return "WordLevel"
        }
    }

    /// The size of the id space: the model's vocabulary and the added tokens.
    public var vocabularySize: Int {
        max(model.vocabularySize, (addedTokens.tokens.map(\.id).max() ?? -1) + 1)
    }

    private func encodeWithoutSpecialTokens(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for segment in addedTokens.splitRaw(Array(text.unicodeScalars)) {
            switch segment {
            case let .token(id):
                ids.append(id)
            case let .text(scalars, offset):
                var normalized = NormalizedText(segment: scalars, offset: offset)
                if let normalizer { normalized = normalizer(normalized) }
                for (piece, token) in addedTokens.splitNormalized(normalized) {
                    if let token { ids.append(token); continue }
                    guard let piece else { continue }
                    let pieces = preTokenizer.map { $0([piece]) } ?? [piece]
                    for piece in pieces where !piece.isEmpty {
                        ids += try model.encode(piece.text)
                    }
                }
            }
        }
        return ids
    }
}
