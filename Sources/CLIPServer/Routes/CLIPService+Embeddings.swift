import Foundation
import Hummingbird

extension CLIPService {
    func addEmbeddingRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/embeddings") { request, _ in try await embeddings(request) }
        router.get("/v1/models") { _, _ in
            try json(ModelList(data: models.map { .init(id: $0.id, created: $0.created) }))
        }
        router.get("/v1/models/{id}") { _, context in
            let id = try context.parameters.require("id")
            let model = try model(named: id)
            return try json(ModelList.Entry(id: model.id, created: model.created))
        }
    }

    private func embeddings(_ request: Request) async throws -> Response {
        let body = try await decode(EmbeddingsRequest.self, from: request)
        let model = try model(named: body.model)
        try checkInputCount(body.input.count, param: "input")
        if let dimensions = body.dimensions, dimensions != model.width {
            throw ServerError.invalidField(param: "dimensions", reason: "this model's embeddings have \(model.width) dimensions, not \(dimensions)")
        }
        let inputs = try body.input.enumerated().map { index, input -> InferenceEngine.Input in
            switch input {
            case let .text(text):
                try checkText(text, param: "input[\(index)]")
                return .text(text)
            case let .image(payload):
                return .pixels(try pixels(payload, param: "input[\(index)].image", for: model))
            }
        }
        let result = try await model.engine.embed(inputs)
        let items = result.vectors.enumerated().map {
            EmbeddingsResponse.Item(index: $0, embedding: .init($1, format: body.encodingFormat))
        }
        return try json(EmbeddingsResponse(data: items, model: model.id, usage: .init(promptTokens: result.tokens, totalTokens: result.tokens)))
    }
}
