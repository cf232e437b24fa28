/// transformers' `SiglipTokenizer` (what a Hugging Face SigLIP directory's `spiece.model` is read
/// with): the text, prefixed with `▁`, is cut at the special tokens `</s>` and `<unk>` (spaces next
/// to them dropped); each other part is canonicalised (lower-cased, ASCII punctuation removed,
/// whitespace collapsed) and encoded by SentencePiece without its dummy prefix, behind a written-out
/// `<unk>` whose pieces are then dropped; `</s>` is appended, and the row truncated and padded with
/// `</s>` to the context length.
public final class SigLIPTokenizer: TextTokenizer {
    /// Ids per text (64 for SigLIP).
    public let contextLength: Int
    private let model: SentencePieceTokenizer
    private let cleaner: TextCleaner
    private let lowercase: Bool
    private let endID: Int
    /// The id rows are padded with (`</s>`, as SigLIP pads).
    public let padID: Int
    private let specials: [(text: [Unicode.Scalar], id: Int)]
    private let unknownPieceCount: Int

    /// The unknown and end tokens, as `SiglipTokenizer` names them.
    static let unknownToken = "<unk>", endToken = "</s>"

    /// A tokenizer over `model` producing rows of `contextLength` ids.
    public init(model: SentencePieceTokenizer, contextLength: Int, lowercase: Bool = true) throws {
        guard (2...HuggingFaceTokenizer.maximumLength).contains(contextLength) else { throw TokenizerError.invalidContextLength(contextLength) }
        guard let endID = model.id(of: Self.endToken) else {
            throw TokenizerError.invalidTokenizerFile(path: model.source, field: "pieces", reason: "no \(Self.endToken) piece, which SigLIP ends and pads texts with")
        }
        self.model = model
        self.contextLength = contextLength
        self.lowercase = lowercase
        self.endID = endID
        padID = endID
        cleaner = try TextCleaner()
        specials = [(Array(Self.endToken.unicodeScalars), endID), (Array(Self.unknownToken.unicodeScalars), model.unknownID)]
        unknownPieceCount = model.pieces(Self.unknownToken, addDummyPrefix: false).count
    }

    /// "SentencePiece Unigram (SigLIP)".
    public var kind: String { "SentencePiece Unigram (SigLIP)" }

    /// Each text as `SiglipTokenizer(text, padding="max_length", truncation=True)` gives it.
    public func tokenize(_ texts: [String]) throws -> [[Int]] {
        texts.map { text in
            var ids = encode(text)
            if ids.count > contextLength - 1 { ids = Array(ids.prefix(contextLength - 1)) }
            if ids.last != endID { ids.append(endID) }
            return ids + Array(repeating: padID, count: contextLength - ids.count)
        }
    }

    /// The ids of `text` without the end token and without truncation.
    func encode(_ text: String) -> [Int] {
        let prefixed = [Unicode.Scalar("\u{2581}")] + text.unicodeScalars.map { $0 == "\u{2581}" ? " " : $0 }
        var ids: [Int] = []
        var pieces: [[UInt8]] = []
        var chunkStart = 0
        var index = 0
        func flush(_ end: Int) {
            guard chunkStart < end else { return }
            let chunk = cleaner.canonicalize(Array(prefixed[chunkStart..<end]), order: .transformers, lowercase: lowercase)
            let encoded = model.pieces(Self.unknownToken + String(String.UnicodeScalarView(chunk)), addDummyPrefix: false)
            for piece in encoded.dropFirst(unknownPieceCount) {
                ids.append(model.id(bytes: piece.bytes))
                pieces.append(piece.bytes)
            }
        }
        while index < prefixed.count {
            guard let special = specials.first(where: { prefixed[index...].starts(with: $0.text) }) else {
                index += 1
                continue
            }
            // Special tokens strip the spaces on both sides (`lstrip` and `rstrip`).
            var end = index
            while end > chunkStart, cleaner.isSpace(prefixed[end - 1]) { end -= 1 }
            flush(end)
            ids.append(special.id)
            pieces.append(Array(String(String.UnicodeScalarView(special.text)).utf8))
            index += special.text.count
            while index < prefixed.count, cleaner.isSpace(prefixed[index]) { index += 1 }
            chunkStart = index
        }
        flush(prefixed.count)
        // A lone "▁" before a special token at the start is dropped, as `SiglipTokenizer.tokenize` does.
        if pieces.count > 1, pieces[0] == Array("\u{2581}".utf8),
           specials.contains(where: { Array(String(String.UnicodeScalarView($0.text)).utf8) == pieces[1] }) {
            ids.removeFirst()
        }
        return ids
    }
}
