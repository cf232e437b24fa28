import CLIPTensor
import Foundation

extension ModelExporter {
    /// `open_clip_config.json` (`model_cfg` + `preprocess_cfg`) and `open_clip_model.safetensors`.
    static func writeOpenCLIP(_ loaded: LoadedModel, to folder: URL, dtype: SafeTensorsDType) throws {
        try writeJSON(["model_cfg": openCLIPModelConfiguration(loaded.model.configuration),
                       "preprocess_cfg": openCLIPPreprocessing(loaded)],
                      to: folder.appendingPathComponent(CheckpointLayout.FileName.openCLIPConfiguration))
        var metadata = ["format": "pt"]
        if dtype == .int8 { metadata["quantization"] = "int8 weights, symmetric per row; NAME_scale holds each row's f32 scale" }
        try SafeTensorsWriter.write(entries: stateEntries(loaded, dtype: dtype), metadata: metadata,
                                    to: folder.appendingPathComponent(CheckpointLayout.FileName.openCLIPWeights).path)
        try copyTokenizerFiles(loaded, into: folder)
        if let tower = loaded.model.configuration.text.huggingFace, HuggingFaceTextModels.known[tower.modelName] == nil {
            // A tower open_clip cannot fetch by name: its config.json goes in the folder hf_model_name names.
            let towerFolder = folder.appendingPathComponent(huggingFaceTowerFolder(tower))
            try FileManager.default.createDirectory(at: towerFolder, withIntermediateDirectories: true)
            try writeJSON(HuggingFaceTextModels.configurationFile(loaded.model.configuration.text),
                          to: towerFolder.appendingPathComponent("config.json"))
            if loaded.model.configuration.text.tokenizerName == nil {
                // hf_tokenizer_name is that folder too (Chinese-CLIP's tokenizer has no name of its own).
                try copyTokenizerFiles(loaded, into: towerFolder)
            }
        }
    }

    private static func copyTokenizerFiles(_ loaded: LoadedModel, into folder: URL) throws {
        for file in loaded.tokenizerFiles {
            try FileManager.default.copyItem(atPath: file, toPath: folder.appendingPathComponent((file as NSString).lastPathComponent).path)
        }
    }

    /// The folder name, inside an export, of a Hugging Face tower swift-clip does not know by name.
    static func huggingFaceTowerFolder(_ tower: HuggingFaceTextConfiguration) -> String {
        let name = (tower.modelName as NSString).lastPathComponent
        return ["", ".", ".."].contains(name) ? "text-model" : name
    }

    /// open_clip's model configuration JSON for `configuration`.
    static func openCLIPModelConfiguration(_ configuration: CLIPConfiguration) -> [String: Any] {
        let vision = configuration.vision
        var visionConfig: [String: Any] = [
            "image_size": vision.imageSize, "width": vision.width, "head_width": vision.headWidth,
            "layers": vision.isResNet ? vision.layers as Any : vision.layers[0] as Any,
        ]
        if let patch = vision.patchSize {
            visionConfig["patch_size"] = patch
            visionConfig["mlp_ratio"] = mlpRatio(width: vision.width, mlpWidth: vision.mlpWidth)
        }
        let text = configuration.text
        var result: [String: Any] = [
            "embed_dim": configuration.embedDim,
            "quick_gelu": configuration.quickGELU,
            "vision_cfg": visionConfig,
            "text_cfg": ["context_length": text.contextLength, "vocab_size": text.vocabSize, "width": text.width,
                         "heads": text.heads, "layers": text.layers, "mlp_ratio": mlpRatio(width: text.width, mlpWidth: text.mlpWidth)],
        ]
        if let scale = configuration.initLogitScale { result["init_logit_scale"] = scale }
        if let bias = configuration.initLogitBias { result["init_logit_bias"] = bias }
        if configuration.family == .sigLIP { addSigLIPOptions(configuration, to: &result) }
        if let tower = text.huggingFace { addHuggingFaceTextOptions(configuration, tower: tower, to: &result) }
        return result
    }

    /// open_clip's `HFTextEncoder` settings: the tower by name (a known model, or the folder its
    /// `config.json` is exported to), its tokenizer, pooling and projection.
    static func addHuggingFaceTextOptions(_ configuration: CLIPConfiguration, tower: HuggingFaceTextConfiguration,
                                          to result: inout [String: Any]) {
        result["custom_text"] = true
        let name = HuggingFaceTextModels.known[tower.modelName] == nil ? huggingFaceTowerFolder(tower) : tower.modelName
        var textConfig: [String: Any] = [
            "context_length": configuration.text.contextLength, "hf_model_name": name, "hf_model_pretrained": false,
            "hf_tokenizer_name": configuration.text.tokenizerName ?? name,
            "hf_pooler_type": tower.pooling == .mean ? "mean_pooler" : "cls_last_hidden_state_pooler",
            "hf_proj_type": tower.projection == .identity ? NSNull() : tower.projection.rawValue,
        ]
        if let clean = configuration.text.tokenizerCleaning { textConfig["tokenizer_kwargs"] = ["clean": clean] }
        result["text_cfg"] = textConfig
    }

    /// A SigLIP model as open_clip configures it: `custom_text`, a timm tower by name (with its
    /// sizes, which open_clip ignores and swift-clip reads for names it does not know), and the text
    /// tower's options.
    static func addSigLIPOptions(_ configuration: CLIPConfiguration, to result: inout [String: Any]) {
        let vision = configuration.vision, text = configuration.text
        result["custom_text"] = true
        result.removeValue(forKey: "quick_gelu")
        var visionConfig = result["vision_cfg"] as? [String: Any] ?? [:]
        visionConfig["timm_model_name"] = vision.timmModelName ?? TimmVisionModels.name(of: vision)
        visionConfig["timm_model_pretrained"] = false
        visionConfig["timm_pool"] = "map"
        visionConfig["timm_proj"] = "none"
        if vision.activation == .geluTanh {
            // Read by swift-clip only: transformers' SigLIP towers use tanh GELU, timm's exact GELU.
            visionConfig["act_kwargs"] = ["approximate": "tanh"]
        }
        result["vision_cfg"] = visionConfig
        var textConfig = result["text_cfg"] as? [String: Any] ?? [:]
        textConfig["no_causal_mask"] = !text.causal
        textConfig["pool_type"] = text.pooling.rawValue
        textConfig["proj_bias"] = text.projectionBias
        textConfig["norm_kwargs"] = ["eps": text.normEpsilon]
        textConfig["act_kwargs"] = ["approximate": (text.activation ?? configuration.activation) == .geluTanh ? "tanh" : "none"]
        if let name = text.tokenizerName {
            textConfig["hf_tokenizer_name"] = name
            textConfig["tokenizer_kwargs"] = ["clean": text.tokenizerCleaning ?? "whitespace"]
        }
        result["text_cfg"] = textConfig
    }

    static func openCLIPPreprocessing(_ loaded: LoadedModel) -> [String: Any] {
        let preprocessor = loaded.preprocessor
        return ["mean": preprocessor.mean.map { Double("\($0)") ?? Double($0) },
                "std": preprocessor.standardDeviation.map { Double("\($0)") ?? Double($0) },
                "interpolation": interpolationName(preprocessor.filter),
                "resize_mode": preprocessor.resizeMode.rawValue]
    }
}
