import CLIPTensor

/// The activation functions CLIP uses in its MLPs.
public enum Activation: String, Sendable, Codable {
    /// `x · σ(1.702 x)`: OpenAI's models and open_clip's `-quickgelu` configurations.
    case quickGELU = "quick_gelu"
    /// Exact erf GELU: open_clip's default.
    case gelu
    /// GELU with the tanh approximation (transformers' `gelu_pytorch_tanh`: SigLIP, SigLIP 2).
    case geluTanh = "gelu_tanh"
    case relu

    /// Applies the activation elementwise.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .quickGELU: return CLIPTensor.quickGELU(x)
        case .gelu: return CLIPTensor.gelu(x)
        case .geluTanh: return CLIPTensor.geluTanh(x)
        case .relu: return CLIPTensor.relu(x)
        }
    }
}

/// `y = x · Wᵀ + b`, weights stored `[out, in]` as in PyTorch.
public final class Linear: Module {
    /// `[out, in]`.
    @Parameter public var weight: Tensor
    /// `[out]`, or nil for a layer without bias.
    @OptionalParameter public var bias: Tensor?
    /// The weight packed for few-row inference products, filled on first use.
    public let packing = PackedWeightCache()
    /// A LoRA update added to this layer's output (not part of the state dict).
    public var adapter: LowRankAdapter?

    /// A layer from `inFeatures` to `outFeatures`, with zero weights.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        super.init()
        weight = Tensor.zeros([outFeatures, inFeatures])
        if bias { self.bias = Tensor.zeros([outFeatures]) }
    }

    /// `x · Wᵀ + b` over the last axis.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        CLIPTensor.linear(x, weight: weight, bias: bias, addingTo: adapter?(x), packing: packing)
    }

    /// `residual + self(x)`, with the addition fused into the matrix product.
    public func callAsFunction(_ x: Tensor, addingTo residual: Tensor) -> Tensor {
        let residual = adapter.map { residual + $0(x) } ?? residual
        return CLIPTensor.linear(x, weight: weight, bias: bias, addingTo: residual, packing: packing)
    }
}

/// Layer normalisation over the last axis (ε = 1e-5, as CLIP).
public final class LayerNorm: Module {
    /// The gain, `[width]`.
    @Parameter public var weight: Tensor
    /// The shift, `[width]`.
    @Parameter public var bias: Tensor
    /// Added to the variance.
    public let epsilon: Float

    /// A layer norm over `width` features (gain 1, shift 0).
    public init(_ width: Int, epsilon: Float = 1e-5) {
        self.epsilon = epsilon
        super.init()
        weight = Tensor.ones([width])
        bias = Tensor.zeros([width])
    }

    /// `(x − mean) / √(var + ε) · weight + bias` over the last axis.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, weight: weight, bias: bias, epsilon: epsilon)
    }
}

/// 2-D convolution without bias (CLIP's convolutions have none), NCHW.
public final class Conv2d: Module {
    /// `[out, in, k, k]`.
    @Parameter public var weight: Tensor
    /// The step between windows.
    public let stride: Int
    /// Zeros added on every side.
    public let padding: Int
    /// The weight converted for bf16 or int8 inference, when the layer computes in one.
    public let packing = PackedWeightCache()

    /// A convolution with square kernels, with zero weights.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        self.stride = stride
        self.padding = padding
        super.init()
        weight = Tensor.zeros([outChannels, inChannels, kernelSize, kernelSize])
    }

    /// `[N, C, H, W]` → `[N, out, H', W']`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, stride: (stride, stride), padding: (padding, padding), packing: packingOfFlattenedWeight)
    }

    /// `packing` for products with the weight flattened to `[out, in·k·k]` (patch embeddings), or nil
    /// while the weight trains: the flattened view does not carry `requiresGrad` under `withNoGrad`,
    /// and the cache, which knows a weight by its storage, would keep packing the values from before
    /// the optimizer changed them in place.
    public var packingOfFlattenedWeight: PackedWeightCache? { weight.requiresGrad ? nil : packing }
}

/// The weights of a convolution with a bias, `[out, in, k, k]` and `[out]`, for patch embeddings
/// (kernel = stride), which their towers apply as one matrix product over all patches (timm's
/// `patch_embed.proj`).
public final class Conv2dWithBias: Module {
    /// `[out, in, k, k]`.
    @Parameter public var weight: Tensor
    /// `[out]`.
    @Parameter public var bias: Tensor
    /// The weight converted for bf16 or int8 inference, when the layer computes in one.
    public let packing = PackedWeightCache()

