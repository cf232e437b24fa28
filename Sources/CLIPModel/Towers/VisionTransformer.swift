// Same computation as open_clip `transformer.py` `VisionTransformer` (pool_type 'tok', LayerNorm
// before and after the transformer, no layer scale).
// Legend: N images, C channels, P patch size, G grid side, T = G² + 1 tokens, W width, E embedding.
import CLIPNN
import CLIPTensor

/// The ViT image tower: patch embedding, class token, positional embedding, pre-norm transformer,
/// the class token's final LayerNorm and projection.
public final class VisionTransformer: Module, ImageEncoder {
    /// The tower's configuration.
    public let configuration: VisionConfiguration
    @ModuleInfo(key: "conv1") var patchEmbedding: Conv2d
    @Parameter(key: "class_embedding") var classEmbedding: Tensor            // [W]
    @Parameter(key: "positional_embedding") var positionalEmbedding: Tensor  // [T, W]
    @ModuleInfo(key: "ln_pre") var preNorm: LayerNorm
    let transformer: Transformer
    @ModuleInfo(key: "ln_post") var postNorm: LayerNorm
    @Parameter(key: "proj") var projection: Tensor                           // [W, E]

    /// A tower of `configuration` projecting to `embedDim`, with zero weights.
    public init(_ configuration: VisionConfiguration, embedDim: Int, activation: Activation) {
        let (width, patch) = (configuration.width, configuration.patchSize ?? 1)
        let grid = configuration.imageSize / patch
        self.configuration = configuration
        transformer = Transformer(width: width, layers: configuration.layers[0], heads: configuration.heads,
                                  mlpWidth: configuration.mlpWidth, activation: activation)
        super.init()
        patchEmbedding = Conv2d(3, width, kernelSize: patch, stride: patch)
        classEmbedding = Tensor.zeros([width])
        positionalEmbedding = Tensor.zeros([grid * grid + 1, width])
        preNorm = LayerNorm(width)
        postNorm = LayerNorm(width)
        projection = Tensor.zeros([width, embedDim])
    }

    /// The input side in pixels.
    public var imageSize: Int { configuration.imageSize }

    /// `[N, 3, H, W]` normalised pixels → `[N, E]` image features (not normalised).
    public func callAsFunction(_ images: Tensor) -> Tensor {
        let (count, width) = (images.shape[0], configuration.width)
        let patch = configuration.patchSize ?? 1
        // Patch embedding as one GEMM over all patches: [N, G², C·P·P] · [W, C·P·P]ᵀ -> [N, G², W]
        let patches = patchified(images, patchSize: patch)
        let embedded = linear(patches, weight: patchEmbedding.weight.reshaped([width, -1]), bias: nil, packing: patchEmbedding.packingOfFlattenedWeight)
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
