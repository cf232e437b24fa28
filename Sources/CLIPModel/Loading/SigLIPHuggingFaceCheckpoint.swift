import CLIPNN
import CLIPTensor
import Foundation

/// Hugging Face transformers' `SiglipModel`: its `config.json` and the renaming of its weights into
/// open_clip's names for SigLIP (timm's `visual.trunk.…` image tower, `text.…` text tower).
enum SigLIPHuggingFaceCheckpoint {
    /// transformers' activation names.
    static func activation(_ name: String, path: String) throws -> Activation {
        switch name {
        case "gelu_pytorch_tanh", "gelu_new", "gelu_fast": return .geluTanh
        case "gelu": return .gelu
        case "quick_gelu": return .quickGELU
        default: throw ModelError.invalidConfiguration(path: path, reason: "unsupported activation \(name)")
        }
    }

    /// `config.json` of `model_type` "siglip" (`SiglipConfig`); missing fields take transformers'
    /// defaults (SigLIP B/16 at 224 pixels).
    static func configuration(_ root: [String: Any], path: String) throws -> CLIPConfiguration {
        let text = root["text_config"] as? [String: Any] ?? [:]
        let vision = root["vision_config"] as? [String: Any] ?? [:]
        func int(_ section: [String: Any], _ key: String, _ fallback: Int) throws -> Int {
            try JSONConfigurationFile.int(section, key, default: fallback, path: path)
        }
        func epsilon(_ section: [String: Any]) throws -> Double {
            try JSONConfigurationFile.positiveDouble(section, "layer_norm_eps", default: 1e-6, path: path)
        }
        if let useHead = vision["vision_use_head"] as? Bool, !useHead {
            throw ModelError.invalidConfiguration(path: path, reason: "a SigLIP vision tower without its attention-pooling head is not supported")
        }
        let visionWidth = try int(vision, "hidden_size", 768)
        let visionHeads = try int(vision, "num_attention_heads", 12)
        let textWidth = try int(text, "hidden_size", 768)
        let embedDim = try int(text, "projection_size", textWidth)
        guard visionHeads > 0, visionWidth % visionHeads == 0 else {
            throw ModelError.invalidConfiguration(path: path, reason: "vision hidden_size is not divisible by num_attention_heads")
        }
        guard embedDim == visionWidth else {
            throw ModelError.invalidConfiguration(path: path, reason: "text projection_size \(embedDim) differs from the vision hidden_size \(visionWidth)")
        }
        var visionConfiguration = VisionConfiguration(
            imageSize: try int(vision, "image_size", 224), layers: [try int(vision, "num_hidden_layers", 12)], width: visionWidth,
            headWidth: visionWidth / visionHeads, patchSize: try int(vision, "patch_size", 16),
            mlpWidthOverride: try int(vision, "intermediate_size", 3072))
        visionConfiguration.pooling = .attentionPool
        visionConfiguration.normEpsilon = try epsilon(vision)
        visionConfiguration.activation = try activation(vision["hidden_act"] as? String ?? "gelu_pytorch_tanh", path: path)
        var textConfiguration = TextConfiguration(
            contextLength: try int(text, "max_position_embeddings", 64), vocabSize: try int(text, "vocab_size", 32000), width: textWidth,
            heads: try int(text, "num_attention_heads", 12), layers: try int(text, "num_hidden_layers", 12),
            mlpWidthOverride: try int(text, "intermediate_size", 3072))
        textConfiguration.causal = false
        textConfiguration.pooling = .last
        textConfiguration.projectionBias = true
        textConfiguration.normEpsilon = try epsilon(text)
        textConfiguration.activation = try activation(text["hidden_act"] as? String ?? "gelu_pytorch_tanh", path: path)
        var configuration = CLIPConfiguration(embedDim: embedDim, vision: visionConfiguration, text: textConfiguration,
                                              initLogitScale: Foundation.log(10), initLogitBias: -10)
        configuration.customText = true
        try configuration.validate(source: path)
        return configuration
    }

    /// Renames transformers' SigLIP weights to open_clip's: q/k/v projections fused (q, k, v order)
    /// into timm's `attn.qkv` and the text tower's `attn.in_proj_*`, the head's packed projection
    /// split into `attn_pool.q` and `attn_pool.kv`, the positional embedding given timm's leading
    /// axis, `logit_scale` and `logit_bias` as scalars. Unknown names pass through, so the strict
    /// load reports them.
    static func remap(_ tensors: [String: Tensor], path: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var fused: [String: [String: Tensor]] = [:]   // fused key prefix -> "q_proj.weight" … -> tensor
        for (name, tensor) in tensors {
            if name.hasSuffix("position_ids") { continue }
            if let whole = wholeKeys[name] {
                out[whole] = tensor
            } else if name == "logit_scale" || name == "logit_bias" {
                out[name] = tensor.reshaped([])
            } else if name == "vision_model.embeddings.position_embedding.weight" {
                out["visual.trunk.pos_embed"] = tensor.reshaped([1] + tensor.shape)
            } else if name.hasPrefix("vision_model.head.attention.in_proj_") {
                let kind = name.hasSuffix("weight") ? "weight" : "bias"
                let width = tensor.shape[0] / 3
                out["visual.trunk.attn_pool.q.\(kind)"] = tensor.sliced(0..<width)
                out["visual.trunk.attn_pool.kv.\(kind)"] = tensor.sliced(width..<(3 * width))
            } else if let (block, part) = blockPart(name) {
                if HuggingFaceNames.attentionProjections.contains(where: { part.hasPrefix("self_attn.\($0).") }) {
                    fused[block.fused, default: [:]][String(part.dropFirst("self_attn.".count))] = tensor
                } else if let renamed = block.parts[part] {
                    out[block.prefix + renamed] = tensor
                } else {
                    out[name] = tensor
                }
            } else {
                out[name] = tensor
            }
        }
        for (prefix, parts) in fused {
            for kind in ["weight", "bias"] {
                let key = prefix.hasPrefix("visual.") ? "\(prefix)qkv.\(kind)" : "\(prefix)in_proj_\(kind)"
                out[key] = try HuggingFaceCheckpoint.fusedProjection(parts, kind: kind, path: path) { "\(prefix): self_attn.\($0)" }
            }
        }
        return out
    }

