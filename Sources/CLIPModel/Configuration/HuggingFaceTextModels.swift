import CLIPNN
import Foundation

/// The sizes of the Hugging Face text models open_clip's `hf_model_name` towers are built from,
/// as their `config.json` states them: read from such a file, or known by name for the published
/// towers, whose configurations live on the Hub apart from the CLIP weights.
enum HuggingFaceTextModels {
    /// What a `BertConfig` / `XLMRobertaConfig` says about the tower.
    struct Sizes: Equatable {
        var modelType: String
        var vocabSize: Int
        var width: Int
        var layers: Int
        var heads: Int
        var intermediateSize: Int
        var maxPositions: Int
        var typeVocabSize: Int
        var padID: Int
        var normEpsilon: Double
        var activation: Activation
    }

    /// The towers of open_clip's pretrained multilingual and RoBERTa models.
    static let known: [String: Sizes] = [
        "xlm-roberta-base": Sizes(modelType: "xlm-roberta", vocabSize: 250_002, width: 768, layers: 12, heads: 12, intermediateSize: 3072,
                                  maxPositions: 514, typeVocabSize: 1, padID: 1, normEpsilon: 1e-5, activation: .gelu),
        "xlm-roberta-large": Sizes(modelType: "xlm-roberta", vocabSize: 250_002, width: 1024, layers: 24, heads: 16, intermediateSize: 4096,
                                   maxPositions: 514, typeVocabSize: 1, padID: 1, normEpsilon: 1e-5, activation: .gelu),
        "roberta-base": Sizes(modelType: "roberta", vocabSize: 50_265, width: 768, layers: 12, heads: 12, intermediateSize: 3072,
                              maxPositions: 514, typeVocabSize: 1, padID: 1, normEpsilon: 1e-5, activation: .gelu),
    ]

    /// The sizes of `name`: a known model, else the `config.json` in `modelDirectory` (the model's
    /// own files, fetched from the Hub) or in the directory `name` (relative to `directory`, or
    /// absolute), as transformers' `AutoConfig.from_pretrained` reads a repository or a local path.
    static func sizes(named name: String, directory: String, source: String, modelDirectory: String? = nil) throws -> Sizes {
        if let sizes = known[name] { return sizes }
        let local = name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
        let candidates = ([modelDirectory, local].compactMap { $0 }).map { ($0 as NSString).appendingPathComponent("config.json") }
        guard let path = candidates.first(where: FileManager.default.fileExists(atPath:)) else {
            throw ModelError.invalidConfiguration(path: source, reason: "text_cfg.hf_model_name \"\(name)\" is not a known text model (\(known.keys.sorted().joined(separator: ", "))) and \(candidates.last!) does not exist")
        }
        return try sizes(configuration: try JSONConfigurationFile.object(path: path), path: path)
    }

    /// A BERT, RoBERTa or XLM-RoBERTa `config.json` (or Chinese-CLIP's `text_config`); missing
    /// fields take `BertConfig`'s defaults.
    static func sizes(configuration root: [String: Any], path: String) throws -> Sizes {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration(path: path, reason: reason) }
        func int(_ key: String, _ fallback: Int) throws -> Int { try JSONConfigurationFile.int(root, key, default: fallback, path: path) }
        let modelType = root["model_type"] as? String ?? "bert"
        guard ["bert", "roberta", "xlm-roberta", "chinese_clip_text_model"].contains(modelType) else {
            throw fail("text model_type \"\(modelType)\" is not supported (BERT, RoBERTa and XLM-RoBERTa towers are)")
        }
        if let kind = root["position_embedding_type"] as? String, kind != "absolute" {
            throw fail("position_embedding_type \"\(kind)\" is not supported")
        }
        let activationName = root["hidden_act"] as? String ?? "gelu"
        guard activationName == "gelu" else { throw fail("hidden_act \"\(activationName)\" is not supported for a BERT tower") }
        let epsilon = try JSONConfigurationFile.positiveDouble(root, "layer_norm_eps", default: 1e-12, path: path)
        return Sizes(modelType: modelType, vocabSize: try int("vocab_size", 30522), width: try int("hidden_size", 768),
                     layers: try int("num_hidden_layers", 12), heads: try int("num_attention_heads", 12),
                     intermediateSize: try int("intermediate_size", 3072), maxPositions: try int("max_position_embeddings", 512),
                     typeVocabSize: try int("type_vocab_size", 2), padID: try int("pad_token_id", 0), normEpsilon: epsilon,
                     activation: .gelu)
    }

    /// The `config.json` transformers reads for `text`'s tower: an `XLMRobertaConfig` for a tower
    /// with RoBERTa positions, else a `BertConfig`.
    static func configurationFile(_ text: TextConfiguration) -> [String: Any] {
        guard let tower = text.huggingFace else { return [:] }
        return [
            "model_type": tower.positions == .afterPadding ? "xlm-roberta" : "bert",
            "vocab_size": text.vocabSize, "hidden_size": text.width, "num_hidden_layers": text.layers,
            "num_attention_heads": text.heads, "intermediate_size": text.mlpWidth, "max_position_embeddings": tower.maxPositions,
            "type_vocab_size": tower.typeVocabSize, "pad_token_id": tower.padID, "layer_norm_eps": text.normEpsilon,
            "hidden_act": "gelu", "position_embedding_type": "absolute",
        ]
    }

    /// A text configuration of `sizes` with `contextLength` tokens, pooled and projected as given.
    static func textConfiguration(_ sizes: Sizes, name: String, contextLength: Int, pooling: HuggingFaceTextConfiguration.Pooling,
                                  projection: HuggingFaceTextConfiguration.Projection) -> TextConfiguration {
        var text = TextConfiguration(contextLength: contextLength, vocabSize: sizes.vocabSize, width: sizes.width, heads: sizes.heads,
                                     layers: sizes.layers, mlpWidthOverride: sizes.intermediateSize)
        text.normEpsilon = sizes.normEpsilon
        text.activation = sizes.activation
        let positions: HuggingFaceTextConfiguration.Positions = ["roberta", "xlm-roberta"].contains(sizes.modelType) ? .afterPadding : .absolute
        text.huggingFace = HuggingFaceTextConfiguration(modelName: name, positions: positions, maxPositions: sizes.maxPositions,
                                                        typeVocabSize: sizes.typeVocabSize, padID: sizes.padID,
                                                        pooling: pooling, projection: projection)
        return text
    }
}
