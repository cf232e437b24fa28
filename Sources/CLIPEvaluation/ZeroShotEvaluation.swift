import CLIPModel
import CLIPTensor
import Foundation

/// Zero-shot classification of a labelled dataset, scored as CLIP_benchmark scores it.
public struct ZeroShotEvaluation: Sendable {
    /// What a zero-shot evaluation measured, with CLIP_benchmark's keys.
    public struct Report: Codable, Sendable {
        /// The task's name, as CLIP_benchmark reports it.
        public var task = "zeroshot_classification"
        /// The model reference as the user gave it.
        public let model: String
        /// The dataset's folder or table.
        public let dataset: String
        /// The template set's name.
        public let templates: String
        /// Templates per class.
        public let templateCount: Int
        /// The number of classes.
        public let classes: Int
        /// Images in the dataset.
        public let images: Int
        /// Images that could be read and were classified.
        public let evaluated: Int
        /// Images that could not be read.
        public let failed: Int
        /// Each unreadable image and why.
        public let failures: [ImageFailure]
        /// Images whose features came from the cache.
        public let imagesFromCache: Int
        /// Whether the classifier weights came from the cache.
        public let classifierFromCache: Bool
        /// `acc1`, `acc5`, `mean_per_class_recall`.
        public let metrics: [String: Double]
        /// Wall-clock seconds for the whole evaluation.
        public let elapsedSeconds: Double

        enum CodingKeys: String, CodingKey {
            case task, model, dataset, templates, classes, images, evaluated, failed, failures, metrics
            case templateCount = "template_count", imagesFromCache = "images_from_cache"
            case classifierFromCache = "classifier_from_cache", elapsedSeconds = "elapsed_seconds"
        }
    }

    /// What was measured.
    public let report: Report
    /// For each evaluated sample: its index in the dataset and every class, best first.
    public let rankings: [(sample: Int, classes: [Int])]

    /// Runs the evaluation. `cacheDirectory` (when set) keeps image features and classifier weights.
    public static func run(loaded: LoadedModel, modelName: String, dataset: ClassificationDataset, templates: PromptTemplates,
                           cacheDirectory: URL?, batchSize: Int = 32,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> ZeroShotEvaluation {
        let start = Date()
        let (classifier, classifierCached) = try ClassifierCache.classifier(
            loaded: loaded, classNames: dataset.classNames, templates: templates, cacheDirectory: cacheDirectory) { progress?("classes", $0, $1) }
        let cache = cacheDirectory.map { EmbeddingCache(model: loaded, cacheDirectory: $0) }
        let extractor = ImageFeatureExtractor(loaded: loaded, batchSize: batchSize, cache: cache)
        let extracted = try extractor.extract(dataset.samples.map(\.path)) { progress?("images", $0, $1) }
        try cache?.save()

        let evaluatedSamples = extracted.features.indices.filter { extracted.features[$0] != nil }
        let width = loaded.model.configuration.embedDim
        var rankings: [(Int, [Int])] = []
        if !evaluatedSamples.isEmpty {
            let features = Tensor(shape: [evaluatedSamples.count, width], scalars: evaluatedSamples.flatMap { extracted.features[$0]! })
            let logits = try classifier.logits(imageFeatures: features).scalars
            let classes = dataset.classNames.count
            for (row, sample) in evaluatedSamples.enumerated() {
                let scores = Array(logits[(row * classes)..<((row + 1) * classes)])
                rankings.append((sample, ZeroShotClassifier.topIndices(scores, classes)))
            }
        }
        let targets = rankings.map { dataset.samples[$0.0].label }
        let orders = rankings.map(\.1)
        let metrics: [String: Double] = [
            "acc1": ClassificationMetrics.topKAccuracy(rankings: orders, targets: targets, k: 1),
            "acc5": ClassificationMetrics.topKAccuracy(rankings: orders, targets: targets, k: 5),
            "mean_per_class_recall": ClassificationMetrics.meanPerClassRecall(predictions: orders.map { $0[0] }, targets: targets),
        ]
        let report = Report(model: modelName, dataset: dataset.source, templates: templates.name, templateCount: templates.templates.count,
                            classes: dataset.classNames.count, images: dataset.samples.count, evaluated: rankings.count,
                            failed: extracted.failures.count, failures: extracted.failures, imagesFromCache: extracted.cached,
                            classifierFromCache: classifierCached, metrics: metrics, elapsedSeconds: Date().timeIntervalSince(start))
        return ZeroShotEvaluation(report: report, rankings: rankings)
    }
}
