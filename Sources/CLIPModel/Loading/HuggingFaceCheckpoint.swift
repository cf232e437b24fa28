import CLIPImage
import CLIPNN
import CLIPTensor
import Foundation

/// Hugging Face transformers' CLIP: its configuration and the one function that renames its
/// weights into open_clip's state-dict names.
enum HuggingFaceCheckpoint {
    /// `config.json` (`CLIPConfig`) as a `CLIPConfiguration`; missing fields take transformers' defaults.
    static func configuration(path: String) throws -> CLIPConfiguration {
        let root = try JSONConfigurationFile.object(path: path)
        let text = root["text_config"] as? [String: Any] ?? [:]
        let vision = root["vision_config"] as? [String: Any] ?? [:]
        func int(_ section: [String: Any], _ key: String, _ fallback: Int) throws -> Int {
            try JSONConfigurationFile.int(section, key, default: fallback, path: path)
        }
        let textActivation = text["hidden_act"] as? String ?? "quick_gelu"
        let visionActivation = vision["hidden_act"] as? String ?? "quick_gelu"
        guard textActivation == visionActivation, ["quick_gelu", "gelu"].contains(textActivation) else {
            throw ModelError.invalidConfiguration(path: path, reason: "unsupported activations \(textActivation) / \(visionActivation)")
        }
        for section in [text, vision] {
            if let epsilon = section["layer_norm_eps"] as? Double, abs(epsilon - 1e-5) > 1e-12 {
                throw ModelError.invalidConfiguration(path: path, reason: "layer_norm_eps \(epsilon) is not supported (CLIP uses 1e-5)")
            }
        }
        let configuration = CLIPConfiguration(
            embedDim: try int(root, "projection_dim", 512),
            quickGELU: textActivation == "quick_gelu",
            vision: try visionConfiguration(vision, path: path),
            text: TextConfiguration(contextLength: try int(text, "max_position_embeddings", 77), vocabSize: try int(text, "vocab_size", 49408),
                                    width: try int(text, "hidden_size", 512), heads: try int(text, "num_attention_heads", 8),
                                    layers: try int(text, "num_hidden_layers", 12), mlpWidthOverride: try int(text, "intermediate_size", 2048)))
        try configuration.validate(source: path)
        return configuration
    }

    /// The `vision_config` of a `CLIPConfig` (or `ChineseCLIPConfig`): a ViT with a class token and
    /// pre-norm, transformers' defaults for missing fields.
    static func visionConfiguration(_ vision: [String: Any], path: String) throws -> VisionConfiguration {
        func int(_ key: String, _ fallback: Int) throws -> Int { try JSONConfigurationFile.int(vision, key, default: fallback, path: path) }
        let width = try int("hidden_size", 768)
        let heads = try int("num_attention_heads", 12)
        guard heads > 0, width % heads == 0 else {
            throw ModelError.invalidConfiguration(path: path, reason: "vision hidden_size is not divisible by num_attention_heads")
        }
        return VisionConfiguration(imageSize: try int("image_size", 224), layers: [try int("num_hidden_layers", 12)],
                                   width: width, headWidth: width / heads, patchSize: try int("patch_size", 32),
                                   mlpWidthOverride: try int("intermediate_size", 3072))
    }

    /// `preprocessor_config.json` (`CLIPImageProcessor`): size, mean, std and resampling filter.
    static func preprocessing(path: String, imageSize: Int) throws -> ImagePreprocessor {
        guard FileManager.default.fileExists(atPath: path) else { return ImagePreprocessor(size: imageSize) }
        let root = try JSONConfigurationFile.object(path: path)
        var preprocessor = ImagePreprocessor(size: imageSize)
        if let crop = root["crop_size"] as? Int { preprocessor.size = crop }
        if let crop = (root["crop_size"] as? [String: Any])?["height"] as? Int { preprocessor.size = crop }
        // SigLIP's processor resizes both sides to `size` and does not crop.
        if root["crop_size"] == nil, root["do_center_crop"] as? Bool != true,
           let size = root["size"] as? [String: Any], let height = size["height"] as? Int, size["width"] as? Int == height {
            preprocessor.size = height
            preprocessor.resizeMode = .squash
        }
        if let mean = root["image_mean"] as? [Double], mean.count == 3 { preprocessor.mean = mean.map(Float.init) }
        if let std = root["image_std"] as? [Double], std.count == 3 { preprocessor.standardDeviation = std.map(Float.init) }
        switch root["resample"] as? Int {
        case 0: preprocessor.filter = .nearest
        case 2: preprocessor.filter = .bilinear
        default: preprocessor.filter = .bicubic
        }
        return preprocessor
    }

