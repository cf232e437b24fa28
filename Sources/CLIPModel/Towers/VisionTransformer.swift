// Same computation as open_clip `transformer.py` `VisionTransformer` (pool_type 'tok', LayerNorm
// before and after the transformer, no layer scale).
// Legend: N images, C channels, P patch size, G grid side, T = G² + 1 tokens, W width, E embedding.
import CLIPNN
import CLIPTensor

/// The ViT image tower: patch embedding, class token, positional embedding, pre-norm transformer,
/// the class token's final LayerNorm and projection.
public final class VisionTransformer: Module, ImageEncoder {
    public let configuration: VisionConfiguration
    let patchEmbedding: Conv2d
    @Parameter var classEmbedding: Tensor       // "class_embedding" [W]
    @Parameter var positionalEmbedding: Tensor  // "positional_embedding" [T, W]
    let preNorm: LayerNorm
    let transformer: Transformer
    let postNorm: LayerNorm
    @Parameter var projection: Tensor           // "proj" [W, E]
    let patchPacking = PackedWeightCache()

    public override class var childKeys: [String: String] {
        ["patchEmbedding": "conv1", "preNorm": "ln_pre", "postNorm": "ln_post"]
    }

    public init(_ configuration: VisionConfiguration, embedDim: Int, activation: Activation) {
        let (width, patch) = (configuration.width, configuration.patchSize ?? 1)
        let grid = configuration.imageSize / patch
        self.configuration = configuration
        patchEmbedding = Conv2d(3, width, kernelSize: patch, stride: patch)
        _classEmbedding = Parameter(wrappedValue: Tensor.zeros([width]), key: "class_embedding")
        _positionalEmbedding = Parameter(wrappedValue: Tensor.zeros([grid * grid + 1, width]), key: "positional_embedding")
        preNorm = LayerNorm(width)
        transformer = Transformer(width: width, layers: configuration.layers[0], heads: configuration.heads,
                                  mlpWidth: configuration.mlpWidth, activation: activation)
        postNorm = LayerNorm(width)
        _projection = Parameter(wrappedValue: Tensor.zeros([width, embedDim]), key: "proj")
        super.init()
    }

    public var imageSize: Int { configuration.imageSize }

    /// `[N, 3, H, W]` normalised pixels → `[N, E]` image features (not normalised).
    public func callAsFunction(_ images: Tensor) -> Tensor {
        let (count, width) = (images.shape[0], configuration.width)
        let patch = configuration.patchSize ?? 1
        // Patch embedding as one GEMM over all patches: [N, G², C·P·P] · [W, C·P·P]ᵀ -> [N, G², W]
        let patches = patchified(images, patchSize: patch)
        let embedded = linear(patches, weight: patchEmbedding.weight.reshaped([width, -1]), bias: nil, packing: patchPacking)
        let classTokens = classEmbedding.reshaped([1, 1, width]).expanded(to: [count, 1, width])
        let x = concatenate([classTokens, embedded], alongAxis: 1) + positionalEmbedding  // [N, T, W]
        let tokens = x.shape[1]
        // Only the class tokens are pooled, and every op after the last block's attention is per
        // token (ln_post included), so that block computes just those rows: open_clip's output.
        let classTokenRows = (0..<count).map { $0 * tokens }
        let pooled = postNorm(transformer(preNorm(x), keepingRows: classTokenRows))      // [N, W]
        return matmul(pooled, projection)                                                 // [N, E]
    }
}
