// Same computation as open_clip `hf_model.py` `HFTextEncoder` over transformers' `BertModel` and
// `XLMRobertaModel` (post-norm blocks, attention mask `ids != pad`, RoBERTa's positions counted
// from the pad id), pooled by masked mean or at [CLS], then a linear or MLP projection without bias;
// and as transformers' `ChineseCLIPModel.get_text_features` ([CLS] of the last layer, linear).
// Legend: N texts, L tokens, W width, E embedding, H hidden width of the MLP projection.
import CLIPNN
import CLIPTensor

/// A text tower: token-id rows to features `[N, E]`.
public protocol TextEncoder: Module {
    /// The tower's configuration.
    var configuration: TextConfiguration { get }
    /// Token ids (each row padded to the same length, at most the context length) → `[N, E]`.
    func callAsFunction(_ tokens: [[Int]]) throws -> Tensor
}

extension TextEncoder {
    /// The rows' common length, after checking it against the context and every id against the
    /// vocabulary.
    func checkedLength(_ tokens: [[Int]]) throws -> Int {
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
        return length
    }
}

/// A Hugging Face BERT or XLM-RoBERTa text tower with open_clip's pooling and projection, its
/// parameters named as open_clip's `HFTextEncoder` (`text.transformer.encoder.layer.N.…`,
/// `text.proj.…`).
public final class HuggingFaceTextEncoder: Module, TextEncoder {
    /// The tower's configuration; `configuration.huggingFace` is set.
    public let configuration: TextConfiguration
    let tower: HuggingFaceTextConfiguration
    @ModuleInfo(key: "transformer") var transformer: BERTModel
    @ModuleInfo(key: "proj") var linearProjection: Linear?
    @ModuleInfo(key: "proj") var mlpProjection: MLPProjection?

    /// A tower of `configuration` projecting to `embedDim`, with zero weights.
    public init(_ configuration: TextConfiguration, tower: HuggingFaceTextConfiguration, embedDim: Int) {
        self.configuration = configuration
        self.tower = tower
        super.init()
        transformer = BERTModel(configuration, tower: tower)
        linearProjection = tower.projection == .linear ? Linear(configuration.width, embedDim, bias: false) : nil
        mlpProjection = tower.projection == .mlp ? MLPProjection(width: configuration.width, embedDim: embedDim) : nil
    }

    /// Token ids (each row padded with the pad token to the same length, at most the context
    /// length) → `[N, E]`; pad tokens are hidden from attention and from mean pooling.
    public func callAsFunction(_ tokens: [[Int]]) throws -> Tensor {
        let length = try checkedLength(tokens)
        let count = tokens.count
        let keyMask = tokens.flatMap { row in row.map { $0 != tower.padID } }
        let hidden = transformer(tokens, length: length, keyMask: keyMask)                 // [N, L, W]
        let pooled: Tensor
        switch tower.pooling {
        case .classToken:
            pooled = hidden.reshaped([count * length, configuration.width]).gatheringRows((0..<count).map { $0 * length })
        case .mean:
            let weights = (0..<count).flatMap { row -> [Float] in
                let visible = keyMask[(row * length)..<((row + 1) * length)]
                let total = Float(visible.filter { $0 }.count)
                return visible.map { $0 ? 1 / total : 0 }
            }
            // Σ_l x[n, l] · mask[n, l] / Σ_l mask[n, l], as a [N, 1, L] · [N, L, W] product.
            pooled = matmul(Tensor(shape: [count, 1, length], scalars: weights), hidden).reshaped([count, configuration.width])
        }
        if let linearProjection { return linearProjection(pooled) }                          // [N, W] -> [N, E]
        return mlpProjection?(pooled) ?? pooled
    }
}

/// open_clip's `proj_type="mlp"`: `Linear(W, H)`, GELU, `Linear(H, E)`, no biases, H = (W + E) / 2,
/// named `0` and `2` as in its `nn.Sequential`.
final class MLPProjection: Module {
    @ModuleInfo(key: "0") var first: Linear
    @ModuleInfo(key: "2") var second: Linear

    init(width: Int, embedDim: Int) {
        super.init()
        let hidden = (width + embedDim) / 2
        first = Linear(width, hidden, bias: false)
        second = Linear(hidden, embedDim, bias: false)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { second(Activation.gelu(first(x))) }
}

/// transformers' `BertModel` without its pooler: embeddings, then post-norm blocks.
final class BERTModel: Module {
    @ModuleInfo(key: "embeddings") var embeddings: BERTEmbeddings
    @ModuleInfo(key: "encoder") var encoder: BERTEncoder

    init(_ configuration: TextConfiguration, tower: HuggingFaceTextConfiguration) {
        super.init()
        embeddings = BERTEmbeddings(configuration, tower: tower)
        encoder = BERTEncoder(configuration)
    }

    /// `[N, L, W]`, padding keys hidden by `keyMask`.
    func callAsFunction(_ tokens: [[Int]], length: Int, keyMask: [Bool]) -> Tensor {
        encoder.layers.reduce(embeddings(tokens, length: length)) { $1($0, keyMask: keyMask) }
    }
}

/// The stack of blocks (`layer.N`).
final class BERTEncoder: Module {
    @ModuleInfo(key: "layer") var layers: [BERTLayer]