    /// A convolution with square kernels, with zero weights.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int) {
        super.init()
        weight = Tensor.zeros([outChannels, inChannels, kernelSize, kernelSize])
        bias = Tensor.zeros([outChannels])
    }

    /// `packing` for products with the weight flattened to `[out, in·k·k]` (patch embeddings), or nil
    /// while the weight trains: the flattened view does not carry `requiresGrad` under `withNoGrad`,
    /// and the cache, which knows a weight by its storage, would keep packing the values from before
    /// the optimizer changed them in place.
    public var packingOfFlattenedWeight: PackedWeightCache? { weight.requiresGrad ? nil : packing }
}

/// Batch normalisation with running statistics (inference mode), NCHW; ε = 1e-5.
public final class BatchNorm2d: Module {
    /// The gain, `[channels]`.
    @Parameter public var weight: Tensor
    /// The shift, `[channels]`.
    @Parameter public var bias: Tensor
    /// The running mean, a buffer.
    @Parameter(key: "running_mean", trainable: false) public var runningMean: Tensor
    /// The running variance, a buffer.
    @Parameter(key: "running_var", trainable: false) public var runningVariance: Tensor
    /// Added to the variance.
    public let epsilon: Float = 1e-5

    /// A batch norm over `channels` (identity statistics).
    public init(_ channels: Int) {
        super.init()
        weight = Tensor.ones([channels])
        bias = Tensor.zeros([channels])
        runningMean = Tensor.zeros([channels])
        runningVariance = Tensor.ones([channels])
    }

    /// `(x − mean) / √(var + ε) · weight + bias`, computed as torch's CPU kernel does:
    /// `x · α + β` with α = weight / √(var + ε) and β = bias − mean · α.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let channels = weight.count
        let inverseStd = withNoGrad { 1 / sqrt(runningVariance + epsilon) }
        let scale = weight * inverseStd
        let shift = bias - runningMean * scale
        return x * scale.reshaped([channels, 1, 1]) + shift.reshaped([channels, 1, 1])
    }
}

/// Multi-head self-attention with PyTorch's fused input projection (`in_proj_weight` `[3D, D]`,
/// q, k, v in that order) and `out_proj`.
public final class MultiHeadAttention: Module {
    /// q, k and v projections stacked, `[3D, D]`.
    @Parameter(key: "in_proj_weight") public var inProjectionWeight: Tensor
    /// Their biases, `[3D]`.
    @Parameter(key: "in_proj_bias") public var inProjectionBias: Tensor
    /// The output projection.
    @ModuleInfo(key: "out_proj") public var outProjection: Linear
    /// Attention heads.
    public let heads: Int
    /// The input projection packed for few-row inference products.
    public let inProjectionPacking = PackedWeightCache()
    /// A LoRA update of the fused input projection (not part of the state dict).
    public var inProjectionAdapter: LowRankAdapter?

    /// Attention over `width` features in `heads` heads, with zero weights.
    public init(width: Int, heads: Int) {
        precondition(width % heads == 0, "width \(width) not divisible by \(heads) heads")
        self.heads = heads
        super.init()
        inProjectionWeight = Tensor.zeros([3 * width, width])
        inProjectionBias = Tensor.zeros([3 * width])
        outProjection = Linear(width, width)
    }

    /// `[B, L, D] → [B, L, D]`, plus `residual` when given (fused into the output projection).
    public func callAsFunction(_ x: Tensor, causal: Bool = false, addingTo residual: Tensor? = nil) -> Tensor {
        let attended = headsBeforeOutputProjection(x, causal: causal)
        return residual.map { outProjection(attended, addingTo: $0) } ?? outProjection(attended)
    }

    /// The attended values of every head, concatenated (`[B, L, D]`), before `out_proj`.
    public func headsBeforeOutputProjection(_ x: Tensor, causal: Bool = false) -> Tensor {
        let qkv = linear(x, weight: inProjectionWeight, bias: inProjectionBias, addingTo: inProjectionAdapter?(x),
                         packing: inProjectionPacking)   // [B, L, D] -> [B, L, 3D]
        return packedSelfAttention(qkv, heads: heads, causal: causal)
    }
}

/// The transformer MLP: `c_fc`, activation, `c_proj`.
public final class MLP: Module {
    /// The expansion to the hidden width.
    @ModuleInfo(key: "c_fc") public var fc: Linear
    /// The projection back to the width.
    @ModuleInfo(key: "c_proj") public var projection: Linear
    /// The activation between them.
    public let activation: Activation