    private static let wholeKeys: [String: String] = [
        "text_model.embeddings.token_embedding.weight": "text.token_embedding.weight",
        "text_model.embeddings.position_embedding.weight": "text.positional_embedding",
        "text_model.final_layer_norm.weight": "text.ln_final.weight",
        "text_model.final_layer_norm.bias": "text.ln_final.bias",
        "text_model.head.weight": "text.text_projection.weight",
        "text_model.head.bias": "text.text_projection.bias",
        "vision_model.embeddings.patch_embedding.weight": "visual.trunk.patch_embed.proj.weight",
        "vision_model.embeddings.patch_embedding.bias": "visual.trunk.patch_embed.proj.bias",
        "vision_model.post_layernorm.weight": "visual.trunk.norm.weight",
        "vision_model.post_layernorm.bias": "visual.trunk.norm.bias",
        "vision_model.head.probe": "visual.trunk.attn_pool.latent",
        "vision_model.head.attention.out_proj.weight": "visual.trunk.attn_pool.proj.weight",
        "vision_model.head.attention.out_proj.bias": "visual.trunk.attn_pool.proj.bias",
        "vision_model.head.layernorm.weight": "visual.trunk.attn_pool.norm.weight",
        "vision_model.head.layernorm.bias": "visual.trunk.attn_pool.norm.bias",
        "vision_model.head.mlp.fc1.weight": "visual.trunk.attn_pool.mlp.fc1.weight",
        "vision_model.head.mlp.fc1.bias": "visual.trunk.attn_pool.mlp.fc1.bias",
        "vision_model.head.mlp.fc2.weight": "visual.trunk.attn_pool.mlp.fc2.weight",
        "vision_model.head.mlp.fc2.bias": "visual.trunk.attn_pool.mlp.fc2.bias",
    ]

    /// A residual block of either tower: its open_clip prefix, where its fused attention projection
    /// goes, and its other parts renamed.
    private struct Block {
        let prefix: String
        let fused: String
        let parts: [String: String]
    }

    private static let textParts = [
        "layer_norm1.weight": "ln_1.weight", "layer_norm1.bias": "ln_1.bias",
        "layer_norm2.weight": "ln_2.weight", "layer_norm2.bias": "ln_2.bias",
        "self_attn.out_proj.weight": "attn.out_proj.weight", "self_attn.out_proj.bias": "attn.out_proj.bias",
        "mlp.fc1.weight": "mlp.c_fc.weight", "mlp.fc1.bias": "mlp.c_fc.bias",
        "mlp.fc2.weight": "mlp.c_proj.weight", "mlp.fc2.bias": "mlp.c_proj.bias",
    ]

    private static let visionParts = [
        "layer_norm1.weight": "norm1.weight", "layer_norm1.bias": "norm1.bias",
        "layer_norm2.weight": "norm2.weight", "layer_norm2.bias": "norm2.bias",
        "self_attn.out_proj.weight": "attn.proj.weight", "self_attn.out_proj.bias": "attn.proj.bias",
        "mlp.fc1.weight": "mlp.fc1.weight", "mlp.fc1.bias": "mlp.fc1.bias",
        "mlp.fc2.weight": "mlp.fc2.weight", "mlp.fc2.bias": "mlp.fc2.bias",
    ]

    private static func blockPart(_ name: String) -> (Block, String)? {
        for (hfPrefix, openCLIPPrefix, fusedSuffix, parts) in [
            ("text_model.encoder.layers.", "text.transformer.resblocks.", "attn.", textParts),
            ("vision_model.encoder.layers.", "visual.trunk.blocks.", "attn.", visionParts),
        ] where name.hasPrefix(hfPrefix) {
            let rest = name.dropFirst(hfPrefix.count)
            guard let dot = rest.firstIndex(of: "."), Int(rest[..<dot]) != nil else { return nil }
            let prefix = openCLIPPrefix + rest[..<dot] + "."
            return (Block(prefix: prefix, fused: prefix + fusedSuffix, parts: parts), String(rest[rest.index(after: dot)...]))
        }
        return nil
    }
}
