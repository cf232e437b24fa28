// Legend: N samples, D feature width, C classes.
import CLIPNN
import CLIPOptim
import CLIPTensor
import Foundation

/// A linear probe: multinomial logistic regression with L2 on frozen (L2-normalised) image features,
/// the L2 strength chosen by accuracy on a validation split of the training data, then refitted on
/// all of it.
public struct LinearProbe: Sendable {
    /// `[C, D]` weights and `[C]` biases.
    public let weights: Tensor
    /// `[C]` biases.
    public let bias: Tensor
    /// The chosen L2 strength λ (loss = mean cross-entropy + λ/2 · ‖W‖²).
    public let l2: Float
    /// Validation accuracy of each λ tried.
    public let search: [(l2: Float, accuracy: Double)]

    /// The L2 strengths tried when none are given: one per decade from 1e-6 to 0.1.
    public static let defaultStrengths: [Float] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]

    /// Fits on `features` `[N, D]` with `labels` in 0..<`classes`; `validationFraction` of the samples
    /// (every k-th, deterministic) choose λ.
    public static func fit(features: Tensor, labels: [Int], classes: Int, strengths: [Float] = defaultStrengths,
                           validationFraction: Double = 0.2, iterations: Int = 300) throws -> LinearProbe {
        let count = features.shape[0]
        guard count == labels.count, count >= 2, classes >= 2, labels.allSatisfy({ (0..<classes).contains($0) }) else {
            throw EvaluationError.invalidArgument("a linear probe needs at least 2 samples with labels in 0..<\(classes) and 2 classes")
        }
        let normalized = withNoGrad { l2Normalize(features) }
        let stride = max(2, Int((1 / max(validationFraction, 1e-3)).rounded()))
        let validationIndices = Array(Swift.stride(from: 0, to: count, by: stride))
        let trainingIndices = (0..<count).filter { $0 % stride != 0 }
        var search: [(Float, Double)] = []
        if !validationIndices.isEmpty && !trainingIndices.isEmpty && strengths.count > 1 {
            let trainX = normalized.gatheringRows(trainingIndices), validX = normalized.gatheringRows(validationIndices)
            for strength in strengths {
                let (w, b) = train(trainX, trainingIndices.map { labels[$0] }, classes: classes, l2: strength, iterations: iterations)
                let predictions = predict(validX, weights: w, bias: b)
                let correct = zip(predictions, validationIndices.map { labels[$0] }).filter { $0 == $1 }.count
                search.append((strength, Double(correct) / Double(validationIndices.count)))
            }
        }
        let best = search.max { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0 ?? strengths[0]
        let (w, b) = train(normalized, labels, classes: classes, l2: best, iterations: iterations)
        return LinearProbe(weights: w, bias: b, l2: best, search: search.map { (l2: $0.0, accuracy: $0.1) })
    }

    /// Full-batch Adam on mean cross-entropy + λ/2 ‖W‖² (the bias is not penalised).
    static func train(_ x: Tensor, _ labels: [Int], classes: Int, l2: Float, iterations: Int) -> (Tensor, Tensor) {
        let width = x.shape[1]
        let weights = Tensor.zeros([classes, width])
        let bias = Tensor.zeros([classes])
        weights.requiresGrad = true
        bias.requiresGrad = true
        let w = Parameter(wrappedValue: weights), b = Parameter(wrappedValue: bias)
        let optimizer = AdamW(groups: [.init(names: ["w", "b"], parameters: [w, b], weightDecay: 0)], learningRate: 0.05,
                              beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        for _ in 0..<iterations {
            let logits = matmul(x, w.wrappedValue, transposeB: true) + b.wrappedValue   // [N, C]
            let loss = crossEntropy(logits, targets: labels) + (w.wrappedValue * w.wrappedValue).sum() * (l2 / 2)
            loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        return (w.wrappedValue.detached(), b.wrappedValue.detached())
    }

    static func predict(_ x: Tensor, weights: Tensor, bias: Tensor) -> [Int] {
        let logits = withNoGrad { matmul(x, weights, transposeB: true) + bias }
        let classes = weights.shape[0]
        let values = logits.scalars
        return (0..<x.shape[0]).map { row in
            let slice = values[(row * classes)..<((row + 1) * classes)]
            return slice.indices.max { slice[$0] < slice[$1] }! - row * classes
        }
    }

    /// The predicted class of each row of `features` `[N, D]` (normalised here, as in fitting).
    public func predict(_ features: Tensor) -> [Int] {
        Self.predict(withNoGrad { l2Normalize(features) }, weights: weights, bias: bias)
    }
}
