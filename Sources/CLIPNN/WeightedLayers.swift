import CLIPTensor

/// One layer whose weight a matrix product multiplies: a linear layer, an attention layer's fused
/// input projection, or a convolution (its kernel seen as `[out, in·kh·kw]`).
public struct WeightedLayer {
    /// The weight's state-dict name (`visual.transformer.resblocks.0.mlp.c_fc.weight`).
    public let name: String
    /// Where the layer keeps its weight in the form inference uses.
    public let cache: PackedWeightCache
    /// The weight as the product reads it, `[out, in]`.
    public let weight: Tensor
}

extension Module {
    /// Every linear, attention-projection and convolution weight in this module and below, in
    /// declaration order.
    public func weightedLayers() -> [WeightedLayer] {
        namedModules().compactMap { name, module -> WeightedLayer? in
            let prefix = name.isEmpty ? "" : name + "."
            switch module {
            case let layer as Linear:
                return WeightedLayer(name: prefix + "weight", cache: layer.packing, weight: layer.weight)
            case let layer as MultiHeadAttention:
                return WeightedLayer(name: prefix + "in_proj_weight", cache: layer.inProjectionPacking, weight: layer.inProjectionWeight)
            case let layer as Conv2d:
                return WeightedLayer(name: prefix + "weight", cache: layer.packing, weight: layer.weight.reshaped([layer.weight.shape[0], -1]))
            case let layer as Conv2dWithBias:
                return WeightedLayer(name: prefix + "weight", cache: layer.packing, weight: layer.weight.reshaped([layer.weight.shape[0], -1]))
            default:
                return nil
            }
        }
    }
}
