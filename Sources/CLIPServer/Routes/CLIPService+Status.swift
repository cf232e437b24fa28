import CLIPSearch
import Foundation
import Hummingbird

extension CLIPService {
    func addStatusRoutes(to router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in try json(["status": "ok"]) }
        router.get("/info") { _, _ in try json(info()) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition(models: models, indexes: indexes))))
        }
        router.get("/openapi.json") { _, _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
                throw ServerError.internalFailure("the OpenAPI document is missing from the build")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// `GET /info`: what the server runs.
    struct Info: Encodable {
        struct Model: Encodable {
            let id: String
            let reference: String
            let width: Int
            let imageSize: Int
            let contextLength: Int
            let precision: String
            let family: String
            let scoring: String
            let maximumBatch: Int
            let queueDepth: Int

            enum CodingKeys: String, CodingKey {
                case id, reference, width, precision, family, scoring, imageSize = "image_size", contextLength = "context_length",
                     maximumBatch = "max_batch", queueDepth = "queue_depth"
            }
        }

        struct Index: Encodable {
            let name: String
            let model: String
            let files: Int
            let failed: Int
            let vectorElement: String
            let graph: Bool

            enum CodingKeys: String, CodingKey {
                case name, model, files, failed, graph, vectorElement = "vector_element"
            }
        }

        let version: String
        let models: [Model]
        let indexes: [Index]
        let auth: Bool
    }

    func info() throws -> Info {
        let models = models.map { model in
            Info.Model(id: model.id, reference: model.reference, width: model.width, imageSize: model.loaded.preprocessor.size,
                       contextLength: model.loaded.model.configuration.text.contextLength,
                       precision: model.loaded.model.computePrecision.rawValue,
                       family: model.loaded.model.configuration.family.rawValue,
                       scoring: model.loaded.model.configuration.scoring.rawValue,
                       maximumBatch: model.engine.limits.maximumBatch, queueDepth: model.engine.queueDepth)
        }
        let indexes = try indexes.map { served in
            let counts = try served.index.fileCounts()
            return Info.Index(name: served.name, model: served.model.id, files: counts.files, failed: counts.failed,
                              vectorElement: served.entry.element.rawValue,
                              graph: try served.index.hasANNIndex(served.entry))
        }
        return Info(version: configuration.version, models: models, indexes: indexes, auth: configuration.apiKey != nil)
    }
}
