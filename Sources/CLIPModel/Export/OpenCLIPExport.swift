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
        return result
    }

    static func openCLIPPreprocessing(_ loaded: LoadedModel) -> [String: Any] {
        let preprocessor = loaded.preprocessor
        return ["mean": preprocessor.mean.map { Double("\($0)") ?? Double($0) },
                "std": preprocessor.standardDeviation.map { Double("\($0)") ?? Double($0) },
                "interpolation": interpolationName(preprocessor.filter),
                "resize_mode": preprocessor.resizeMode.rawValue]
    }
}
