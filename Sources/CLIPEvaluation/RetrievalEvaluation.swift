import CLIPModel
import CLIPTensor
import Foundation

/// Image↔text retrieval over a captioned dataset, scored as CLIP_benchmark scores it.
public enum RetrievalEvaluation {
    /// What a retrieval evaluation measured, with CLIP_benchmark's keys.
    public struct Report: Codable, Sendable {
        /// The task's name, as CLIP_benchmark reports it.
        public var task = "zeroshot_retrieval"
        /// The model reference as the user gave it.
        public let model: String
        /// The dataset's table.
        public let dataset: String
        /// Distinct images in the table.
        public let images: Int
        /// Captions in the table.
        public let captions: Int
        /// Images that could be read.
        public let evaluatedImages: Int
        /// Captions of the images that could be read.
        public let evaluatedCaptions: Int
        /// Images that could not be read.
        public let failed: Int
        /// Each unreadable image and why.
        public let failures: [ImageFailure]
        /// Images whose features came from the cache.
        public let imagesFromCache: Int
        /// `image_retrieval_recall@K` (text→image) and `text_retrieval_recall@K` (image→text), K = 1, 5, 10.
        public let metrics: [String: Double]
        /// Wall-clock seconds for the whole evaluation.
        public let elapsedSeconds: Double

        enum CodingKeys: String, CodingKey {
            case task, model, dataset, images, captions, failed, failures, metrics
            case evaluatedImages = "evaluated_images", evaluatedCaptions = "evaluated_captions"
            case imagesFromCache = "images_from_cache", elapsedSeconds = "elapsed_seconds"
        }
    }

    /// Encodes every caption and image (skipping unreadable images and their captions) and computes
    /// recall@1/5/10 both ways.
    public static func run(loaded: LoadedModel, modelName: String, dataset: RetrievalDataset, cacheDirectory: URL?,
                           batchSize: Int = 32, progress: ((String, Int, Int) -> Void)? = nil) throws -> Report {
        let start = Date()
        let width = loaded.model.configuration.embedDim
        let cache = cacheDirectory.map { EmbeddingCache(model: loaded, cacheDirectory: $0) }
        let extracted = try ImageFeatureExtractor(loaded: loaded, batchSize: batchSize, cache: cache)
            .extract(dataset.imagePaths) { progress?("images", $0, $1) }
        try cache?.save()
        let keptImages = extracted.features.indices.filter { extracted.features[$0] != nil }
        var newIndex = [Int: Int]()
        for (new, old) in keptImages.enumerated() { newIndex[old] = new }
        let keptCaptions = dataset.captions.indices.filter { newIndex[dataset.imageOfCaption[$0]] != nil }

        let tokenizer = try loaded.makeTokenizer()
        var textValues: [Float] = []
        for begin in stride(from: 0, to: keptCaptions.count, by: max(batchSize, 1)) {
            let batch = keptCaptions[begin..<min(begin + batchSize, keptCaptions.count)].map { dataset.captions[$0] }
            textValues += try withNoGrad { try loaded.model.encodeText(tokenizer.tokenize(batch), normalize: true) }.scalars
            progress?("captions", min(begin + batchSize, keptCaptions.count), keptCaptions.count)
        }
        var metrics: [String: Double] = [:]
        if !keptImages.isEmpty && !keptCaptions.isEmpty {
            let images = withNoGrad { l2Normalize(Tensor(shape: [keptImages.count, width], scalars: keptImages.flatMap { extracted.features[$0]! })) }
            let texts = Tensor(shape: [keptCaptions.count, width], scalars: textValues)
            metrics = RetrievalMetrics.report(textFeatures: texts, imageFeatures: images,
                                              imageOfCaption: keptCaptions.map { newIndex[dataset.imageOfCaption[$0]]! })
        }
        return Report(model: modelName, dataset: dataset.source, images: dataset.imagePaths.count, captions: dataset.captions.count,
                      evaluatedImages: keptImages.count, evaluatedCaptions: keptCaptions.count, failed: extracted.failures.count,
                      failures: extracted.failures, imagesFromCache: extracted.cached, metrics: metrics,
                      elapsedSeconds: Date().timeIntervalSince(start))
    }
}
