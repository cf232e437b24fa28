import CLIPDigest
import CLIPFileSystem
import CLIPModel
import CLIPTensor
import Foundation

/// Zero-shot classifier weights on disk, keyed by the model's fingerprint, the templates and the
/// class names: `<directory>/<key>.safetensors` with the names in its metadata.
public struct ClassifierCache: Sendable {
    /// The folder holding one `.safetensors` file per classifier.
    public let directory: URL

    /// A cache in `directory` (created when the first classifier is stored).
    public init(directory: URL) { self.directory = directory }

    /// The zero-shot classifier of `classNames` under `templates`: read from (or built and stored
    /// in) the `classifiers` folder of `cacheDirectory`, or simply built when that is nil.
    /// `progress(done, total)` counts the classes encoded.
    public static func classifier(loaded: LoadedModel, classNames: [String], templates: PromptTemplates, cacheDirectory: URL?,
                                  progress: ((Int, Int) -> Void)? = nil) throws -> (classifier: ZeroShotClassifier, cached: Bool) {
        let report: (Int) -> Void = { done in progress?(done, classNames.count) }
        guard let cacheDirectory else {
            return (try ZeroShotClassifier(loaded: loaded, classNames: classNames, templates: templates, progress: report), false)
        }
        return try ClassifierCache(directory: cacheDirectory.appendingPathComponent("classifiers"))
            .classifier(loaded: loaded, modelFingerprint: ModelFingerprint.of(loaded), classNames: classNames, templates: templates,
                        progress: report)
    }

    static func key(modelFingerprint: String, classNames: [String], templates: PromptTemplates) -> String {
        var digest = StreamingDigest(.sha256)
        digest.update(modelFingerprint + "\n")
        for template in templates.templates { digest.update("t:\(template)\u{0}") }
        for name in classNames { digest.update("c:\(name)\u{0}") }
        return digest.finalizeHex()
    }

    /// The cached classifier, or one built with the model and then stored. `progress(done)` counts
    /// the classes encoded.
    public func classifier(loaded: LoadedModel, modelFingerprint: String, classNames: [String], templates: PromptTemplates,
                           progress: ((Int) -> Void)? = nil) throws -> (classifier: ZeroShotClassifier, cached: Bool) {
        let file = directory.appendingPathComponent(Self.key(modelFingerprint: modelFingerprint, classNames: classNames,
                                                             templates: templates) + ".safetensors")
        if let stored = try? SafeTensorsFile(path: file.path), let names = stored.metadata["classes"],
           let decoded = try? JSONDecoder().decode([String].self, from: Data(names.utf8)), decoded == classNames,
           let scale = stored.metadata["logit_scale"].flatMap(Float.init),
           let weights = try? stored.tensor("weights", upcast: true).copied(),
           let classifier = try? ZeroShotClassifier(classNames: classNames, weights: weights, logitScale: scale,
                                                    logitBias: stored.metadata["logit_bias"].flatMap(Float.init)) {
            return (classifier, true)
        }
        let classifier = try ZeroShotClassifier(loaded: loaded, classNames: classNames, templates: templates, progress: progress)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let names = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self)
            try SafeTensorsWriter.write(["weights": classifier.weights],
                                        metadata: ["classes": names, "templates": templates.name, "logit_scale": "\(classifier.logitScale)"]
                                            .merging(classifier.logitBias.map { ["logit_bias": "\($0)"] } ?? [:]) { first, _ in first },
                                        to: file.path)
        } catch {
            throw EvaluationError.cache(path: file.path, reason: "cannot store the classifier: \(FailureReason.of(error))")
        }
        return (classifier, false)
    }
}
