import CLIPTensor
import Foundation

/// Hugging Face transformers' `ChineseCLIPModel`: CLIP's ViT image tower and a BERT text tower
/// pooled at [CLS]. Its text weights take open_clip's `HFTextEncoder` names (`text.transformer.…`,
/// `text.proj.weight`); its image weights are renamed as CLIP's.
enum ChineseCLIPHuggingFaceCheckpoint {
    /// Chinese-CLIP's tokenizer context: 52 tokens, [CLS] and [SEP] included.
    static let contextLength = 52
    /// The name its text tower goes by (transformers' `model_type` of the text configuration).
    static let textModelName = "chinese_clip_text_model"

    /// `config.json` of `model_type` "chinese_clip"; missing fields take transformers' defaults.
    static func configuration(_ root: [String: Any], path: String) throws -> CLIPConfiguration {
        let text = root["text_config"] as? [String: Any] ?? [:]
        let vision = root["vision_config"] as? [String: Any] ?? [:]
        let visionActivation = vision["hidden_act"] as? String ?? "quick_gelu"
        guard ["quick_gelu", "gelu"].contains(visionActivation) else {
            throw ModelError.invalidConfiguration(path: path, reason: "unsupported vision activation \(visionActivation)")
        }
        if let epsilon = vision["layer_norm_eps"] as? Double, abs(epsilon - 1e-5) > 1e-12 {
            throw ModelError.invalidConfiguration(path: path, reason: "vision layer_norm_eps \(epsilon) is not supported (CLIP uses 1e-5)")
        }
        guard root["projection_dim"] == nil || root["projection_dim"] is Int else {
            throw ModelError.invalidConfiguration(path: path, reason: "projection_dim must be an integer")
        }
        let sizes = try HuggingFaceTextModels.sizes(configuration: text, path: path)
        let textConfiguration = HuggingFaceTextModels.textConfiguration(
            sizes, name: textModelName, contextLength: min(contextLength, sizes.maxPositions), pooling: .classToken, projection: .linear)
        var configuration = CLIPConfiguration(embedDim: root["projection_dim"] as? Int ?? 512, quickGELU: visionActivation == "quick_gelu",
                                              vision: try HuggingFaceCheckpoint.visionConfiguration(vision, path: path),
                                              text: textConfiguration,
                                              initLogitScale: (root["logit_scale_init_value"] as? Double) ?? 2.6592)
        configuration.customText = true
        try configuration.validate(source: path)
        return configuration
    }

    /// `text_model.X` → `text.transformer.X`, `text_projection.weight` → `text.proj.weight` (both
    /// `[E, W]`), the image tower as `HuggingFaceCheckpoint.remap`; position and token-type id
    /// buffers dropped.
    static func remap(_ tensors: [String: Tensor], path: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var image: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            if name.hasPrefix("text_model.") {
                if name.hasSuffix("position_ids") || name.hasSuffix("token_type_ids") { continue }
                out["text.transformer." + name.dropFirst("text_model.".count)] = tensor
            } else if name == "text_projection.weight" {
                out["text.proj.weight"] = tensor
            } else {
                image[name] = tensor
            }
        }
        return out.merging(try HuggingFaceCheckpoint.remap(image, path: path)) { first, _ in first }
    }
}
