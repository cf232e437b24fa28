import CLIPModel
import CLIPServer
import CLIPTensor
import CLIPTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Serving a SigLIP model")
struct FamilyServerTests {
    static let model = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPModelTests/Fixtures/families/siglip_hf").path

    @Test("/v1/classify answers the library's sigmoid scores and says so; /info names the family and scoring")
    func classify() async throws {
        let loaded = try CLIPLoader.load(path: Self.model)
        let served = ServedModel(id: "siglip", reference: Self.model, engine: try InferenceEngine(loaded: loaded, limits: .init()))
        let service = CLIPService(models: [served], indexes: [],
                                  configuration: ServerConfiguration(thumbnailDirectory: temporaryDirectory("siglip-thumbnails")))
        let image = try IndexSearchFixture.photos("siglip-server-photos").appendingPathComponent("a.png")
        let features = try loaded.imageFeatures([image.path])
        let classifier = try ZeroShotClassifier(loaded: loaded, classNames: ["cat", "dog"], templates: .simple)
        let expected = try classifier.predict(imageFeatures: Tensor(shape: [1, features[0].count], scalars: features[0]), topK: 2)[0]
        let app = Application(router: service.router())
        try await app.test(.router) { client in
            let client = ConformingClient(client: client)
            let response = try await client.post("/v1/classify", json: [
                "images": [try Data(contentsOf: image).base64EncodedString()], "labels": ["cat", "dog"], "templates": "simple"])
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["scoring"] as? String == "sigmoid")
            let predictions = try #require((body["data"] as? [[String: Any]])?.first?["predictions"] as? [[String: Any]])
            #expect(predictions.compactMap { $0["label"] as? String } == expected.map(\.label))
            for (prediction, reference) in zip(predictions, expected) {
                #expect(abs((prediction["score"] as? Double ?? -1) - Double(reference.score)) < 1e-5)
            }
            let info = try await client.get("/info").object()
            let model = try #require((info["models"] as? [[String: Any]])?.first)
            #expect(model["family"] as? String == "siglip" && model["scoring"] as? String == "sigmoid")
        }
        served.engine.shutdown()
    }
}
