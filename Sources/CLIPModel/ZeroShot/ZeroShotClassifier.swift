import CLIPTensor
import CLIPTokenizer
import Foundation

/// Zero-shot classification, the reference recipe (open_clip `build_zero_shot_classifier`): every
/// class name is put in every template, each prompt is encoded and L2-normalised, the prompts of a
/// class are averaged and the mean is L2-normalised again. Images are scored by cosine similarity
/// times the model's `exp(logit_scale)` (plus `logit_bias` for SigLIP models); scores are the softmax
/// over classes, or for a SigLIP model each class's own sigmoid probability (they need not sum to 1).
///
/// ```swift
/// let classifier = try ZeroShotClassifier(loaded: model, classNames: ["cat", "dog"], templates: .standard)
/// let best = try classifier.predict(imageFeatures: features, topK: 1)
/// ```
public struct ZeroShotClassifier: Sendable {
    /// A class and its probability.
    public struct Prediction: Sendable, Equatable {
        /// The class's index.
        public let classIndex: Int
        /// The class's name.
        public let label: String
        /// The softmax probability over all classes, or the class's sigmoid probability (see `scoring`).
        public let score: Float
    }

    /// The class names, in the weights' row order.
    public let classNames: [String]
    /// `[C, D]`, one L2-normalised row per class.
    public let weights: Tensor
    /// The model's `exp(logit_scale)`, the factor on cosine similarities.
    public let logitScale: Float
    /// The model's `logit_bias`, for SigLIP models.
    public let logitBias: Float?

    /// Softmax over the classes, or each class's sigmoid for a model with a logit bias.
    public var scoring: Scoring { logitBias == nil ? .softmax : .sigmoid }

    /// A classifier from stored weights (`[C, E]`, one normalised row per class).
    public init(classNames: [String], weights: Tensor, logitScale: Float, logitBias: Float? = nil) throws {
        guard weights.rank == 2, weights.shape[0] == classNames.count else {
            throw ZeroShotError.invalidClassNames(reason: "\(classNames.count) names for classifier weights of shape \(weights.shape)")
        }
        self.classNames = classNames
        self.weights = weights
        self.logitScale = logitScale
        self.logitBias = logitBias
    }

    /// Builds the classifier weights with `loaded`'s text tower. `progress` is told how many classes are done.
    public init(loaded: LoadedModel, classNames: [String], templates: PromptTemplates, batchSize: Int = 256,
                progress: ((Int) -> Void)? = nil) throws {
        try Self.validate(classNames)
        let tokenizer = try loaded.makeTokenizer()
        let perClass = templates.templates.count
        let width = loaded.model.configuration.embedDim
        var rows = [Float](repeating: 0, count: classNames.count * width)
        // Whole classes per batch, so each class's prompts are averaged as soon as they are encoded.
        let classesPerBatch = max(1, batchSize / perClass)
        for start in stride(from: 0, to: classNames.count, by: classesPerBatch) {
            let classes = start..<min(start + classesPerBatch, classNames.count)
            let prompts = classes.flatMap { templates.prompts(for: classNames[$0]) }
            let features = try withNoGrad { try loaded.model.encodeText(tokenizer.tokenize(prompts), normalize: true) }   // [P, D]
            let values = features.scalars
            for (offset, classIndex) in classes.enumerated() {
                var mean = [Double](repeating: 0, count: width)
                for prompt in 0..<perClass {
                    let base = (offset * perClass + prompt) * width
                    for d in 0..<width { mean[d] += Double(values[base + d]) }
                }
                let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for d in 0..<width { rows[classIndex * width + d] = Float(mean[d] / max(norm, 1e-12)) }
            }
            progress?(classes.upperBound)
        }
        try self.init(classNames: classNames, weights: Tensor(shape: [classNames.count, width], scalars: rows),
                      logitScale: exp(loaded.model.logitScale.scalars[0]), logitBias: loaded.model.logitBias?.scalars[0])
    }

    static func validate(_ classNames: [String]) throws {
        guard !classNames.isEmpty else { throw ZeroShotError.invalidClassNames(reason: "none given") }
        if let empty = classNames.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ZeroShotError.invalidClassNames(reason: "name \(empty + 1) is empty")
        }
        var seen = Set<String>()
        for name in classNames where !seen.insert(name).inserted {
            throw ZeroShotError.invalidClassNames(reason: "'\(name)' appears twice")
        }
    }

    /// `[N, C]` logits: `exp(logit_scale) · normalise(image) · weightsᵀ (+ logit_bias)`.
    public func logits(imageFeatures: Tensor) throws -> Tensor {
        guard imageFeatures.rank == 2, imageFeatures.shape[1] == weights.shape[1] else {
            throw ZeroShotError.featureSizeMismatch(expected: weights.shape[1], found: imageFeatures.shape.last ?? 0)
        }
        return withNoGrad {
            let scaled = matmul(l2Normalize(imageFeatures), weights, transposeB: true) * logitScale
            return logitBias.map { scaled + $0 } ?? scaled
        }
    }

    /// `[N, C]` scores of `logits` under `scoring`.
    public func scores(logits: Tensor) -> Tensor {
        withNoGrad { scoring == .sigmoid ? sigmoid(logits) : softmax(logits, axis: -1) }
    }

    /// The `topK` best-scoring classes of each image, best first, with their scores.
    public func predict(imageFeatures: Tensor, topK: Int) throws -> [[Prediction]] {
        let probabilities = scores(logits: try logits(imageFeatures: imageFeatures)).scalars
        let classes = classNames.count
        let k = min(max(topK, 1), classes)
        return (0..<imageFeatures.shape[0]).map { row in
            let slice = Array(probabilities[(row * classes)..<((row + 1) * classes)])
            return Self.topIndices(slice, k).map { Prediction(classIndex: $0, label: classNames[$0], score: slice[$0]) }
        }
    }

    /// Indices of the `k` largest values, largest first; ties keep the lower index first.
    public static func topIndices(_ values: [Float], _ k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k))
    }
}
