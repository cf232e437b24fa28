import CLIPTokenizer
import Foundation

/// open_clip's options for the families beyond OpenAI's architecture: a timm SigLIP image tower and
/// the text tower options SigLIP sets (`custom_text` models).
extension CLIPConfiguration {
    /// `vision_cfg` with a `timm_model_name`, completed with the tower's sizes so that it decodes
    /// like any ViT; explicit `width`, `layers`, `head_width`, `patch_size` and `mlp_ratio` are used
    /// for names swift-clip does not know (open_clip itself ignores them for timm towers).
    static func timmVisionSection(_ section: [String: Any], source: String) throws -> [String: Any] {
        guard let name = section["timm_model_name"] as? String else { return section }
        var section = section
        let pool = section["timm_pool"] as? String ?? "avg"
        let projection = section["timm_proj"] as? String ?? "linear"
        guard pool == "map", projection == "none" else {
            throw ModelError.invalidConfiguration(path: source, reason: "timm image towers are supported with timm_pool \"map\" and timm_proj \"none\" (SigLIP); got \(pool) and \(projection)")
        }
        if section["timm_model_pretrained"] as? Bool == true {
            throw ModelError.invalidConfiguration(path: source, reason: "timm_model_pretrained: the weights must be in the checkpoint")
        }
        if let sizes = TimmVisionModels.sizes(ofSigLIP: name) {
            section["width"] = sizes.width
            section["layers"] = sizes.layers
            section["head_width"] = sizes.width / sizes.heads
            section["patch_size"] = sizes.patchSize
            section["mlp_width"] = sizes.mlpWidth
        } else {
            let required = ["width", "layers", "head_width", "patch_size"]
            guard required.allSatisfy({ section[$0] != nil }) else {
                throw ModelError.invalidConfiguration(path: source, reason: "unknown timm model \"\(name)\" (known: vit_{base,large,so400m,giantopt}_patch{P}_siglip_{size}); give \(required.joined(separator: ", ")) to describe it")
            }
        }
        return section
    }

    /// Applies what the raw sections say beyond the decoded sizes: the timm tower's pooling, norm
    /// and activation, and the text tower's mask, pooling, projection bias, norm, activation and
    /// tokenizer.
    mutating func applyFamilyOptions(root: [String: Any], source: String, textModelDirectory: String? = nil) throws {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration(path: source, reason: reason) }
        customText = root["custom_text"] as? Bool ?? false
        let visionSection = root["vision_cfg"] as? [String: Any] ?? [:]
        if let name = visionSection["timm_model_name"] as? String {
            vision.timmModelName = name
            vision.pooling = .attentionPool
            vision.normEpsilon = 1e-6   // timm's ViT LayerNorm
            vision.activation = .gelu   // timm's default nn.GELU, whatever quick_gelu says
            // open_clip ignores act_kwargs for timm towers; swift-clip writes it for a tower converted
            // from transformers' SigLIP, whose activation is the tanh approximation.
            if let activation = visionSection["act_kwargs"] as? [String: Any] {
                guard activation.keys.allSatisfy({ $0 == "approximate" }), let approximate = activation["approximate"] as? String,
                      ["tanh", "none"].contains(approximate) else {
                    throw fail("vision_cfg.act_kwargs: only approximate \"tanh\" or \"none\" is supported")
                }
                vision.activation = approximate == "tanh" ? .geluTanh : .gelu
            }
        } else if let activation = visionSection["act_kwargs"], !(activation is NSNull) {
            throw fail("vision_cfg.act_kwargs = \(activation) is not supported")
        }
        let text = root["text_cfg"] as? [String: Any] ?? [:]
        if let hfModel = text["hf_model_name"], !(hfModel is NSNull) {
            guard let name = hfModel as? String else { throw fail("text_cfg.hf_model_name must be a string") }
            try applyHuggingFaceTextTower(name: name, section: text, source: source, textModelDirectory: textModelDirectory)
        }
        if text["no_causal_mask"] as? Bool == true { self.text.causal = false }
        if let pool = text["pool_type"] as? String {
            guard let pooling = TextPooling(rawValue: pool) else { throw fail("text_cfg.pool_type = \(pool) is not supported") }
            self.text.pooling = pooling
        }
        self.text.projectionBias = text["proj_bias"] as? Bool ?? false
        if let norm = text["norm_kwargs"] as? [String: Any] {
            guard norm.keys.allSatisfy({ $0 == "eps" }), let epsilon = norm["eps"] as? Double, epsilon > 0 else {
                throw fail("text_cfg.norm_kwargs: only a positive eps is supported")
            }
            self.text.normEpsilon = epsilon
        }
        if let activation = text["act_kwargs"] as? [String: Any] {
            guard activation.keys.allSatisfy({ $0 == "approximate" }), let approximate = activation["approximate"] as? String,
                  ["tanh", "none"].contains(approximate) else {
                throw fail("text_cfg.act_kwargs: only approximate \"tanh\" or \"none\" is supported")
            }
            self.text.activation = approximate == "tanh" ? .geluTanh : .gelu
        }
        if let tokenizer = text["hf_tokenizer_name"] as? String {
            self.text.tokenizerName = tokenizer
            let clean = (text["tokenizer_kwargs"] as? [String: Any])?["clean"] as? String ?? "whitespace"
            guard TextCleaning(rawValue: clean) != nil else { throw fail("text_cfg.tokenizer_kwargs.clean = \(clean) is not supported") }
            self.text.tokenizerCleaning = clean
        }
        if customText && vision.pooling != .attentionPool && self.text.huggingFace == nil {
            throw fail("custom_text models other than SigLIP (a timm tower with timm_pool \"map\") and Hugging Face text towers are not supported yet")
        }
    }

    /// open_clip's `HFTextEncoder`: the tower of the Hugging Face model `name` (known, or a local
    /// directory with its `config.json`), pooled by `hf_pooler_type` and projected by
    /// `hf_proj_type` (open_clip's defaults: mean pooling, MLP projection).
    private mutating func applyHuggingFaceTextTower(name: String, section: [String: Any], source: String,
                                                    textModelDirectory: String?) throws {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration(path: source, reason: reason) }
        let sizes = try HuggingFaceTextModels.sizes(named: name, directory: (source as NSString).deletingLastPathComponent, source: source,
                                                    modelDirectory: textModelDirectory)
        let pooling: HuggingFaceTextConfiguration.Pooling
        switch section["hf_pooler_type"] as? String ?? "mean_pooler" {
        case "mean_pooler": pooling = .mean
        case "cls_last_hidden_state_pooler": pooling = .classToken
        case let other: throw fail("text_cfg.hf_pooler_type \"\(other)\" is not supported (mean_pooler and cls_last_hidden_state_pooler are)")
        }
        let projection: HuggingFaceTextConfiguration.Projection
        switch section["hf_proj_type"] {
        case nil: projection = .mlp
        case is NSNull:
            guard sizes.width == embedDim else { throw fail("text_cfg.hf_proj_type null needs the text width \(sizes.width) to equal embed_dim \(embedDim)") }
            projection = .identity
        case let value as String:
            guard let known = HuggingFaceTextConfiguration.Projection(rawValue: value), known != .identity else {
                throw fail("text_cfg.hf_proj_type \"\(value)\" is not supported (linear and mlp are)")
            }
            projection = known
        default: throw fail("text_cfg.hf_proj_type must be a string")
        }
        text = HuggingFaceTextModels.textConfiguration(sizes, name: name, contextLength: text.contextLength,
                                                       pooling: pooling, projection: projection)
        customText = true
    }
}
