import ArgumentParser
import CLIPEvaluation
import CLIPModel
import CLIPTensor
import Foundation

/// `clip classify`: zero-shot labels for images, as JSON Lines.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Zero-shot classify images into any classes. Output: one JSON object per image, in input order.",
        discussion: """
        Each line is {"image": PATH, "predictions": [{"label": L, "score": P}, …], "scoring": S}, best first. \
        S is "softmax" (probabilities over the classes, CLIP) or "sigmoid" (each class's own probability, SigLIP \
        models, which need not sum to 1). An image that cannot be read gives {"error": REASON, "image": PATH}, the \
        others carry on, and the exit status is 1.
        """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var batch: BatchOptions
    @OptionGroup var cache: CacheOptions
    @OptionGroup var classes: ClassOptions
    @OptionGroup var templates: TemplateOptions

    // `.unconditional` takes "-3" as the value, so that it gets a range error, not "missing value".
    @Option(parsing: .unconditional, help: "How many classes to report per image.")
    var topK = 5

    @OptionGroup var output: RecordOutputOptions

    @Argument(help: "Image files.")
    var images: [String]

    /// One line of the output: predictions, or the reason the image could not be read.
    struct Record: Encodable {
        struct Prediction: Encodable {
            let label: String
            let score: Float
        }

        let image: String
        let predictions: [Prediction]?
        let scoring: String?
        let error: String?
    }

    func validate() throws {
        guard (classes.classes == nil) != (classes.classesFile == nil) else { throw ValidationError("give --classes or --classes-file") }
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1") }
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    func run() throws {
        let classNames = try classes.names() ?? []
        let loaded = try model.load()
        let progress = ProgressRenderer.shared
        let classifier = try ClassifierCache.classifier(loaded: loaded, classNames: classNames, templates: try templates.load(),
                                                        cacheDirectory: cache.cacheDirectory, progress: progress.reporter("classes")).classifier
        let store = cache.embeddingCache(for: loaded)
        let extracted = try ImageFeatureExtractor(loaded: loaded, batchSize: batch.batchSize, cache: store)
            .extract(images, progress: progress.reporter("images"))
        try store?.save()
        let failures = Dictionary(extracted.failures.map { ($0.path, $0.reason) }, uniquingKeysWith: { first, _ in first })
        let records = try zip(images, extracted.features).map { path, features -> Record in
            guard let features else { return Record(image: path, predictions: nil, scoring: nil, error: failures[path] ?? "unreadable") }
            let predictions = try classifier.predict(imageFeatures: Tensor(shape: [1, features.count], scalars: features), topK: topK)[0]
            return Record(image: path, predictions: predictions.map { Record.Prediction(label: $0.label, score: $0.score) },
                          scoring: classifier.scoring.rawValue, error: nil)
        }
        try output.emit(records)
        if !extracted.failures.isEmpty {
            StandardStreams.printDiagnostic("\(extracted.failures.count) of \(images.count) images could not be read")
            throw ExitCode(1)
        }
    }
}
