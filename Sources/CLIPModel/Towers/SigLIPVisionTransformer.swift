// Same computation as open_clip's SigLIP image tower: timm `VisionTransformer` with no class token,
// no pre-norm and `global_pool="map"` (`AttentionPoolLatent`), wrapped as open_clip `TimmModel`
// without a projection (`visual.trunk.…`); transformers' `SiglipVisionTransformer` is the same.
// Legend: N images, G grid side, T = G² tokens, W width, H heads, Dh head width.
import CLIPNN
import CLIPTensor

/// SigLIP's image tower: patch embedding with bias, positional embedding, pre-norm blocks, a final
/// LayerNorm, then multi-head attention pooling by one learned query (MAP) and its MLP.
public final class SigLIPVisionTransformer: Module, ImageEncoder {
    /// The tower's configuration.
    public let configuration: VisionConfiguration
    @ModuleInfo(key: "trunk") var trunk: TimmVisionTrunk

    /// A tower of `configuration`, with zero weights.
    public init(_ configuration: VisionConfiguration, activation: Activation) {
        self.configuration = configuration
        super.init()
        trunk = TimmVisionTrunk(configuration, activation: activation)
    }

    /// The input side in pixels.
    public var imageSize: Int { configuration.imageSize }

    /// `[N, 3, S, S]` normalised pixels → `[N, W]` pooled features.
    public func callAsFunction(_ images: Tensor) -> Tensor { trunk(images) }
}

/// timm's ViT trunk as SigLIP configures it (`patch_embed`, `pos_embed`, `blocks`, `norm`, `attn_pool`).
final class TimmVisionTrunk: Module {
    let configuration: VisionConfiguration
    @ModuleInfo(key: "patch_embed") var patchEmbedding: PatchEmbedding
    @Parameter(key: "pos_embed") var positionalEmbedding: Tensor   // [1, T, W]
    @ModuleInfo(key: "blocks") var blocks: [TimmBlock]
    @ModuleInfo(key: "norm") var norm: LayerNorm
    @ModuleInfo(key: "attn_pool") var attentionPool: AttentionPoolLatent

    init(_ configuration: VisionConfiguration, activation: Activation) {
        let (width, patch) = (configuration.width, configuration.patchSize ?? 1)
        let grid = configuration.imageSize / patch
        let epsilon = Float(configuration.normEpsilon)
        self.configuration = configuration
        super.init()
        patchEmbedding = PatchEmbedding(patchSize: patch, width: width)
        positionalEmbedding = Tensor.zeros([1, grid * grid, width])
        blocks = (0..<configuration.layers[0]).map { _ in
            TimmBlock(width: width, heads: configuration.heads, mlpWidth: configuration.mlpWidth, activation: activation, epsilon: epsilon)
        }
        norm = LayerNorm(width, epsilon: epsilon)
        attentionPool = AttentionPoolLatent(width: width, heads: configuration.heads, mlpWidth: configuration.mlpWidth,
                                            activation: activation, epsilon: epsilon)
    }

    func callAsFunction(_ images: Tensor) -> Tensor {
        var x = patchEmbedding(images) + positionalEmbedding                    // [N, T, W]
        for block in blocks { x = block(x) }
        return attentionPool(norm(x))                                           // [N, W]
    }
}

/// The patch embedding: a convolution with kernel = stride = patch and a bias (`proj`), computed as
/// one product over all patches.
final class PatchEmbedding: Module {
    @ModuleInfo(key: "proj") var projection: Conv2dWithBias
    let patchSize: Int

    init(patchSize: Int, width: Int) {
        self.patchSize = patchSize
        super.init()
        projection = Conv2dWithBias(3, width, kernelSize: patchSize)
    }

    /// `[N, 3, S, S]` → `[N, G², W]`.
    func callAsFunction(_ images: Tensor) -> Tensor {
        let width = projection.weight.shape[0]
        let patches = patchified(images, patchSize: patchSize)                   // [N, G², 3·P·P]
        return linear(patches, weight: projection.weight.reshaped([width, -1]), bias: projection.bias, packing: projection.packingOfFlattenedWeight)
    }
}

/// A transformer block whose layers are plain `Linear`s (timm's), listed with their state-dict
/// names relative to the block, for LoRA.
public protocol LinearLayerBlock: Module {
    /// `("attn.qkv", layer)`, … in block order.
    var linearLayers: [(name: String, layer: Linear)] { get }
}

