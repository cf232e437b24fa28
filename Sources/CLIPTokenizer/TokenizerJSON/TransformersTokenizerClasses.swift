/// transformers 5 builds the pipeline of some tokenizer classes itself and reads only the
/// vocabulary, the special tokens and (for SentencePiece models) the precompiled charsmap from
/// `tokenizer.json`. Models tokenized through transformers (open_clip's `HFTokenizer` is
/// `AutoTokenizer`) get that class's pipeline, which can differ from the file's on control
/// characters, zero-width spaces and runs of whitespace.
extension HuggingFaceTokenizer {
    /// The classes whose pipeline transformers rebuilds, as `tokenizer_config.json` names them.
    public static let rebuiltTransformersClasses: Set<String> = ["XLMRobertaTokenizer", "XLMRobertaTokenizerFast"]

    /// This tokenizer as transformers' `tokenizerClass` builds it from the same file; itself for a
    /// class whose pipeline transformers takes from the file.
    ///
    /// `XLMRobertaTokenizer`: the file's `Precompiled` normaliser alone (none if it has none), then
    /// whitespace splitting and `▁` prepended to each word (`add_prefix_space`).
    public func asTransformersClass(_ tokenizerClass: String, addPrefixSpace: Bool = true) -> HuggingFaceTokenizer {
        guard Self.rebuiltTransformersClasses.contains(tokenizerClass) else { return self }
        return HuggingFaceTokenizer(
            source: source, model: model, addedTokens: addedTokens, normalizer: normalizer.flatMap(Self.precompiledPart),
            preTokenizer: .sequence([.whitespaceSplit, .metaspace(replacement: "\u{2581}", prependScheme: addPrefixSpace ? .always : .never, split: true)]),
            postProcessor: postProcessor, paddingID: paddingID, truncatesLeft: truncatesLeft, padsLeft: padsLeft)
    }

    private static func precompiledPart(_ normalizer: TextNormalizer) -> TextNormalizer? {
        switch normalizer {
        case .precompiled: return normalizer
        case let .sequence(parts): return parts.lazy.compactMap(precompiledPart).first
        default: return nil
        }
    }
}