    init(_ configuration: TextConfiguration) {
        super.init()
        layers = (0..<configuration.layers).map { _ in BERTLayer(configuration) }
    }
}

/// Word, position and token-type embeddings summed, then LayerNorm.
final class BERTEmbeddings: Module {
    @ModuleInfo(key: "word_embeddings") var words: Embedding
    @ModuleInfo(key: "position_embeddings") var positions: Embedding
    @ModuleInfo(key: "token_type_embeddings") var tokenTypes: Embedding
    @ModuleInfo(key: "LayerNorm") var norm: LayerNorm
    let tower: HuggingFaceTextConfiguration

    init(_ configuration: TextConfiguration, tower: HuggingFaceTextConfiguration) {
        self.tower = tower
        super.init()
        words = Embedding(configuration.vocabSize, configuration.width)
        positions = Embedding(tower.maxPositions, configuration.width)
        tokenTypes = Embedding(tower.typeVocabSize, configuration.width)
        norm = LayerNorm(configuration.width, epsilon: Float(configuration.normEpsilon))
    }

    func callAsFunction(_ tokens: [[Int]], length: Int) -> Tensor {
        let shape = [tokens.count, length]
        let positionIDs = tokens.flatMap { tower.positionIDs($0) }
        let summed = words(tokens.flatMap { $0 }, shape: shape) + positions(positionIDs, shape: shape)
            + tokenTypes([0], shape: [1, 1])   // every token is of type 0
        return norm(summed)
    }
}

/// A post-norm block: `h = LN(x + attention(x))`, then `LN(h + output(gelu(intermediate(h))))`.
final class BERTLayer: Module, LinearLayerBlock {
    @ModuleInfo(key: "attention") var attention: BERTAttention
    @ModuleInfo(key: "intermediate") var intermediate: BERTIntermediate
    @ModuleInfo(key: "output") var output: BERTOutput
    let activation: Activation

    init(_ configuration: TextConfiguration) {
        activation = configuration.activation ?? .gelu
        super.init()
        attention = BERTAttention(configuration)
        intermediate = BERTIntermediate(width: configuration.width, hiddenWidth: configuration.mlpWidth)
        output = BERTOutput(inFeatures: configuration.mlpWidth, width: configuration.width, epsilon: Float(configuration.normEpsilon))
    }

    func callAsFunction(_ x: Tensor, keyMask: [Bool]) -> Tensor {
        let h = attention(x, keyMask: keyMask)
        return output(activation(intermediate.dense(h)), residual: h)
    }

    var linearLayers: [(name: String, layer: Linear)] {
        [("attention.self.query", attention.projections.query), ("attention.self.key", attention.projections.key),
         ("attention.self.value", attention.projections.value), ("attention.output.dense", attention.output.dense),
         ("intermediate.dense", intermediate.dense), ("output.dense", output.dense)]
    }
}

/// Self-attention (`self.query`, `self.key`, `self.value`) and its post-norm output.
final class BERTAttention: Module {
    @ModuleInfo(key: "self") var projections: BERTSelfAttention
    @ModuleInfo(key: "output") var output: BERTOutput
    let heads: Int

    init(_ configuration: TextConfiguration) {
        heads = configuration.heads
        super.init()
        projections = BERTSelfAttention(width: configuration.width)
        output = BERTOutput(inFeatures: configuration.width, width: configuration.width, epsilon: Float(configuration.normEpsilon))
    }

    func callAsFunction(_ x: Tensor, keyMask: [Bool]) -> Tensor {
        let qkv = concatenate([projections.query(x), projections.key(x), projections.value(x)], alongAxis: 2)   // [N, L, 3W]
        return output(packedSelfAttention(qkv, heads: heads, keyMask: keyMask), residual: x)
    }
}

/// The query, key and value projections.
final class BERTSelfAttention: Module {
    @ModuleInfo(key: "query") var query: Linear
    @ModuleInfo(key: "key") var key: Linear
    @ModuleInfo(key: "value") var value: Linear

    init(width: Int) {
        super.init()
        query = Linear(width, width)
        key = Linear(width, width)
        value = Linear(width, width)
    }
}

/// The MLP's expansion (`dense`).
final class BERTIntermediate: Module {
    @ModuleInfo(key: "dense") var dense: Linear

    init(width: Int, hiddenWidth: Int) {
        super.init()
        dense = Linear(width, hiddenWidth)
    }
}

/// `LayerNorm(residual + dense(x))`.
final class BERTOutput: Module {
    @ModuleInfo(key: "dense") var dense: Linear
    @ModuleInfo(key: "LayerNorm") var norm: LayerNorm

    init(inFeatures: Int, width: Int, epsilon: Float) {
        super.init()
        dense = Linear(inFeatures, width)
        norm = LayerNorm(width, epsilon: epsilon)
    }

    func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor { norm(dense(x, addingTo: residual)) }
}
