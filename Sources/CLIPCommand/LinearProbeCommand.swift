import ArgumentParser
import CLIPEvaluation
import CLIPModel
import CLIPTensor
import CLIPTraining
import Foundation

/// `clip linear-probe`: logistic regression on frozen image features.
struct LinearProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-probe",
        abstract: "Fit a linear classifier (L2 logistic regression, strength chosen on a validation split) on frozen image features.",
        discussion: "Datasets are ImageFolder trees or TSV/CSV files with filepath and label columns; both must use the same class names.")

    @OptionGroup var options: ModelOptions
    @OptionGroup var evaluation: EvaluationOptions

    @Option(help: "Labelled training images.") var trainData: String
    @Option(help: "Labelled images to report accuracy on.") var valData: String
    @Option(help: "Class names, one per line (default: the training labels).") var classes: String?
    @Option(help: "Write probe.safetensors and report.json here.") var output: String?

    func run() throws {
        let train = try ClassificationDataset.open(trainData, classesFile: classes)
        let validation = try ClassificationDataset.open(valData, classesFile: classes)
        let remap = try validation.classNames.map { name -> Int in
            guard let index = train.classNames.firstIndex(of: name) else {
                throw ValidationError("validation class '\(name)' is not among the training classes")
            }
            return index
        }
        let loaded = try options.load()
        let started = Date()
        let width = loaded.model.configuration.embedDim
        let cache = evaluation.cacheDirectory.map {
            EmbeddingCache(directory: $0.appendingPathComponent("embeddings"), modelFingerprint: ModelFingerprint.of(loaded), width: width)
        }
        let extractor = ImageFeatureExtractor(loaded: loaded, batchSize: evaluation.batchSize, cache: cache)
        let progress = ProgressLine()
        let trainFeatures = try extractor.extract(train.samples.map(\.path)) { progress.update("train images", $0, $1) }
        let validationFeatures = try extractor.extract(validation.samples.map(\.path)) { progress.update("validation images", $0, $1) }
        progress.finish()
        try cache?.save()
        func matrix(_ result: ImageFeatureExtractor.Result, _ samples: [ClassificationDataset.Sample], map: (Int) -> Int) -> (Tensor, [Int]) {
            let kept = result.features.indices.filter { result.features[$0] != nil }
            return (Tensor(shape: [kept.count, width], scalars: kept.flatMap { result.features[$0]! }), kept.map { map(samples[$0].label) })
        }
        let (x, y) = matrix(trainFeatures, train.samples) { $0 }
        let (vx, vy) = matrix(validationFeatures, validation.samples) { remap[$0] }
        let probe = try LinearProbe.fit(features: x, labels: y, classes: train.classNames.count)
        let predictions = vy.isEmpty ? [] : probe.predict(vx)
        let accuracy = vy.isEmpty ? 0 : Double(zip(predictions, vy).filter { $0 == $1 }.count) / Double(vy.count)
        let report: [String: Any] = [
            "model": options.model, "train_images": x.shape[0], "validation_images": vx.shape[0],
            "failed": trainFeatures.failures.count + validationFeatures.failures.count, "classes": train.classNames.count,
            "l2": shortest(probe.l2), "search": probe.search.map { ["l2": shortest($0.l2), "accuracy": $0.accuracy] },
            "acc1": accuracy, "elapsed_seconds": Date().timeIntervalSince(started),
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        if let output {
            let folder = URL(fileURLWithPath: output)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let names = String(decoding: try JSONEncoder().encode(train.classNames), as: UTF8.self)
            try SafeTensorsWriter.write(["weight": probe.weights, "bias": probe.bias], metadata: ["classes": names, "l2": "\(probe.l2)"],
                                        to: folder.appendingPathComponent("probe.safetensors").path)
            try AtomicFile.write(to: folder.appendingPathComponent("report.json").path) { try $0.write(contentsOf: json) }
        }
        print(String(decoding: json, as: UTF8.self))
        FileHandle.standardError.write(Data(String(format: "linear probe: top-1 %.2f%% on %d images (λ = %g)\n", accuracy * 100, vy.count, probe.l2).utf8))
    }
}
