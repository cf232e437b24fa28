// Same computation as the text tower of open_clip `model.py` `CLIP.encode_text` (argmax pooling,
// causal mask, `x @ text_projection`).
// Legend: N texts, L tokens kept, W width, E embedding, V vocabulary.
import CLIPNN
import CLIPTensor

/// The text tower: token and positional embeddings, a causal transformer, the final LayerNorm at
/// the end token, and the projection. Its parameters sit at the top level of the state dict
/// (`token_embedding.weight`, `transformer.resblocks.…`, `ln_final`, `text_projection`).
public final class TextTransformer: Module {
    /// The tower's configuration.
    public let configuration: TextConfiguration
    @ModuleInfo(key: "token_embedding") var tokenEmbedding: Embedding
    @Parameter(key: "positional_embedding") var positionalEmbedding: Tensor   // [context, W]
    let transformer: Transformer
    @ModuleInfo(key: "ln_final") var finalNorm: LayerNorm
    @Parameter(key: "text_projection") var projection: Tensor                 // [W, E]

    /// A tower of `configuration` projecting to `embedDim`, with zero weights.
    public init(_ configuration: TextConfiguration, embedDim: Int, activation: Activation) {
        self.configuration = configuration
        transformer = Transformer(width: configuration.width, layers: configuration.layers, heads: configuration.heads,
                                  mlpWidth: configuration.mlpWidth, activation: activation)
        super.init()
        tokenEmbedding = Embedding(configuration.vocabSize, configuration.width)
        positionalEmbedding = Tensor.zeros([configuration.contextLength, configuration.width])
        finalNorm = LayerNorm(configuration.width)
        projection = Tensor.zeros([configuration.width, embedDim])
    }

    /// Token ids (each row padded to the same length, at most the context length) → `[N, E]`.
    ///
    /// Each text is pooled at its end token, the first position of its largest id (CLIP's end token
    /// has the largest id). The causal mask means tokens after a text's end never reach its pooled
    /// feature, so the batch runs only up to its longest text: identical output, less work.
    public func callAsFunction(_ tokens: [[Int]]) throws -> Tensor {
        let count = tokens.count
        guard let length = tokens.first?.count, tokens.allSatisfy({ $0.count == length }), length > 0 else {
            throw ModelError.sequenceTooLong(length: tokens.map(\.count).max() ?? 0, contextLength: configuration.contextLength)
        }
        guard length <= configuration.contextLength else {
            throw ModelError.sequenceTooLong(length: length, contextLength: configuration.contextLength)
        }
        for row in tokens {
            if let bad = row.first(where: { $0 < 0 || $0 >= configuration.vocabSize }) {
                throw ModelError.tokenOutOfRange(id: bad, vocabularySize: configuration.vocabSize)
            }
        }
        let ends = tokens.map { row in row.firstIndex(of: row.max()!)! }
        let kept = ends.max()! + 1
        let ids = tokens.flatMap { $0.prefix(kept) }
        var x = tokenEmbedding(ids, shape: [count, kept])                                    // [N, L, W]
        x = x + positionalEmbedding.sliced(0..<kept)
        // Only the end tokens are pooled and ln_final is per token, so the last block computes just them.
        let pooled = transformer(x, causal: true, keepingRows: ends.enumerated().map { $0.offset * kept + $0.element })
        return matmul(finalNorm(pooled), projection)                                         // [N, W] -> [N, E]
    }
}
