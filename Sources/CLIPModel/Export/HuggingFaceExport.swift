import CLIPTensor
import CLIPTokenizer
import Foundation

extension ModelExporter {
    /// A transformers `CLIPModel` directory.
    static func writeHuggingFace(_ loaded: LoadedModel, to folder: URL, dtype: SafeTensorsDType) throws {
        let configuration = loaded.model.configuration
        let vision = configuration.vision, text = configuration.text
        guard let patchSize = vision.patchSize else {
            throw ModelError.exportFailed(path: folder.path, reason: "transformers' CLIPModel has no ModifiedResNet image tower; use --layout openclip")
        }
        guard text.huggingFace == nil else {
            throw ModelError.exportFailed(path: folder.path, reason: "a \(configuration.family.rawValue) model is not a transformers CLIPModel; use --layout openclip")
        }
        guard loaded.model.logitBias == nil else {
            throw ModelError.exportFailed(path: folder.path, reason: "transformers' CLIPModel has no logit_bias (a SigLIP-trained model); use --layout openclip")
        }
        let activation = configuration.quickGELU ? "quick_gelu" : "gelu"
        let config: [String: Any] = [
            "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": configuration.embedDim,
            "logit_scale_init_value": 2.6592,
            "text_config": [
                "model_type": "clip_text_model", "vocab_size": text.vocabSize, "hidden_size": text.width,
                "intermediate_size": text.mlpWidth, "num_attention_heads": text.heads, "num_hidden_layers": text.layers,
                "max_position_embeddings": text.contextLength, "hidden_act": activation, "layer_norm_eps": 1e-5,
                "projection_dim": configuration.embedDim,
                // OpenAI's own transformers configs: eos_token_id 2 selects argmax pooling (the end
                // token is the largest id), which is open_clip's rule whatever the vocabulary.
                "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
            ] as [String: Any],
            "vision_config": [
                "model_type": "clip_vision_model", "hidden_size": vision.width, "intermediate_size": vision.mlpWidth,
                "num_attention_heads": vision.heads, "num_hidden_layers": vision.layers[0], "image_size": vision.imageSize,
                "patch_size": patchSize, "num_channels": 3, "hidden_act": activation, "layer_norm_eps": 1e-5,
                "projection_dim": configuration.embedDim,
            ] as [String: Any],
        ]
        try writeJSON(config, to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFaceConfiguration))
        try writeJSON(huggingFacePreprocessor(loaded), to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFacePreprocessor))
        try writeTokenizer(loaded.vocabulary, contextLength: text.contextLength, to: folder)
        try SafeTensorsWriter.write(HuggingFaceCheckpoint.exportNames(stateDict(loaded)), as: dtype, metadata: ["format": "pt"],
                                    to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFaceWeights).path)
    }

    /// `CLIPImageProcessor`'s settings: resize the shorter side, centre-crop, normalise.
    static func huggingFacePreprocessor(_ loaded: LoadedModel) -> [String: Any] {
        let preprocessor = loaded.preprocessor
        let resample: Int
        switch preprocessor.filter {
        case .nearest: resample = 0
        case .bilinear: resample = 2
        default: resample = 3
        }
        return [
            "image_processor_type": "CLIPImageProcessor", "processor_class": "CLIPProcessor",
            "do_resize": true, "size": ["shortest_edge": preprocessor.size], "resample": resample,
            "do_center_crop": true, "crop_size": ["height": preprocessor.size, "width": preprocessor.size],
            "do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true, "do_convert_rgb": true,
            "image_mean": preprocessor.mean.map { Double("\($0)") ?? Double($0) },
            "image_std": preprocessor.standardDeviation.map { Double("\($0)") ?? Double($0) },
        ]
    }

    /// `vocab.json`, `merges.txt`, `tokenizer_config.json` and `special_tokens_map.json`. open_clip's
    /// vocabulary names its special tokens `<start_of_text>` / `<end_of_text>` and pads with id 0
    /// ("!"); transformers' CLIP files name them `<|startoftext|>` / `<|endoftext|>` and pad with the
    /// end token, as OpenAI's published tokenizer directories do.
    static func writeTokenizer(_ vocabulary: BPEVocabulary, contextLength: Int, to folder: URL) throws {
        var tokens = vocabulary.tokens
        var start = vocabulary.startToken, end = vocabulary.endToken
        var pad = vocabulary.tokens[vocabulary.padID]
        if vocabulary.layout == .openCLIP {
            start = "<|startoftext|>"
            end = "<|endoftext|>"
            pad = end
            tokens[vocabulary.startID] = start
            tokens[vocabulary.endID] = end
        }
        var ids: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where !token.isEmpty { ids[token] = id }
        try writeJSON(ids, to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFaceVocabulary))
        let merges = "#version: 0.2\n" + vocabulary.orderedMerges.map { "\($0.0) \($0.1)\n" }.joined()
        try Data(merges.utf8).write(to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFaceMerges))
        let special: [String: Any] = ["bos_token": start, "eos_token": end, "unk_token": end, "pad_token": pad]
        try writeJSON(special, to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFaceSpecialTokens))
        var tokenizerConfig = special
        tokenizerConfig["tokenizer_class"] = "CLIPTokenizer"
        tokenizerConfig["model_max_length"] = contextLength
        try writeJSON(tokenizerConfig, to: folder.appendingPathComponent(CheckpointLayout.FileName.huggingFaceTokenizerConfiguration))
    }
}

extension HuggingFaceCheckpoint {
    /// open_clip names to transformers' (the inverse of `remap`): fused attention projections split
    /// into q/k/v, the two projections transposed to `[E, W]`.
    static func exportNames(_ tensors: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            if let renamed = HuggingFaceNames.huggingFaceByOpenCLIP[name] {
                out[renamed] = HuggingFaceNames.transposed.contains(name) ? tensor.transposed().copied() : tensor
                continue
            }
            var matched = false
            for (hfPrefix, prefix) in HuggingFaceNames.blockPrefixes where name.hasPrefix(prefix) {
                let rest = name.dropFirst(prefix.count)
                guard let dot = rest.firstIndex(of: ".") else { break }
                let block = hfPrefix + rest[..<dot]
                let part = String(rest[rest.index(after: dot)...])
                if part == "attn.in_proj_weight" || part == "attn.in_proj_bias" {
                    let kind = part.hasSuffix("weight") ? "weight" : "bias"
                    let third = tensor.shape[0] / 3
                    for (index, projection) in HuggingFaceNames.attentionProjections.enumerated() {
                        out["\(block).self_attn.\(projection).\(kind)"] = tensor.sliced(index * third..<(index + 1) * third).copied()
                    }
                    matched = true
                } else if let (to, from) = HuggingFaceNames.blockParts.first(where: { part.hasPrefix($0.openCLIP) }) {
                    out["\(block).\(to)\(part.dropFirst(from.count))"] = tensor
                    matched = true
                }
                break
            }
            if !matched { out[name] = tensor }
        }
        return out
    }
}
