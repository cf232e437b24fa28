/// What a Hugging Face BERT or XLM-RoBERTa text tower adds to `TextConfiguration` (open_clip's
/// `hf_model_name` towers and Chinese-CLIP's): its embeddings, its padding and how it is pooled and
/// projected.
public struct HuggingFaceTextConfiguration: Codable, Sendable, Equatable {
    /// How position ids are counted.
    public enum Positions: String, Codable, Sendable {
        /// 0, 1, 2, … for every token (BERT).
        case absolute
        /// RoBERTa's: pad id + 1, + 2, … over the non-pad tokens; pad tokens take the pad id.
        case afterPadding = "roberta"
    }

    /// How the last layer's tokens become one feature.
    public enum Pooling: String, Codable, Sendable {
        /// The first token ([CLS] / `<s>`): Chinese-CLIP, open_clip's `cls_last_hidden_state_pooler`.
        case classToken = "cls"
        /// The mean over the non-pad tokens: open_clip's `mean_pooler`.
        case mean
    }

    /// The projection into the embedding space (never with a bias).
    public enum Projection: String, Codable, Sendable {
        /// One `Linear(W, E)`.
        case linear
        /// `Linear(W, (W+E)/2)`, GELU, `Linear((W+E)/2, E)`.
        case mlp
        /// None: the pooled feature is the embedding (open_clip's `hf_proj_type` null with W = E).
        case identity = "none"
    }

    /// The Hugging Face model the tower is an instance of (`xlm-roberta-base`, `bert-base-chinese`).
    public var modelName: String
    /// Position numbering.
    public var positions: Positions
    /// Rows of the position embedding.
    public var maxPositions: Int
    /// Rows of the token-type embedding.
    public var typeVocabSize: Int
    /// The pad token: padding is masked out of attention and pooling.
    public var padID: Int
    /// Pooling.
    public var pooling: Pooling
    /// Projection.
    public var projection: Projection

    /// A tower description with these values.
    public init(modelName: String, positions: Positions, maxPositions: Int, typeVocabSize: Int, padID: Int,
                pooling: Pooling, projection: Projection) {
        self.modelName = modelName
        self.positions = positions
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.padID = padID
        self.pooling = pooling
        self.projection = projection
    }

    /// The position ids of one padded row of token ids.
    public func positionIDs(_ row: [Int]) -> [Int] {
        switch positions {
        case .absolute:
            return Array(0..<row.count)
        case .afterPadding:
            var seen = 0
            return row.map { id in
                guard id != padID else { return padID }
                seen += 1
                return padID + seen
            }
        }
    }

    /// The largest position id a row of `length` tokens can use.
    func largestPosition(length: Int) -> Int {
        positions == .absolute ? length - 1 : padID + length
    }
}
