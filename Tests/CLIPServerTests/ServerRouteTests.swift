import CLIPImage
import CLIPModel
import CLIPSearch
import CLIPServer
import CLIPTensor
import CLIPTestSupport
import Foundation
import HummingbirdTesting
import Testing

@Suite("HTTP routes", .serialized)
struct ServerRouteTests {
    /// A batch of one and a batch of many run the same GEMMs with other blockings, so the same
    /// input's features differ by float rounding only.
    static let batchingTolerance: Float = 1e-5
    /// Stored float16 rounds each feature to 11 significant bits, moving a score by up to about 1e-3;
    /// f32 scores differ from open_clip's by float rounding (as in `clip search`'s test).
    static let scoreTolerance: [String: Double] = ["f32": 2e-4, "f16": 2e-3]

    @Test("/v1/embeddings returns OpenAI's shape with the library's normalised text features, as floats or base64")
    func textEmbeddings() async throws {
        let fixture = try ServerFixture("text")
        let texts = ["a red square", "a gradient", "cat"]
        let expected = try fixture.loaded.textFeatures(texts, normalize: true)
        let tokens = try fixture.loaded.makeTokenizer().tokenize(texts).map { $0.filter { $0 != fixture.loaded.vocabulary.padID }.count }.reduce(0, +)
        try await fixture.test { client in
            let response = try await client.post("/v1/embeddings", json: ["input": texts, "model": "thumbnail-clip"])
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["object"] as? String == "list" && body["model"] as? String == "thumbnail-clip")
            let usage = try #require(body["usage"] as? [String: Int])
            #expect(usage["prompt_tokens"] == tokens && usage["total_tokens"] == tokens)
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.map { $0["index"] as? Int } == [0, 1, 2] && data.allSatisfy { $0["object"] as? String == "embedding" })
            for (item, vector) in zip(data, expected) {
                let values = try #require(item["embedding"] as? [Double]).map(Float.init)
                #expect(maxDifference(values, vector).value < Self.batchingTolerance)
            }

