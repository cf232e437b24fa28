import CLIPSearch
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The HTTP service behind `clip serve`: OpenAI-shaped embeddings, zero-shot classification, search
/// of indexes, clip-retrieval's back-end routes, files and thumbnails, status and metrics, and the
/// web page.
///
/// ```swift
/// let engine = try InferenceEngine(loaded: loaded)
/// let service = CLIPService(models: [ServedModel(id: "ViT-B-32", reference: path, engine: engine)], indexes: [],
///                           configuration: ServerConfiguration(thumbnailDirectory: cache))
/// try await service.application(logger: Logger(label: "clip-serve")).runService()
/// ```
public struct CLIPService: Sendable {
    /// The models served, the first being the default.
    public let models: [ServedModel]
    /// The indexes served, the first being the default.
    public let indexes: [ServedIndex]
    /// How the server listens and what it allows.
    public let configuration: ServerConfiguration
    let metrics = ServerMetrics()

    /// A service for `models` (at least one) and `indexes`.
    public init(models: [ServedModel], indexes: [ServedIndex], configuration: ServerConfiguration) {
        precondition(!models.isEmpty, "a service needs a model")
        self.models = models
        self.indexes = indexes
        self.configuration = configuration
        for model in models {
            let metrics = self.metrics, id = model.id
            model.engine.onBatch = { metrics.recordBatch(model: id, $0) }
        }
    }

    /// Every route, behind the error, metrics, CORS and API-key middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(bodyLimit: configuration.limits.maximumBodyBytes))
        if let origin = configuration.corsOrigin {
            router.add(middleware: CORSMiddleware(allowOrigin: .custom(origin), allowHeaders: [.accept, .authorization, .contentType, .origin],
                                                  allowMethods: [.get, .post, .head, .options]))
        }
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }
        addEmbeddingRoutes(to: router)
        addClassifyRoute(to: router)
        addSearchRoutes(to: router)
        addRetrievalRoutes(to: router)
        addFileRoutes(to: router)
        addStatusRoutes(to: router)
        addPageRoutes(to: router)
        return router
    }

    /// The application listening on the configured host and port; `onListening` is told the port
    /// once the socket is bound (the configured one, or the free one chosen for port 0).
    public func application(logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "swift-clip"),
                    onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
                    logger: logger)
    }

    /// Serves until SIGINT or SIGTERM: requests in flight finish, then the engines stop.
    public func run(logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        defer { for model in models { model.engine.shutdown() } }
        try await application(logger: logger, onListening: onListening).runService()
    }

    // MARK: - Helpers for the routes

    /// The model a request names, or the first.
    func model(named id: String?) throws -> ServedModel {
        guard let id else { return models[0] }
        guard let model = models.first(where: { $0.id == id || $0.reference == id }) else {
            throw ServerError.notFound("The model `\(id)` does not exist; GET /v1/models lists the models served")
        }
        return model
    }

    /// The index a request names, or the first.
    func index(named name: String?) throws -> ServedIndex {
        guard let first = indexes.first else { throw ServerError.notFound("this server has no index; start it with --index DIR") }
        guard let name else { return first }
        guard let index = indexes.first(where: { $0.name == name }) else {
            throw ServerError.notFound("no index named `\(name)`; GET /indices-list lists them")
        }
        return index
    }

    /// The request's JSON body as `T`; past the body limit NIO's error, which `ErrorMiddleware` answers with 413.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: configuration.limits.maximumBodyBytes)
        return try RequestDecoding.decode(T.self, from: Data(buffer: buffer))
    }

    /// Checks how many inputs a request carries against the limit.
    func checkInputCount(_ count: Int, param: String) throws {
        guard count >= 1 else { throw ServerError.invalidField(param: param, reason: "empty; give at least one") }
        guard count <= configuration.limits.maximumInputs else {
            throw ServerError.invalidField(param: param, reason: "\(count) inputs; at most \(configuration.limits.maximumInputs) per request")
        }
    }

    /// `value` as a JSON response.
    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Checks a text's length against the limit.
    func checkText(_ text: String, param: String) throws {
        guard text.count <= configuration.limits.maximumTextLength else {
            throw ServerError.invalidField(param: param, reason: "longer than \(configuration.limits.maximumTextLength) characters")
        }
    }

    /// Decodes and preprocesses an image payload for `model` (off the request's task: decoding
    /// is CPU work).
    func pixels(_ payload: String, param: String, for model: ServedModel) throws -> [Float] {
        try RequestDecoding.pixels(payload, param: param, preprocessor: model.loaded.preprocessor, limits: configuration.limits)
    }
}
