import CLIPModel
import CLIPTensor
import Foundation

/// A model the server runs: its id (what requests name in `model`), its inference engine, and the
/// zero-shot classifiers built for recent label sets.
public final class ServedModel: @unchecked Sendable {
    /// The id `model` fields accept, as `GET /v1/models` lists it.
    public let id: String
    /// Where the weights came from, as the user named them.
    public let reference: String
    /// The engine that runs it.
    public let engine: InferenceEngine
    /// When it was loaded, seconds since 1970.
    public let created: Int

    private let lock = NSLock()
    private var classifiers: [ClassifierKey: ZeroShotClassifier] = [:]
    private var classifierOrder: [ClassifierKey] = []

    /// Classifiers kept for label sets asked for again.
    static let classifierCacheSize = 32

    /// A served model called `id`, run by `engine`.
    public init(id: String, reference: String, engine: InferenceEngine) {
        self.id = id
        self.reference = reference
        self.engine = engine
        created = Int(Date().timeIntervalSince1970)
    }

    /// The model.
    public var loaded: LoadedModel { engine.loaded }

    /// Features per embedding.
    public var width: Int { loaded.model.configuration.embedDim }

    private struct ClassifierKey: Hashable {
        let labels: [String]
        let templates: [String]
    }

    /// The zero-shot classifier of `labels` with `templates`, built on the engine's thread exactly as
    /// `clip classify` builds it, and kept for the next request with the same labels.
    func classifier(labels: [String], templates: PromptTemplates) async throws -> ZeroShotClassifier {
        let key = ClassifierKey(labels: labels, templates: templates.templates)
        if let known = lock.withLock({ classifiers[key] }) { return known }
        let built = try await engine.perform { loaded, _ in try ZeroShotClassifier(loaded: loaded, classNames: labels, templates: templates) }
        lock.withLock {
            if classifiers[key] == nil {
                classifiers[key] = built
                classifierOrder.append(key)
                if classifierOrder.count > Self.classifierCacheSize { classifiers[classifierOrder.removeFirst()] = nil }
            }
        }
        return built
    }
}
