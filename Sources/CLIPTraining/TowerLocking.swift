import CLIPModel
import CLIPNN

extension CLIP {
    /// Freezes the image tower except its last `unlockedGroups` groups, as open_clip's
    /// `VisionTransformer.lock`: the groups are [conv1, class and positional embeddings, ln_pre],
    /// each residual block but the last, [the last block, ln_post], and proj. SigLIP's timm tower is
    /// grouped as open_clip's `TimmModel.lock` groups it through timm's layer matcher: [patch_embed,
    /// pos_embed], each block but the last, [the last block, norm], and attn_pool. A ModifiedResNet
    /// can only be locked whole (as in open_clip).
    public func lockImageTower(unlockedGroups: Int) throws {
        let visualParameters = namedParameters().filter { $0.name.hasPrefix("visual.") }
        if configuration.vision.isResNet {
            guard unlockedGroups == 0 else {
                throw TrainingError.invalidOption("a ModifiedResNet image tower can only be locked whole (--lock-image-unlocked-groups 0)")
            }
            for (_, parameter) in visualParameters { parameter.wrappedValue.requiresGrad = false }
            return
        }
        let blocks = configuration.vision.layers[0]
        let groupCount = blocks + 2
        let isTimm = configuration.vision.pooling == .attentionPool
        for (name, parameter) in visualParameters {
            let group = isTimm ? Self.timmVisionGroup(of: name, blocks: blocks) : Self.visionGroup(of: name, blocks: blocks)
            parameter.wrappedValue.requiresGrad = group >= groupCount - unlockedGroups
        }
    }

    static func timmVisionGroup(of name: String, blocks: Int) -> Int {
        let prefix = "visual.trunk.blocks."
        if name.hasPrefix(prefix), let index = Int(name.dropFirst(prefix.count).prefix { $0 != "." }) {
            return index < blocks - 1 ? 1 + index : blocks
        }
        if name.hasPrefix("visual.trunk.norm.") { return blocks }
        if name.hasPrefix("visual.trunk.attn_pool.") { return blocks + 1 }
        return 0   // patch_embed, pos_embed
    }

    static func visionGroup(of name: String, blocks: Int) -> Int {
        let prefix = "visual.transformer.resblocks."
        if name.hasPrefix(prefix), let index = Int(name.dropFirst(prefix.count).prefix { $0 != "." }) {
            return index < blocks - 1 ? 1 + index : blocks
        }
        if name.hasPrefix("visual.ln_post.") { return blocks }
        if name == "visual.proj" { return blocks + 1 }
        return 0   // conv1, class_embedding, positional_embedding, ln_pre
    }

    /// Freezes the text tower: all of CLIP's (embeddings, transformer, ln_final, text_projection);
    /// of a Hugging Face tower the transformer alone, LayerNorms included, leaving the projection
    /// trainable, as open_clip's `HFTextEncoder.lock()`.
    public func lockTextTower() {
        let isHuggingFace = configuration.text.huggingFace != nil
        for (name, parameter) in namedParameters() where !name.hasPrefix("visual.") && name != "logit_scale" && name != "logit_bias" {
            if isHuggingFace && !name.hasPrefix("text.transformer.") { continue }
            parameter.wrappedValue.requiresGrad = false
        }
    }
}