/// timm's pre-norm block: `x + attn(norm1(x))`, then `x + mlp(norm2(x))`.
final class TimmBlock: Module, LinearLayerBlock {
    @ModuleInfo(key: "norm1") var norm1: LayerNorm
    @ModuleInfo(key: "attn") var attention: TimmAttention
    @ModuleInfo(key: "norm2") var norm2: LayerNorm
    @ModuleInfo(key: "mlp") var mlp: TimmMLP

    init(width: Int, heads: Int, mlpWidth: Int, activation: Activation, epsilon: Float) {
        super.init()
        norm1 = LayerNorm(width, epsilon: epsilon)
        attention = TimmAttention(width: width, heads: heads)
        norm2 = LayerNorm(width, epsilon: epsilon)
        mlp = TimmMLP(width: width, hiddenWidth: mlpWidth, activation: activation)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let h = attention(norm1(x), addingTo: x)
        return mlp(norm2(h), addingTo: h)
    }

    var linearLayers: [(name: String, layer: Linear)] {
        [("attn.qkv", attention.qkv), ("attn.proj", attention.projection), ("mlp.fc1", mlp.fc1), ("mlp.fc2", mlp.fc2)]
    }
}

/// timm's self-attention: one `qkv` projection (q, k, v stacked, as PyTorch's `in_proj`) and `proj`.
final class TimmAttention: Module {
    @ModuleInfo(key: "qkv") var qkv: Linear
    @ModuleInfo(key: "proj") var projection: Linear
    let heads: Int

    init(width: Int, heads: Int) {
        self.heads = heads
        super.init()
        qkv = Linear(width, 3 * width)
        projection = Linear(width, width)
    }

    func callAsFunction(_ x: Tensor, addingTo residual: Tensor) -> Tensor {
        projection(packedSelfAttention(qkv(x), heads: heads), addingTo: residual)   // [B, L, 3W] -> [B, L, W]
    }
}

/// timm's MLP: `fc1`, activation, `fc2`.
final class TimmMLP: Module {
    @ModuleInfo(key: "fc1") var fc1: Linear
    @ModuleInfo(key: "fc2") var fc2: Linear
    let activation: Activation

    init(width: Int, hiddenWidth: Int, activation: Activation) {
        self.activation = activation
        super.init()
        fc1 = Linear(width, hiddenWidth)
        fc2 = Linear(hiddenWidth, width)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { fc2(activation(fc1(x))) }
    func callAsFunction(_ x: Tensor, addingTo residual: Tensor) -> Tensor { fc2(activation(fc1(x)), addingTo: residual) }
}

/// timm's `AttentionPoolLatent`: one learned query (`latent`) attends over the tokens (`q`, `kv`,
/// `proj`), then `x + mlp(norm(x))`; the result for the one query is the pooled feature.
final class AttentionPoolLatent: Module {
    @Parameter(key: "latent") var latent: Tensor          // [1, 1, W]
    @ModuleInfo(key: "q") var query: Linear
    @ModuleInfo(key: "kv") var keyValue: Linear
    @ModuleInfo(key: "proj") var projection: Linear
    @ModuleInfo(key: "norm") var norm: LayerNorm
    @ModuleInfo(key: "mlp") var mlp: TimmMLP
    let heads: Int

    init(width: Int, heads: Int, mlpWidth: Int, activation: Activation, epsilon: Float) {
        self.heads = heads
        super.init()
        latent = Tensor.zeros([1, 1, width])
        query = Linear(width, width)
        keyValue = Linear(width, 2 * width)
        projection = Linear(width, width)
        norm = LayerNorm(width, epsilon: epsilon)
        mlp = TimmMLP(width: width, hiddenWidth: mlpWidth, activation: activation)
    }

    /// `[N, T, W]` → `[N, W]`.
    func callAsFunction(_ x: Tensor) -> Tensor {
        let (count, tokens, width) = (x.shape[0], x.shape[1], x.shape[2])
        let headWidth = width / heads
        let q = query(latent.reshaped([1, width]))                                          // [1, W]
            .reshaped([1, heads, 1, headWidth]).expanded(to: [count, heads, 1, headWidth])  // [N, H, 1, Dh]
        let kv = keyValue(x).reshaped([count, tokens, 2, heads, headWidth]).permuted([2, 0, 3, 1, 4])   // [2, N, H, T, Dh]
        let keys = kv.sliced(0..<1).reshaped([count, heads, tokens, headWidth])
        let values = kv.sliced(1..<2).reshaped([count, heads, tokens, headWidth])
        let attended = scaledDotProductAttention(query: q, key: keys, value: values)       // [N, H, 1, Dh]
        let pooled = projection(attended.reshaped([count, width]))                          // [N, W]
        return mlp(norm(pooled), addingTo: pooled)
    }
}