    /// Renames Hugging Face weights to open_clip's names: q/k/v projections fused into
    /// `in_proj_weight`/`in_proj_bias` (q, k, v order), projections transposed to `[W, E]`,
    /// `position_ids` buffers dropped. Unknown names pass through, so the strict load reports them.
    static func remap(_ tensors: [String: Tensor], path: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var attention: [String: [String: Tensor]] = [:]   // block prefix -> "q_proj.weight" … -> tensor
        for (name, tensor) in tensors {
            if name.hasSuffix("position_ids") { continue }
            guard let (renamed, qkv) = rename(name) else {
                out[name] = tensor
                continue
            }
            if let qkv {
                attention[renamed, default: [:]][qkv] = tensor
            } else if name == "text_projection.weight" || name == "visual_projection.weight" {
                out[renamed] = tensor.transposed().copied()
            } else {
                out[renamed] = tensor
            }
        }
        for (block, parts) in attention {
            for kind in ["weight", "bias"] {
                out["\(block).attn.in_proj_\(kind)"] = try fusedProjection(parts, kind: kind, path: path) { hfName(block) + ".self_attn.\($0)" }
            }
        }
        return out
    }

    /// transformers' separate `q_proj`, `k_proj`, `v_proj` weights (or biases) of one attention layer,
    /// stacked in that order as PyTorch's packed `in_proj` (and timm's `qkv`) keeps them. A missing
    /// part is reported under `missingName("q_proj.weight")`.
    static func fusedProjection(_ parts: [String: Tensor], kind: String, path: String,
                                missingName: (String) -> String) throws -> Tensor {
        let pieces = try HuggingFaceNames.attentionProjections.map { projection -> Tensor in
            guard let tensor = parts["\(projection).\(kind)"] else {
                throw ModelError.weightMismatch(path: path, .missingKey(missingName("\(projection).\(kind)"), expectedShape: []))
            }
            return tensor
        }
        return concatenate(pieces, alongAxis: 0)
    }

    /// The open_clip name of a Hugging Face key, or nil for a key of no known family. For q/k/v
    /// projections the second value names the part ("q_proj.weight") and the first the block.
    private static func rename(_ name: String) -> (String, String?)? {
        if let renamed = HuggingFaceNames.openCLIPByHuggingFace[name] { return (renamed, nil) }
        for (hfPrefix, prefix) in HuggingFaceNames.blockPrefixes where name.hasPrefix(hfPrefix) {
            let rest = name.dropFirst(hfPrefix.count)
            guard let dot = rest.firstIndex(of: ".") else { return nil }
            let block = prefix + rest[..<dot]
            let part = String(rest[rest.index(after: dot)...])
            if HuggingFaceNames.attentionProjections.contains(where: { part.hasPrefix("self_attn.\($0).") }) {
                return (block, String(part.dropFirst("self_attn.".count)))
            }
            for (from, to) in HuggingFaceNames.blockParts where part.hasPrefix(from) {
                return ("\(block).\(to)\(part.dropFirst(from.count))", nil)
            }
        }
        return nil
    }

    private static func hfName(_ block: String) -> String {
        let number = block.split(separator: ".").last.map(String.init) ?? ""
        let prefix = HuggingFaceNames.blockPrefixes.first { $0.openCLIP + number == block } ?? HuggingFaceNames.blockPrefixes[0]
        return prefix.huggingFace + number
    }
}
