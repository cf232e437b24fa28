import CLIPModel
import CLIPSearch
import CLIPServer
import CLIPTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A service over the thumbnail CLIP of the search fixtures, with an index of the fixture photos,
/// driven in process through Hummingbird's test client.
struct ServerFixture {
    let loaded: LoadedModel
    let photos: URL
    let index: ImageIndex
    let service: CLIPService

    /// One model and index per configuration: the engine's thread and the index are the service's own.
    init(_ name: String, element: VectorElement = .float32, configure: (inout ServerConfiguration, inout InferenceEngine.Limits) -> Void = { _, _ in }) throws {
        loaded = try CLIPLoader.load(path: IndexSearchFixture.model)
        photos = try IndexSearchFixture.photos("server-\(name)-photos")
        let directory = temporaryDirectory("server-\(name)-index")
        try? FileManager.default.removeItem(at: directory)
        index = try ImageIndex(directory: directory)
        var options = ImageIndex.UpdateOptions(reference: IndexSearchFixture.model)
        options.element = element
        _ = try index.update(roots: [photos.path], model: loaded, options: options)
        var configuration = ServerConfiguration(thumbnailDirectory: temporaryDirectory("server-\(name)-thumbnails"))
        var limits = InferenceEngine.Limits()
        configure(&configuration, &limits)
        let model = ServedModel(id: "thumbnail-clip", reference: IndexSearchFixture.model, engine: try InferenceEngine(loaded: loaded, limits: limits))
        service = CLIPService(models: [model], indexes: [try ServedIndex(name: "photos", index: index, model: model)], configuration: configuration)
    }

    /// Runs `body` with a client of the service that holds every response against the OpenAPI document.
    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: service.router())
        try await app.test(.router) { client in try await body(ConformingClient(client: client)) }
        service.models.forEach { $0.engine.shutdown() }
    }

    /// The base64 of a fixture photo.
    func base64(_ path: String) throws -> String {
        try Data(contentsOf: photos.appendingPathComponent(path)).base64EncodedString()
    }
}

extension TestClientProtocol {
    /// POSTs `json` (an object serialised with JSONSerialization) to `uri`.
    func post(_ uri: String, json: Any, headers: HTTPFields = [:]) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: json)
        return try await post(uri, body: data, headers: headers)
    }

    /// POSTs raw bytes to `uri`.
    func post(_ uri: String, body: Data, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(bytes: body))
    }

    /// GETs `uri`.
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    /// The body as a JSON value.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])
    }

    /// The body as a JSON object.
    func object() throws -> [String: Any] {
        guard let object = try json() as? [String: Any] else { throw FixtureError("not a JSON object: \(String(buffer: body))") }
        return object
    }

    /// OpenAI's error body's fields, nil if the body is not one.
    func openAIError() -> [String: Any]? {
        (try? object())?["error"] as? [String: Any]
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
