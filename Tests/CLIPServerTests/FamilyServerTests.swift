import CLIPModel
import CLIPServer
import CLIPTensor
import CLIPTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Serving SigLIP, Chinese-CLIP and XLM-R models")
struct FamilyServerTests {
    static let families = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPModelTests/Fixtures/families")

    @Test("/v1/classify answers the library's scores and says how they read; /info names the family and scoring", arguments: [
        ("siglip_hf", "siglip", "sigmoid", ["cat", "dog"]), ("chinese_clip_hf", "chinese-clip", "softmax", ["猫", "狗"]),
        ("xlmr_open_clip", "hf-text", "softmax", ["猫", "狗"]),
    ])
    func classify(_ folder: String, _ family: String, _ scoring: String, _ labels: [String]) async throws {
        let path = Self.families.appendingPathComponent(folder).path
        let loaded = try CLIPLoader.load(path: path)
        let served = ServedModel(id: folder, reference: path, engine: try InferenceEngine(loaded: loaded, limits: .init()))
        let service = CLIPService(models: [served], indexes: [],
                                  configuration: ServerConfiguration(thumbnailDirectory: temporaryDirectory("\(folder)-thumbnails")))
        let image = try IndexSearchFixture.photos("\(folder)-server-photos").appendingPathComponent("a.png")
        let features = try loaded.imageFeatures([image.path])
        let classifier = try ZeroShotClassifier(loaded: loaded, classNames: labels, templates: .simple)
        let expected = try classifier.predict(imageFeatures: Tensor(shape: [1, features[0].count], scalars: features[0]), topK: 2)[0]
        let app = Application(router: service.router())
        try await app.test(.router) { client in
            let client = ConformingClient(client: client)
            let response = try await client.post("/v1/classify", json: [
                "images": [try Data(contentsOf: image).base64EncodedString()], "labels": labels, "templates": "simple"])
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["scoring"] as? String == scoring)
            let predictions = try #require((body["data"] as? [[String: Any]])?.first?["predictions"] as? [[String: Any]])
            #expect(predictions.compactMap { $0["label"] as? String } == expected.map(\.label))
            for (prediction, reference) in zip(predictions, expected) {
                #expect(abs((prediction["score"] as? Double ?? -1) - Double(reference.score)) < 1e-5)
            }
            let info = try await client.get("/info").object()
            let model = try #require((info["models"] as? [[String: Any]])?.first)
            #expect(model["family"] as? String == family && model["scoring"] as? String == scoring)
        }
        served.engine.shutdown()
    }
}
