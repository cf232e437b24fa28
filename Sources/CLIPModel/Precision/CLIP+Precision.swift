import CLIPNN
import CLIPTensor

/// Which layers of a model compute in the precision asked for.
///
/// - bf16: every linear layer, attention input projection and convolution; LayerNorm, softmax,
///   attention's own products, residual sums, the final projections and the embedding norms stay f32.
/// - int8: the same layers, except those this policy keeps in higher precision because int8 measurably
///   loses accuracy there (`keepsHigherPrecision`); those compute in bf16 where the CPU multiplies bf16
///   in hardware, else in f32.
public enum PrecisionPolicy {
    /// Whether an int8 model keeps the layer whose weight is `name` in higher precision:
    /// the image tower's first layer (the patch embedding, SigLIP's included, or a ResNet's first
    /// stem convolution), whose inputs are raw pixels with three channels: little work, and
    /// per-pixel int8 steps of normalised colour are coarse.
    public static func keepsHigherPrecision(_ name: String) -> Bool {
        name == "visual.conv1.weight" || name == "visual.trunk.patch_embed.proj.weight"
    }

    /// The precision of the layer whose weight is `name` when the model computes in `precision`.
    public static func precision(ofLayer name: String, modelPrecision precision: ComputePrecision,
                                 hardware: PrecisionHardware = .current) -> ComputePrecision {
        guard precision == .int8, keepsHigherPrecision(name) else { return precision }
        return hardware.accelerates(.bf16) ? .bf16 : .f32
    }
}

extension CLIP {
    /// Makes every linear layer, attention projection and convolution compute in `precision` (by
    /// `PrecisionPolicy`), converting their weights now; `.f32` returns to the reference's numbers.
    /// Layers that train (weights requiring gradients) keep computing in f32 while they do.
    public func setComputePrecision(_ precision: ComputePrecision) {
        for layer in weightedLayers() {
            layer.cache.precision = PrecisionPolicy.precision(ofLayer: layer.name, modelPrecision: precision)
            _ = layer.cache.lowPrecisionWeight(for: layer.weight)
        }
        computePrecision = precision
    }
}

extension CLIP {
    /// Hands each layer the weight a checkpoint stored for it in bf16 or int8 (matched by the tensor
    /// it stands for), so products in that precision use it as it is; with any int8 weight the model
    /// computes in int8.
    func useStoredWeights(_ stored: [LowPrecisionWeight]) {
        guard !stored.isEmpty else { return }
        for layer in weightedLayers() {
            if let match = stored.first(where: { $0.isConverted(from: layer.weight) }) { layer.cache.useStored(match) }
        }
        if stored.contains(where: { $0.precision == .int8 }) { setComputePrecision(.int8) }
    }
}
