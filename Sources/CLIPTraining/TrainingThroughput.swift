import CLIPModel
import CLIPOptim
import CLIPTensor
import Dispatch

/// Training speed on a fixed random batch, as the PyTorch peer (`shared/bench/peers/train_tiny.py`)
/// measures open_clip: per step the CLIP loss on normalised features, backward, AdamW (open_clip's
/// groups, lr 5e-4, weight decay 0.2), then the logit-scale clamp.
public struct TrainingThroughput: Sendable {
    /// Samples per step.
    public let batchSize: Int
    /// The median timed step, in seconds.
    public let medianSeconds: Double
    /// The fastest timed step, in seconds.
    public let fastestSeconds: Double
    /// The loss of the first step, warm-up included.
    public let firstLoss: Float
    /// The loss of the last step.
    public let lastLoss: Float

    /// Samples per second at the median step time.
    public var samplesPerSecond: Double { Double(batchSize) / medianSeconds }

    /// Runs `warmupSteps` untimed steps, then `steps` timed ones, on `model` with random images and
    /// random token rows of 4 to context − 1 tokens (seeded, so every run sees the same batch).
    public static func measure(_ model: CLIP, batchSize: Int, steps: Int, warmupSteps: Int) throws -> TrainingThroughput {
        precondition(batchSize >= 2 && steps >= 1 && warmupSteps >= 0, "batch ≥ 2, steps ≥ 1, warm-up ≥ 0")
        model.prepareForTraining()
        let configuration = model.configuration
        let size = configuration.vision.imageSize, context = configuration.text.contextLength
        let vocabulary = configuration.text.vocabSize
        let images = Tensor.normal([batchSize, 3, size, size], seed: 1)
        var generator = RandomGenerator(seed: 0)
        let tokens = (0..<batchSize).map { _ -> [Int] in
            let length = 4 + Int(generator.next() % UInt64(max(context - 5, 1)))
            var row = [Int](repeating: 0, count: context)
            row[0] = vocabulary - 2
            for i in 1...length { row[i] = 1 + Int(generator.next() % UInt64(vocabulary - 3)) }
            row[length + 1] = vocabulary - 1
            return row
        }
        let optimizer = AdamW(groups: ParameterGroups.openCLIP(model, weightDecay: 0.2), learningRate: 5e-4)
        var losses: [Float] = []
        func step() throws {
            let image = try model.encodeImage(images, normalize: true)
            let text = try model.encodeText(tokens, normalize: true)
            let loss = ContrastiveLoss.clip(imageFeatures: image, textFeatures: text, scale: exp(model.logitScale))
            loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
            model.clampLogitScale()
            losses.append(loss.item())
        }
        for _ in 0..<warmupSteps { try step() }
        var times: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return TrainingThroughput(batchSize: batchSize, medianSeconds: times.sorted()[times.count / 2], fastestSeconds: times.min() ?? 0,
                                  firstLoss: losses.first ?? 0, lastLoss: losses.last ?? 0)
    }
}
