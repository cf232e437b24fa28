// Same computation as the text tower of open_clip `model.py` `CLIP.encode_text` (argmax pooling,
// causal mask, `x @ text_projection`) and of open_clip `transformer.py` `TextTransformer` with the
// options SigLIP sets (`no_causal_mask`, `pool_type="last"`, `proj_bias`, LayerNorm eps 1e-6).
// Legend: N texts, L tokens kept, W width, E embedding, V vocabulary.
import CLIPNN
import CLIPTensor

/// The text tower: token and positional embeddings, a transformer (causal for CLIP), the final
/// LayerNorm at the pooled token, and the projection. Its parameters sit at the top level of the
/// state dict for CLIP (`token_embedding.weight`, `transformer.resblocks.…`, `ln_final`,
/// `text_projection`) and under `text.` for custom-text models.
public final class TextTransformer: Module, TextEncoder {
    /// The tower's configuration.
    public let configuration: TextConfiguration
    @ModuleInfo(key: "token_embedding") var tokenEmbedding: Embedding
    @Parameter(key: "positional_embedding") var positionalEmbedding: Tensor   // [context, W]
    let transformer: Transformer
    @ModuleInfo(key: "ln_final") var finalNorm: LayerNorm
    /// CLIP's projection matrix `[W, E]`.
    @OptionalParameter(key: "text_projection") var projectionMatrix: Tensor?
    /// A projection with bias (`proj_bias`): `nn.Linear(W, E)`.
    @ModuleInfo(key: "text_projection") var projectionLayer: Linear?

    /// A tower of `configuration` projecting to `embedDim`, with zero weights.
    public init(_ configuration: TextConfiguration, embedDim: Int, activation: Activation) {
        self.configuration = configuration
        let epsilon = Float(configuration.normEpsilon)
        transformer = Transformer(width: configuration.width, layers: configuration.layers, heads: configuration.heads,
                                  mlpWidth: configuration.mlpWidth, activation: configuration.activation ?? activation, epsilon: epsilon)
        super.init()
        tokenEmbedding = Embedding(configuration.vocabSize, configuration.width)
        positionalEmbedding = Tensor.zeros([configuration.contextLength, configuration.width])
        finalNorm = LayerNorm(configuration.width, epsilon: epsilon)
        projectionLayer = configuration.projectionBias ? Linear(configuration.width, embedDim) : nil
        if !configuration.projectionBias { projectionMatrix = Tensor.zeros([configuration.width, embedDim]) }
    }

    /// Token ids (each row padded to the same length, at most the context length) → `[N, E]`.
    ///
    /// CLIP pools each text at its end token, the first position of its largest id (CLIP's end token
    /// has the largest id); SigLIP at the last position, BERT-style towers at the first. With a
    /// causal mask, tokens after the pooled one never reach it, so the batch runs only up to the
    /// furthest pooled position: identical output, less work.
    public func callAsFunction(_ tokens: [[Int]]) throws -> Tensor {
        let count = tokens.count
        let length = try checkedLength(tokens)
        let pooled: [Int]
        switch configuration.pooling {
        case .argmax: pooled = tokens.map { row in row.firstIndex(of: row.max()!)! }
        case .last: pooled = Array(repeating: length - 1, count: count)
        case .first: pooled = Array(repeating: 0, count: count)
        }
        let kept = configuration.causal ? pooled.max()! + 1 : length
        let ids = tokens.flatMap { $0.prefix(kept) }
        var x = tokenEmbedding(ids, shape: [count, kept])                                    // [N, L, W]
        x = x + positionalEmbedding.sliced(0..<kept)
        // Only the pooled tokens are read and ln_final is per token, so the last block computes just them.
        let features = transformer(x, causal: configuration.causal, keepingRows: pooled.enumerated().map { $0.offset * kept + $0.element })
        let normalized = finalNorm(features)                                                 // [N, W]
        if let projectionLayer { return projectionLayer(normalized) }                       // [N, W] -> [N, E]
        return matmul(normalized, projectionMatrix!)
    }
}
