import CLIPModel
import CLIPTensor
import Foundation
import Hummingbird

extension CLIPService {
    func addClassifyRoute(to router: Router<BasicRequestContext>) {
        router.post("/v1/classify") { request, _ in try await classify(request) }
    }

    private func classify(_ request: Request) async throws -> Response {
        let body = try await decode(ClassifyRequest.self, from: request)
        let model = try model(named: body.model)
        let limits = configuration.limits
        try checkInputCount(body.images.count, param: "images")
        guard body.labels.count <= limits.maximumLabels else {
            throw ServerError.invalidField(param: "labels", reason: "\(body.labels.count) labels; at most \(limits.maximumLabels)")
        }
        guard body.topK >= 1 else { throw ServerError.invalidField(param: "top_k", reason: "must be at least 1") }
        for (index, label) in body.labels.enumerated() { try checkText(label, param: "labels[\(index)]") }
        let templates: PromptTemplates
        do {
            switch body.templates {
            case let .named(name):
                guard PromptTemplates.builtInNames.contains(name) else {
                    throw ServerError.invalidField(param: "templates",
                                                   reason: "'\(name)' is not a built-in set (\(PromptTemplates.builtInNames.joined(separator: ", "))); or send a list")
                }
                templates = try PromptTemplates.named(name)
            case let .list(list):
                for (index, template) in list.enumerated() { try checkText(template, param: "templates[\(index)]") }
                templates = try PromptTemplates(name: "request", templates: list)
            }
        } catch let error as ZeroShotError {
            throw ServerError.invalidField(param: "templates", reason: error.description)
        }
        let pixels = try body.images.enumerated().map { index, image in
            InferenceEngine.Input.pixels(try self.pixels(image, param: "images[\(index)]", for: model))
        }
        let classifier: ZeroShotClassifier
        do {
            classifier = try await model.classifier(labels: body.labels, templates: templates)
        } catch let error as ZeroShotError {
            throw ServerError.invalidField(param: "labels", reason: error.description)
        }
        let features = try await model.engine.embed(pixels).vectors
        let width = model.width, topK = body.topK
        let predictions = try classifier.predict(imageFeatures: Tensor(shape: [features.count, width], scalars: features.flatMap { $0 }), topK: topK)
        let items = predictions.enumerated().map { index, list in
            ClassifyResponse.Item(index: index, predictions: list.map { .init(label: $0.label, score: $0.score) })
        }
        return try json(ClassifyResponse(data: items, model: model.id, scoring: classifier.scoring.rawValue))
    }
}