            let encoded = try await client.post("/v1/embeddings", json: ["input": "a gradient", "encoding_format": "base64"])
            let item = try #require((try encoded.object()["data"] as? [[String: Any]])?.first)
            let text = try #require(item["embedding"] as? String)
            let bytes = try #require(Data(base64Encoded: text))
            let floats = stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: bytes[bytes.startIndex + offset..<bytes.startIndex + offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            }
            #expect(maxDifference(floats, expected[1]).value < Self.batchingTolerance)
        }
    }

    @Test("/v1/embeddings takes images as base64 and data: URLs beside texts, with the library's image features")
    func imageEmbeddings() async throws {
        let fixture = try ServerFixture("images")
        let paths = ["b.jpg", "a.png"].map { fixture.photos.appendingPathComponent($0).path }
        let expected = try fixture.loaded.imageFeatures(paths, normalize: true)
        let text = try fixture.loaded.textFeatures(["cat"], normalize: true)[0]
        try await fixture.test { client in
            let input: [[String: String]] = [["image": try fixture.base64("b.jpg")], ["text": "cat"],
                                             ["image": "data:image/png;base64," + (try fixture.base64("a.png"))]]
            let response = try await client.post("/v1/embeddings", json: ["input": input])
            #expect(response.status == .ok)
            let data = try #require(try response.object()["data"] as? [[String: Any]])
            let vectors = try data.map { try #require($0["embedding"] as? [Double]).map(Float.init) }
            #expect(vectors.count == 3)
            #expect(maxDifference(vectors[0], expected[0]).value < Self.batchingTolerance)
            #expect(maxDifference(vectors[1], text).value < Self.batchingTolerance)
            #expect(maxDifference(vectors[2], expected[1]).value < Self.batchingTolerance)
        }
    }

    @Test("/v1/models lists the served model; an unknown model is a 404 in OpenAI's error shape")
    func models() async throws {
        let fixture = try ServerFixture("models")
        try await fixture.test { client in
            let list = try await client.get("/v1/models")
            let data = try #require(try list.object()["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["thumbnail-clip"] && data.first?["object"] as? String == "model")
            let unknown = try await client.post("/v1/embeddings", json: ["input": "x", "model": "gpt-4"])
            #expect(unknown.status == .notFound)
            let error = try #require(unknown.openAIError())
            #expect(error["type"] as? String == "invalid_request_error" && (error["message"] as? String)?.contains("gpt-4") == true)
            #expect(try await client.get("/v1/models/thumbnail-clip").status == .ok)
            #expect(try await client.get("/v1/models/nope").status == .notFound)
        }
    }

    @Test("/v1/classify gives clip classify's predictions (the same classifier and softmax), with default and given templates")
    func classify() async throws {
        let fixture = try ServerFixture("classify")
        let labels = ["red square", "gradient", "stripes"]
        let path = fixture.photos.appendingPathComponent("b.jpg").path
        let features = try fixture.loaded.imageFeatures([path])
        var cases: [(templates: [String]?, expected: [ZeroShotClassifier.Prediction])] = []
        for (templates, set) in [(nil, PromptTemplates.standard), (["a picture of {}."], try PromptTemplates(name: "t", templates: ["a picture of {}."]))] {
            let classifier = try ZeroShotClassifier(loaded: fixture.loaded, classNames: labels, templates: set)
            cases.append((templates, try classifier.predict(imageFeatures: Tensor(shape: [1, features[0].count], scalars: features[0]), topK: 2)[0]))
        }
        try await fixture.test { [cases] client in
            for (templates, expected) in cases {
                var body: [String: Any] = ["images": [try fixture.base64("b.jpg")], "labels": labels, "top_k": 2]
                if let templates { body["templates"] = templates }
                let response = try await client.post("/v1/classify", json: body)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let data = try #require(try response.object()["data"] as? [[String: Any]])
                let predictions = try #require(data.first?["predictions"] as? [[String: Any]])
                #expect(predictions.map { $0["label"] as? String } == expected.map(\.label))
                for (prediction, reference) in zip(predictions, expected) {
                    #expect(abs(Float(try #require(prediction["score"] as? Double)) - reference.score) < Self.batchingTolerance)
                }
            }
        }
    }

    @Test("/v1/search answers each search fixture as open_clip and numpy do (texts, images, arithmetic, under, threshold, template)",
          arguments: ["f32", "f16"])
    func search(_ element: String) async throws {
        let fixture = try ServerFixture("search-\(element)", element: element == "f16" ? .float16 : .float32)
        let tolerance = Self.scoreTolerance[element]!
        try await fixture.test { client in
            for reference in IndexSearchFixture.contents.cases where reference.element == element {
                let words = reference.words.map { $0.replacingOccurrences(of: "{root}", with: fixture.photos.path) }
                let query = try SearchQuery(arguments: words) { ImageDecoder.format(ofFileAt: $0) != nil }
                let terms = try query.terms.map { term -> [String: Any] in
                    switch term.subject {
                    case let .text(text): return ["text": text, "weight": term.weight]
                    case let .image(path): return ["image": try Data(contentsOf: URL(fileURLWithPath: path)).base64EncodedString(), "weight": term.weight]
                    }
                }
                var body: [String: Any] = ["query": terms, "top_k": reference.top, "index": "photos"]
                if let threshold = reference.threshold { body["threshold"] = threshold }
                if let under = reference.under { body["under"] = under }
                if let template = reference.template { body["template"] = template }
                let response = try await client.post("/v1/search", json: body)
                #expect(response.status == .ok, "\(reference.name): \(String(buffer: response.body))")
                let data = try #require(try response.object()["data"] as? [[String: Any]])
                #expect(data.count == reference.hits.count, "\(reference.name): \(data.map { $0["path"] ?? "" })")
                for (rank, (hit, expected)) in zip(data, reference.hits).enumerated() {
                    let path = try #require(hit["path"] as? String), score = try #require(hit["score"] as? Double)
                    #expect(hit["rank"] as? Int == rank + 1 && (hit["id"] as? Int ?? 0) > 0)
                    #expect(abs(score - expected.score) < tolerance, "\(reference.name) rank \(rank + 1)")
                    #expect(abs(score - (reference.scores[path] ?? .infinity)) < tolerance, "\(reference.name): \(path) is not what the reference scores")
                }
            }
        }
    }

    @Test("clip-retrieval's routes: indices-list, knn-service by text, image and embedding with deduplicate, metadata; then the image and its thumbnail by id")
    func retrieval() async throws {
        let fixture = try ServerFixture("retrieval")
        try await fixture.test { client in
            #expect(try await client.get("/indices-list").json() as? [String] == ["photos"])
            let byImage = try await client.post("/knn-service", json: ["image": try fixture.base64("a.png"), "modality": "image", "num_images": 3,
                                                                        "indice_name": "photos", "deduplicate": false, "use_safety_model": true])
            #expect(byImage.status == .ok, "\(String(buffer: byImage.body))")
            let results = try #require(try byImage.json() as? [[String: Any]])
            #expect(Set(results.prefix(2).compactMap { $0["caption"] as? String }) == ["a.png", "copy of a.png"])
            #expect(results.allSatisfy { ($0["url"] as? String)?.contains("/images/") == true && $0["similarity"] is Double && $0["id"] is Int })
            let deduplicated = try await client.post("/knn-service", json: ["image": try fixture.base64("a.png"), "modality": "image", "num_images": 3,
                                                                             "indice_name": "photos", "deduplicate": true])
            let kept = try #require(try deduplicated.json() as? [[String: Any]])
            #expect(kept.filter { ["a.png", "copy of a.png"].contains($0["caption"] as? String) }.count == 1, "identical copies collapse to one")
            let byText = try await client.post("/knn-service", json: ["text": "a red square", "modality": "image", "num_images": 2, "indice_name": "photos"])
            #expect((try byText.json() as? [[String: Any]])?.count == 2)
            let vector = try fixture.loaded.imageFeatures([fixture.photos.appendingPathComponent("b.jpg").path], normalize: true)[0]
            let byEmbedding = try await client.post("/knn-service", json: ["embedding_input": vector, "modality": "image", "num_images": 1, "indice_name": "photos"])
            #expect((try byEmbedding.json() as? [[String: Any]])?.first?["caption"] as? String == "b.jpg")
            let url = try await client.post("/knn-service", json: ["image_url": "http://example.com/x.jpg", "modality": "image", "num_images": 1])
            #expect(url.status == .unprocessableContent && url.openAIError()?["param"] as? String == "image_url")

            let id = try #require(results.first?["id"] as? Int)
            let metadata = try #require(try await client.post("/metadata", json: ["ids": [id, 999_999], "indice_name": "photos"]).json() as? [[String: Any]])
            #expect(metadata.count == 2 && (metadata[0]["metadata"] as? [String: Any])?["caption"] as? String == results.first?["caption"] as? String)
            #expect(metadata[1]["metadata"] is NSNull)

            let file = try await client.get("/images/\(id)")
            let caption = try #require(results.first?["caption"] as? String)
            let original = try Data(contentsOf: fixture.photos.appendingPathComponent(caption))
            #expect(file.status == .ok && Data(buffer: file.body) == original)
            #expect(file.headers[.contentType] == "image/png")
            let thumbnail = try await client.get("/thumbnails/\(id)")
            #expect(thumbnail.status == .ok && thumbnail.headers[.contentType] == "image/jpeg")
            let decoded = try ImageDecoder().decode(Data(buffer: thumbnail.body), source: "thumbnail")
            #expect(max(decoded.width, decoded.height) <= 256)
            #expect(try await client.get("/thumbnails/\(id)").body == thumbnail.body, "the cached thumbnail is served again")
            #expect(try await client.get("/images/999999").status == .notFound)
            #expect(try await client.get("/images/abc").status == .unprocessableContent)
            #expect(try await client.get("/images/\(id)?index=other").status == .notFound)
        }
    }

    @Test("\"more like this\" searches by an indexed file's stored vector; /v1/duplicates groups the identical copies; the page and its files are served")
    func moreLikeThisAndDuplicates() async throws {
        let fixture = try ServerFixture("more")
        try await fixture.test { client in
            let first = try await client.post("/v1/search", json: ["query": "a gradient", "top_k": 1])
            let hit = try #require((try first.object()["data"] as? [[String: Any]])?.first)
            let id = try #require(hit["id"] as? Int), path = try #require(hit["path"] as? String)
            let similar = try await client.post("/v1/search", json: ["query": [["id": id]], "top_k": 2])
            let best = try #require((try similar.object()["data"] as? [[String: Any]])?.first)
            #expect(abs((best["score"] as? Double ?? 0) - 1) < 1e-3, "a file is most like itself: \(best)")
            #expect(best["path"] as? String == path || fixture.photos.appendingPathComponent(path).path.contains("a.png"))
            #expect(try await client.post("/v1/search", json: ["query": [["id": 999_999]]]).status == .notFound)

            let duplicates = try await client.post("/v1/duplicates", json: ["threshold": 0.99])
            #expect(duplicates.status == .ok, "\(String(buffer: duplicates.body))")
            let groups = try #require(try duplicates.object()["data"] as? [[String: Any]])
            let group = try #require(groups.first { ($0["files"] as? [[String: Any]])?.contains { $0["path"] as? String == "a.png" } == true })
            let files = try #require(group["files"] as? [[String: Any]])
            #expect(Set(files.compactMap { $0["path"] as? String }).isSuperset(of: ["a.png", "copy of a.png"]) && files.allSatisfy { ($0["id"] as? Int ?? 0) > 0 })

            let page = try await client.get("/")
            #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true && String(buffer: page.body).contains("/page/app.js"))
            #expect(try await client.get("/page/app.js").status == .ok)
            #expect(try await client.get("/page/style.css").headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(try await client.get("/page/secret.txt").status == .notFound)
        }
    }
}
