import ArgumentParser
import CLIPEvaluation
import CLIPModel
import CLIPTensor
import Foundation

/// `clip classify`: zero-shot labels for images, as JSON Lines.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Zero-shot classify images into any labels. Output: one JSON object per image, in input order.",
        discussion: """
        Each line is {"image": PATH, "predictions": [{"label": L, "score": P}, …]} with softmax probabilities, \
        best first; an image that cannot be read gives {"image": PATH, "error": REASON}, the others carry on, and \
        the exit status is 1.
        """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var evaluation: EvaluationOptions

    @Option(help: "Comma-separated class names.")
    var labels: String?

    @Option(help: "A file of class names: one per line, or a JSON list.")
    var labelsFile: String?

    @Option(help: "default (swift-clip's own ensemble), simple (\"a photo of a {}.\") or a file of templates.")
    var templates = "default"

    @Option(help: "How many labels to report per image.")
    var topK = 5

    @Option(help: "Write the JSON Lines here (atomically) instead of standard output.")
    var output: String?

    @Argument(help: "Image files.")
    var images: [String]

    func validate() throws {
        guard (labels == nil) != (labelsFile == nil) else { throw ValidationError("give exactly one of --labels and --labels-file") }
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1") }
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    func run() throws {
        let classNames = try labelsFile.map(ClassificationDataset.readClassNames)
            ?? labels!.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let loaded = try options.load()
        let templates = try PromptTemplates.named(self.templates)
        let progress = ProgressLine()
        defer { progress.finish() }
        let fingerprint = ModelFingerprint.of(loaded)
        let classifier: ZeroShotClassifier
        if let directory = evaluation.cacheDirectory {
            classifier = try ClassifierCache(directory: directory.appendingPathComponent("classifiers"))
                .classifier(loaded: loaded, modelFingerprint: fingerprint, classNames: classNames, templates: templates) {
                    progress.update("classes", $0, classNames.count)
                }.classifier
        } else {
            classifier = try ZeroShotClassifier(loaded: loaded, classNames: classNames, templates: templates)
        }
        let cache = evaluation.cacheDirectory.map {
            EmbeddingCache(directory: $0.appendingPathComponent("embeddings"), modelFingerprint: fingerprint, width: loaded.model.configuration.embedDim)
        }
        let extracted = try ImageFeatureExtractor(loaded: loaded, batchSize: evaluation.batchSize, cache: cache)
            .extract(images) { progress.update("images", $0, $1) }
        try cache?.save()
        progress.finish()
        var lines: [String] = []
        let failures = Dictionary(extracted.failures.map { ($0.path, $0.reason) }, uniquingKeysWith: { first, _ in first })
        for (path, features) in zip(images, extracted.features) {
            guard let features else {
                lines.append(try jsonLine(["image": path, "error": failures[path] ?? "unreadable"]))
                continue
            }
            let predictions = try classifier.predict(imageFeatures: Tensor(shape: [1, features.count], scalars: features), topK: topK)[0]
            lines.append(try jsonLine(["image": path, "predictions": predictions.map { ["label": $0.label, "score": shortest($0.score)] }]))
        }
        let text = Data((lines.joined(separator: "\n") + "\n").utf8)
        if let output {
            try AtomicFile.write(to: output) { try $0.write(contentsOf: text) }
        } else {
            FileHandle.standardOutput.write(text)
        }
        if !extracted.failures.isEmpty {
            FileHandle.standardError.write(Data("\(extracted.failures.count) of \(images.count) images could not be read\n".utf8))
            throw ExitCode(1)
        }
    }
}
