/// transformers' `CLIPModel` state-dict names and open_clip's, written once and read in both
/// directions: by `HuggingFaceCheckpoint.remap` when loading and by `exportNames` when exporting.
enum HuggingFaceNames {
    /// Whole keys: (transformers, open_clip).
    static let keys: [(huggingFace: String, openCLIP: String)] = [
        ("logit_scale", "logit_scale"),
        ("text_model.embeddings.token_embedding.weight", "token_embedding.weight"),
        ("text_model.embeddings.position_embedding.weight", "positional_embedding"),
        ("text_model.final_layer_norm.weight", "ln_final.weight"),
        ("text_model.final_layer_norm.bias", "ln_final.bias"),
        ("text_projection.weight", "text_projection"),
        ("vision_model.embeddings.class_embedding", "visual.class_embedding"),
        ("vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"),
        ("vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"),
        ("vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"),
        ("vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"),
        ("vision_model.post_layernorm.weight", "visual.ln_post.weight"),
        ("vision_model.post_layernorm.bias", "visual.ln_post.bias"),
        ("visual_projection.weight", "visual.proj"),
    ]

    /// open_clip keys whose tensor transformers stores transposed (`nn.Linear` `[E, W]` against
    /// open_clip's `[W, E]` projection matrices).
    static let transposed: Set<String> = ["text_projection", "visual.proj"]

    /// The prefix of a tower's residual blocks: (transformers, open_clip).
    static let blockPrefixes: [(huggingFace: String, openCLIP: String)] = [
        ("text_model.encoder.layers.", "transformer.resblocks."),
        ("vision_model.encoder.layers.", "visual.transformer.resblocks."),
    ]

    /// Parts of a block other than the q/k/v projections, which open_clip fuses into `attn.in_proj_*`:
    /// (transformers, open_clip).
    static let blockParts: [(huggingFace: String, openCLIP: String)] = [
        ("self_attn.out_proj.", "attn.out_proj."),
        ("layer_norm1.", "ln_1."),
        ("layer_norm2.", "ln_2."),
        ("mlp.fc1.", "mlp.c_fc."),
        ("mlp.fc2.", "mlp.c_proj."),
    ]

    /// The separate projections transformers keeps, in open_clip's q, k, v order of `in_proj_*`.
    static let attentionProjections = ["q_proj", "k_proj", "v_proj"]

    static let openCLIPByHuggingFace = Dictionary(uniqueKeysWithValues: keys.map { ($0.huggingFace, $0.openCLIP) })
    static let huggingFaceByOpenCLIP = Dictionary(uniqueKeysWithValues: keys.map { ($0.openCLIP, $0.huggingFace) })
}