    /// An MLP `width → hiddenWidth → width`, with zero weights.
    public init(width: Int, hiddenWidth: Int, activation: Activation) {
        self.activation = activation
        super.init()
        fc = Linear(width, hiddenWidth)
        projection = Linear(hiddenWidth, width)
    }

    /// `c_proj(activation(c_fc(x)))`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        projection(activation(fc(x)))
    }

    /// `residual + self(x)`, the addition fused into the output projection.
    public func callAsFunction(_ x: Tensor, addingTo residual: Tensor) -> Tensor {
        projection(activation(fc(x)), addingTo: residual)
    }
}

/// A pre-norm transformer block (same computation as open_clip `transformer.py`
/// `ResidualAttentionBlock`): `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
public final class ResidualAttentionBlock: Module {
    /// The norm before attention.
    @ModuleInfo(key: "ln_1") public var norm1: LayerNorm
    /// Self-attention.
    @ModuleInfo(key: "attn") public var attention: MultiHeadAttention
    /// The norm before the MLP.
    @ModuleInfo(key: "ln_2") public var norm2: LayerNorm
    /// The MLP.
    public let mlp: MLP

    /// A block of `width`, with zero weights; its LayerNorms add `epsilon` to the variance.
    public init(width: Int, heads: Int, mlpWidth: Int, activation: Activation, epsilon: Float = 1e-5) {
        mlp = MLP(width: width, hiddenWidth: mlpWidth, activation: activation)
        super.init()
        norm1 = LayerNorm(width, epsilon: epsilon)
        attention = MultiHeadAttention(width: width, heads: heads)
        norm2 = LayerNorm(width, epsilon: epsilon)
    }

    /// `[B, L, D] → [B, L, D]`; `causal` masks attention to later tokens.
    public func callAsFunction(_ x: Tensor, causal: Bool = false) -> Tensor {
        let h = attention(norm1(x), causal: causal, addingTo: x)   // x + attn(ln_1(x))
        return mlp(norm2(h), addingTo: h)                           // h + mlp(ln_2(h))
    }

    /// The block's output at token rows `rows` of the flattened `[B·L, D]` only, as `[rows.count, D]`.
    /// Every token still serves as a key and value; the output projection, `ln_2` and the MLP, all
    /// per token, run on the kept rows alone (the last block of a tower whose pooling reads one token).
    public func callAsFunction(_ x: Tensor, causal: Bool = false, keepingRows rows: [Int]) -> Tensor {
        let width = x.shape.last!
        let attended = attention.headsBeforeOutputProjection(norm1(x), causal: causal).reshaped([-1, width]).gatheringRows(rows)
        let h = attention.outProjection(attended, addingTo: x.reshaped([-1, width]).gatheringRows(rows))
        return mlp(norm2(h), addingTo: h)
    }
}

/// A stack of residual attention blocks (`resblocks.N`).
public final class Transformer: Module {
    /// The blocks, in order.
    @ModuleInfo(key: "resblocks") public var blocks: [ResidualAttentionBlock]

    /// `layers` blocks of `width`, with zero weights.
    public init(width: Int, layers: Int, heads: Int, mlpWidth: Int, activation: Activation, epsilon: Float = 1e-5) {
        super.init()
        blocks = (0..<layers).map { _ in
            ResidualAttentionBlock(width: width, heads: heads, mlpWidth: mlpWidth, activation: activation, epsilon: epsilon)
        }
    }

    /// `[B, L, D] → [B, L, D]` through every block.
    public func callAsFunction(_ x: Tensor, causal: Bool = false) -> Tensor {
        blocks.reduce(x) { $1($0, causal: causal) }
    }

    /// `[B, L, D]` → `[rows.count, D]`: the output at `rows` of the flattened tokens only, the last
    /// block computing just those rows (see `ResidualAttentionBlock.callAsFunction(_:causal:keepingRows:)`).
    public func callAsFunction(_ x: Tensor, causal: Bool = false, keepingRows rows: [Int]) -> Tensor {
        guard let last = blocks.last else { return x.reshaped([-1, x.shape.last!]).gatheringRows(rows) }
        return last(blocks.dropLast().reduce(x) { $1($0, causal: causal) }, causal: causal, keepingRows: rows)
    }
}

/// A lookup table of `count` vectors of `width` (`weight` `[count, width]`).
public final class Embedding: Module {
    /// `[count, width]`.
    @Parameter public var weight: Tensor

    /// A table of `count` zero vectors of `width`.
    public init(_ count: Int, _ width: Int) {
        super.init()
        weight = Tensor.zeros([count, width])
    }

    /// Rows of `weight` for `ids`, shaped `shape + [width]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor {
        embedding(weight, indices: ids, shape: shape)
    }
}
