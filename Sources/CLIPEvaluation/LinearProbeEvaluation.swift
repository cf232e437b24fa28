// Legend: N images, D feature width.
import CLIPModel
import CLIPTensor
import Foundation

/// CLIP_benchmark's linear-probe task: a `LinearProbe` fitted on the frozen image features of a
/// labelled training set, scored on a validation set with the same class names.
public struct LinearProbeEvaluation {
    /// What the evaluation measured.
    public struct Report: Codable, Sendable {
        /// One L2 strength tried and its validation-split accuracy.
        public struct Trial: Codable, Sendable {
            /// The strength λ.
            public let l2: Float
            /// Top-1 accuracy on the training data's validation split.
            public let accuracy: Double
        }

        /// The task's name, as CLIP_benchmark reports it.
        public var task = "linear_probe"
        /// The model reference as the user gave it.
        public let model: String
        /// Training images that could be read.
        public let trainImages: Int
        /// Validation images that could be read.
        public let validationImages: Int
        /// Images of either set that could not be read.
        public let failed: Int
        /// Each unreadable image and why.
        public let failures: [ImageFailure]
        /// The number of classes.
        public let classes: Int
        /// The chosen L2 strength, and the validation-split accuracy of each strength tried.
        public let l2: Float
        /// Every strength tried.
        public let search: [Trial]
        /// Top-1 accuracy on the validation set.
        public let acc1: Double
        /// Wall-clock seconds for encoding, fitting and scoring.
        public let elapsedSeconds: Double

        enum CodingKeys: String, CodingKey {
            case task, model, failed, failures, classes, l2, search, acc1
            case trainImages = "train_images", validationImages = "validation_images", elapsedSeconds = "elapsed_seconds"
        }
    }

    /// What was measured.
    public let report: Report
    /// The fitted probe.
    public let probe: LinearProbe
    /// The training class names, in the probe's output order.
    public let classNames: [String]

    /// Encodes both sets (through the feature cache in `cacheDirectory` when given), fits the probe on
    /// `train` and scores it on `validation`. Unreadable images are counted and skipped.
    public static func run(loaded: LoadedModel, modelName: String, train: ClassificationDataset, validation: ClassificationDataset,
                           cacheDirectory: URL?, batchSize: Int = 32,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> LinearProbeEvaluation {
        let started = Date()
        let remap = try validation.classNames.map { name -> Int in
            guard let index = train.classNames.firstIndex(of: name) else {
                throw EvaluationError.invalidArgument("validation class '\(name)' is not among the training classes of \(train.source)")
            }
            return index
        }
        let cache = cacheDirectory.map { EmbeddingCache(model: loaded, cacheDirectory: $0) }
        let extractor = ImageFeatureExtractor(loaded: loaded, batchSize: batchSize, cache: cache)
        let trainFeatures = try extractor.extract(train.samples.map(\.path)) { progress?("train images", $0, $1) }
        let validationFeatures = try extractor.extract(validation.samples.map(\.path)) { progress?("validation images", $0, $1) }
        try cache?.save()
        let width = loaded.model.configuration.embedDim
        let (x, y) = matrix(trainFeatures, train.samples, width: width) { $0 }
        let (vx, vy) = matrix(validationFeatures, validation.samples, width: width) { remap[$0] }
        let probe = try LinearProbe.fit(features: x, labels: y, classes: train.classNames.count)
        let predictions = vy.isEmpty ? [] : probe.predict(vx)
        let accuracy = vy.isEmpty ? 0 : Double(zip(predictions, vy).filter { $0 == $1 }.count) / Double(vy.count)
        let failures = trainFeatures.failures + validationFeatures.failures
        let report = Report(model: modelName, trainImages: y.count, validationImages: vy.count, failed: failures.count,
                            failures: failures, classes: train.classNames.count, l2: probe.l2,
                            search: probe.search.map { Report.Trial(l2: $0.l2, accuracy: $0.accuracy) }, acc1: accuracy,
                            elapsedSeconds: Date().timeIntervalSince(started))
        return LinearProbeEvaluation(report: report, probe: probe, classNames: train.classNames)
    }

    /// The `[N, D]` features of the readable samples and their labels mapped by `label`.
    private static func matrix(_ result: ImageFeatureExtractor.Result, _ samples: [ClassificationDataset.Sample], width: Int,
                               label: (Int) -> Int) -> (Tensor, [Int]) {
        let kept = result.features.indices.filter { result.features[$0] != nil }
        return (Tensor(shape: [kept.count, width], scalars: kept.flatMap { result.features[$0]! }), kept.map { label(samples[$0].label) })
    }

    /// Saves the probe as safetensors (`weight` `[C, D]`, `bias` `[C]`; class names and λ in the metadata).
    public func saveProbe(to path: String) throws {
        let names = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self)
        try SafeTensorsWriter.write(["weight": probe.weights, "bias": probe.bias], metadata: ["classes": names, "l2": "\(probe.l2)"], to: path)
    }
}
