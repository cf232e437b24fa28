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
    /// `mixedPrecision` runs each step's products as `TrainingOptions.mixedPrecision` does.
    public static func measure(_ model: CLIP, batchSize: Int, steps: Int, warmupSteps: Int,
                               mixedPrecision: MixedPrecision? = nil) throws -> TrainingThroughput {
        guard batchSize >= 2, steps >= 1, warmupSteps >= 0 else {
            throw TrainingError.invalidOption("a training benchmark needs a batch of at least 2, at least one step and no negative warm-up")
        }
        model.prepareForTraining()
        let configuration = model.configuration
        let size = configuration.vision.imageSize, context = configuration.text.contextLength
        let vocabulary = configuration.text.vocabSize
        let images = Tensor.normal([batchSize, 3, size, size], seed: 1)
        var generator = RandomGenerator(seed: 0)
        // Start and end take the two highest ids, as in CLIP's vocabulary; tiny configurations
        // (a context of a few tokens, a vocabulary of a few ids) get shorter rows and id 0.
        let longest = context - 2
        let tokens = (0..<batchSize).map { _ -> [Int] in
            let length = longest <= 4 ? longest : 4 + Int(generator.next() % UInt64(longest - 3))
            var row = [Int](repeating: 0, count: context)
            row[0] = max(vocabulary - 2, 0)
            for i in stride(from: 1, through: length, by: 1) {
                row[i] = vocabulary > 3 ? 1 + Int(generator.next() % UInt64(vocabulary - 3)) : 0
            }
            row[length + 1] = vocabulary - 1
            return row
        }
        let optimizer = AdamW(groups: ParameterGroups.openCLIP(model, weightDecay: 0.2), learningRate: 5e-4)
        var losses: [Float] = []
        func step() throws {
            let (image, text) = try withBF16Products(enabled: mixedPrecision == .bf16) {
                (try model.encodeImage(images, normalize: true), try model.encodeText(tokens, normalize: true))
            }
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
