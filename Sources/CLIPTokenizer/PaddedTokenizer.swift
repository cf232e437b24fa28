import Foundation

/// A `tokenizer.json` (or BERT `vocab.txt`) tokenizer as the models call it: each text cleaned as
/// open_clip's `HFTokenizer` cleans it (when a cleaning is set), encoded with the special tokens,
/// truncated to the context length and padded with the pad token (`truncation=True,
/// padding="max_length"`).
public final class PaddedTokenizer: TextTokenizer {
    /// The tokenizer definition.
    public let tokenizer: HuggingFaceTokenizer
    /// Ids per text.
    public let contextLength: Int
    /// The id rows are padded with.
    public let padID: Int
    /// The cleaning applied first, if any.
    public let cleaning: TextCleaning?
    private let cleaner: TextCleaner

    /// A tokenizer over `tokenizer` making rows of `contextLength` ids padded with `padID`.
    public init(tokenizer: HuggingFaceTokenizer, contextLength: Int, padID: Int, cleaning: TextCleaning? = nil) throws {
        guard contextLength > tokenizer.specialTokenCount, contextLength <= HuggingFaceTokenizer.maximumLength else {
            throw TokenizerError.invalidContextLength(contextLength)
        }
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.padID = padID
        self.cleaning = cleaning
        cleaner = try TextCleaner()
    }

    /// "tokenizer.json " and the model type (`WordPiece`, `Unigram`, `BPE`).
    public var kind: String { "tokenizer.json \(tokenizer.modelType)" }

    /// Each text cleaned, encoded with the special tokens, truncated and padded to `contextLength`.
    public func tokenize(_ texts: [String]) throws -> [[Int]] {
        try texts.map { text in
            try tokenizer.encode(cleaning.map { cleaner(text, $0) } ?? text, length: contextLength, padding: padID)
        }
    }

    /// The pad token a Hugging Face tokenizer directory declares: `pad_token` of
    /// `tokenizer_config.json` or `special_tokens_map.json` (a string or `{"content": …}`), looked up
    /// in the tokenizer; else the `tokenizer.json` padding's id; else nil.
    public static func declaredPadID(directory: String, tokenizer: HuggingFaceTokenizer) -> Int? {
        for name in ["tokenizer_config.json", "special_tokens_map.json"] {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            let token = (root["pad_token"] as? String) ?? ((root["pad_token"] as? [String: Any])?["content"] as? String)
            if let token, let id = tokenizer.id(of: token) { return id }
        }
        return tokenizer.paddingID
    }
}
