/// The timm image towers open_clip's SigLIP configurations name (`vision_cfg.timm_model_name`), with
/// the sizes timm gives them: `vit_{size}_patch{P}_siglip_{image}`.
enum TimmVisionModels {
    struct Sizes: Equatable {
        let width: Int
        let layers: Int
        let heads: Int
        let mlpWidth: Int
        let patchSize: Int
    }

    /// Width, depth, heads and MLP width of timm's SigLIP ViT sizes.
    static let sigLIPSizes: [String: (width: Int, layers: Int, heads: Int, mlpWidth: Int)] = [
        "base": (768, 12, 12, 3072),
        "large": (1024, 24, 16, 4096),
        "so400m": (1152, 27, 16, 4304),
        "giantopt": (1536, 40, 16, 6144),
    ]

    /// The sizes of a timm SigLIP tower name, or nil for a name of another form or size (including
    /// the `_gap_` variants, which pool by averaging rather than by attention).
    static func sizes(ofSigLIP name: String) -> Sizes? {
        let parts = name.split(separator: "_")
        guard parts.count == 5, parts[0] == "vit", parts[3] == "siglip", let size = sigLIPSizes[String(parts[1])],
              parts[2].hasPrefix("patch"), let patch = Int(parts[2].dropFirst("patch".count)), patch > 0, Int(parts[4]) != nil else {
            return nil
        }
        return Sizes(width: size.width, layers: size.layers, heads: size.heads, mlpWidth: size.mlpWidth, patchSize: patch)
    }

    /// timm's name for a SigLIP tower of these sizes (`vit_base_patch16_siglip_224`), or a
    /// descriptive one (`vit_w32d2_patch8_siglip_32`) for sizes timm has no name for.
    static func name(of vision: VisionConfiguration) -> String {
        let patch = vision.patchSize ?? 0
        let size = sigLIPSizes.first { $0.value.width == vision.width && $0.value.layers == vision.layers[0]
            && $0.value.heads == vision.heads && $0.value.mlpWidth == vision.mlpWidth }?.key
        return "vit_\(size ?? "w\(vision.width)d\(vision.layers[0])")_patch\(patch)_siglip_\(vision.imageSize)"
    }
}
