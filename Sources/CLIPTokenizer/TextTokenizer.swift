/// What a model needs from its tokenizer: texts to rows of token ids of one fixed length, as the
/// model's reference tokenizer makes them (start and end tokens, truncation, padding).
///
/// `CLIPTokenizer` (OpenAI's byte-level BPE), `PaddedTokenizer` (a `tokenizer.json` or BERT
/// vocabulary, as open_clip's `HFTokenizer` and transformers call them) and `SigLIPTokenizer`
/// (transformers' `SiglipTokenizer` over a SentencePiece model) conform.
public protocol TextTokenizer: Sendable {
    /// Ids per text.
    var contextLength: Int { get }
    /// One row of `contextLength` ids per text, in order.
    func tokenize(_ texts: [String]) throws -> [[Int]]
    /// What kind of tokenizer this is, for reports (`"CLIP byte-level BPE"`, `"tokenizer.json Unigram"`).
    var kind: String { get }
    /// The id rows are padded with.
    var padID: Int { get }
}

extension CLIPTokenizer: TextTokenizer {
    /// `tokenize(_:contextLength:)` at the tokenizer's context length.
    public func tokenize(_ texts: [String]) -> [[Int]] { tokenize(texts, contextLength: nil) }

    /// "CLIP byte-level BPE".
    public var kind: String { "CLIP byte-level BPE" }
    /// The vocabulary's pad id (0 in open_clip's layout, the end token in Hugging Face's).
    public var padID: Int { vocabulary.padID }
}
