import CLIPTokenizer
import Foundation

extension CLIPLoader {
    /// The tokenizer an open_clip configuration names (`text_cfg.hf_tokenizer_name`), read from the
    /// `tokenizer.json` in `directory` (Chinese-CLIP's from its `vocab.txt` too); nil when the
    /// configuration uses CLIP's BPE.
    public static func namedTokenizer(for configuration: CLIPConfiguration, directory: String) throws -> (any TextTokenizer)? {
        if configuration.family == .chineseCLIP {
            return try FamilyTokenizers.bert(directory: directory, contextLength: configuration.text.contextLength)
        }
        guard configuration.text.tokenizerName != nil else { return nil }
        return try FamilyTokenizers.openCLIP(directory: directory, text: configuration.text)
    }

    /// The tokenizer files present in `directory` (`tokenizer.json` and its configs, `spiece.model`).
    public static func tokenizerFiles(in directory: String) -> [String] { FamilyTokenizers.files(in: directory) }
}

/// The tokenizers of the model families that do not use CLIP's BPE, found in their directories.
enum FamilyTokenizers {
    /// A Hugging Face SigLIP directory: `spiece.model` read as transformers' `SiglipTokenizer` does
    /// (lower-casing unless `tokenizer_config.json` sets `do_lower_case` false), else a
    /// `tokenizer.json` padded with its declared pad token.
    static func sigLIP(directory: String, contextLength: Int) throws -> any TextTokenizer {
        let spiece = (directory as NSString).appendingPathComponent("spiece.model")
        let json = (directory as NSString).appendingPathComponent(CheckpointLayout.FileName.huggingFaceTokenizer)
        if FileManager.default.fileExists(atPath: spiece) {
            let model = try SentencePieceTokenizer(contentsOf: spiece)
            return try SigLIPTokenizer(model: model, contextLength: contextLength, lowercase: lowercase(directory: directory) ?? true)
        }
        if FileManager.default.fileExists(atPath: json) {
            return try padded(try HuggingFaceTokenizer(contentsOf: json), directory: directory, contextLength: contextLength)
        }
        throw ModelError.missingTokenizer(path: directory, expected: "spiece.model or tokenizer.json")
    }

    /// A Hugging Face BERT tokenizer directory (Chinese-CLIP): `tokenizer.json` if present, else
    /// `vocab.txt` read as `BertTokenizerFast` (lower-casing unless `tokenizer_config.json` sets
    /// `do_lower_case` false), padded with its pad token.
    static func bert(directory: String, contextLength: Int) throws -> any TextTokenizer {
        let json = (directory as NSString).appendingPathComponent(CheckpointLayout.FileName.huggingFaceTokenizer)
        let vocabulary = (directory as NSString).appendingPathComponent("vocab.txt")
        let tokenizer: HuggingFaceTokenizer
        if FileManager.default.fileExists(atPath: json) {
            tokenizer = try HuggingFaceTokenizer(contentsOf: json)
        } else if FileManager.default.fileExists(atPath: vocabulary) {
            tokenizer = try HuggingFaceTokenizer(bertVocabulary: vocabulary, lowercase: lowercase(directory: directory) ?? true)
        } else {
            throw ModelError.missingTokenizer(path: directory, expected: "tokenizer.json or vocab.txt")
        }
        return try padded(tokenizer, directory: directory, contextLength: contextLength)
    }

    /// An open_clip directory whose text tower names a Hugging Face tokenizer (`hf_tokenizer_name`):
    /// the directory's `tokenizer.json` (open_clip's Hub exports carry it), cleaned with
    /// `tokenizer_kwargs.clean` and padded with its declared pad token, as open_clip's `HFTokenizer`.
    static func openCLIP(directory: String, text: TextConfiguration) throws -> any TextTokenizer {
        let json = (directory as NSString).appendingPathComponent(CheckpointLayout.FileName.huggingFaceTokenizer)
        guard FileManager.default.fileExists(atPath: json) else {
            throw ModelError.missingTokenizer(path: directory, expected: "tokenizer.json (of \(text.tokenizerName ?? "the text tower's tokenizer"))")
        }
        var tokenizer = try HuggingFaceTokenizer(contentsOf: json)
        let settings = tokenizerSettings(directory: directory) ?? [:]
        if let tokenizerClass = settings["tokenizer_class"] as? String ?? tokenizerClass(ofModelIn: directory) {
            tokenizer = tokenizer.asTransformersClass(tokenizerClass, addPrefixSpace: settings["add_prefix_space"] as? Bool ?? true)
        }
        return try padded(tokenizer, directory: directory, contextLength: text.contextLength,
                          cleaning: text.tokenizerCleaning.flatMap(TextCleaning.init(rawValue:)) ?? .whitespace)
    }

    /// `tokenizer` padded to `contextLength` with the pad token `directory` declares for it.
    private static func padded(_ tokenizer: HuggingFaceTokenizer, directory: String, contextLength: Int,
                               cleaning: TextCleaning? = nil) throws -> PaddedTokenizer {
        guard let padID = PaddedTokenizer.declaredPadID(directory: directory, tokenizer: tokenizer) else {
            throw ModelError.invalidConfiguration(path: tokenizer.source, reason: "no pad token is declared (tokenizer_config.json pad_token or the padding section)")
        }
        return try PaddedTokenizer(tokenizer: tokenizer, contextLength: contextLength, padID: padID, cleaning: cleaning)
    }

    /// The tokenizer files a family's tokenizer may be read from, in the order they are looked for.
    static let fileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model", "vocab.txt"]

    /// Those of `fileNames` present in `directory`, as paths.
    static func files(in directory: String) -> [String] {
        fileNames.map { (directory as NSString).appendingPathComponent($0) }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// `do_lower_case` of `tokenizer_config.json`, if the file says.
    static func lowercase(directory: String) -> Bool? {
        tokenizerSettings(directory: directory)?["do_lower_case"] as? Bool
    }

    /// The tokenizer class `AutoTokenizer` picks from a model's `config.json` when
    /// `tokenizer_config.json` names none (the Hub's `xlm-roberta-base`), for the classes whose
    /// pipeline transformers rebuilds.
    static func tokenizerClass(ofModelIn directory: String) -> String? {
        let modelType = optionalObject(directory, CheckpointLayout.FileName.huggingFaceConfiguration)?["model_type"] as? String
        return ["xlm-roberta": "XLMRobertaTokenizer"][modelType ?? ""]
    }

    /// `tokenizer_config.json` in `directory`, if it is there and a JSON object.
    static func tokenizerSettings(directory: String) -> [String: Any]? {
        optionalObject(directory, CheckpointLayout.FileName.huggingFaceTokenizerConfiguration)
    }

    /// The JSON object in `directory/name`; nil when the file is absent or not an object (these
    /// settings are optional, and their absence means transformers' defaults).
    private static func optionalObject(_ directory: String, _ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}
