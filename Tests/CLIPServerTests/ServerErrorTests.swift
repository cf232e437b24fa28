import CLIPModel
import CLIPServer
import CLIPTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP errors, limits and auth", .serialized)
struct ServerErrorTests {
    @Test("bad requests get 400, 422, 413 or 404 in OpenAI's error shape naming the field, and the server keeps answering")
    func badRequests() async throws {
        let fixture = try ServerFixture("errors") { configuration, _ in configuration.limits.maximumBodyBytes = 100_000 }
        try await fixture.test { client in
            func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, param: String? = nil, _ note: String) {
                #expect(response.status == status, "\(note): \(response.status) \(String(buffer: response.body))")
                let error = response.openAIError()
                #expect(error?["message"] is String && error?["type"] is String, "\(note): not OpenAI's shape")
                if let param { #expect(error?["param"] as? String == param, "\(note): param \(String(describing: error?["param"]))") }
            }
            expectError(try await client.post("/v1/embeddings", body: Data("{\"input\": ".utf8)), .badRequest, "truncated JSON")
            expectError(try await client.post("/v1/embeddings", body: Data()), .badRequest, "empty body")
            expectError(try await client.post("/v1/embeddings", body: Data([0xff, 0xfe, 0x7b])), .badRequest, "invalid UTF-8")
            expectError(try await client.post("/v1/embeddings", json: ["model": "thumbnail-clip"]), .unprocessableContent, param: "input", "missing input")
            expectError(try await client.post("/v1/embeddings", json: ["input": 3]), .unprocessableContent, param: "input", "input of the wrong type")
            expectError(try await client.post("/v1/embeddings", json: ["input": [[1, 2, 3]]]), .unprocessableContent, param: "input", "token arrays")
            expectError(try await client.post("/v1/embeddings", json: ["input": []]), .unprocessableContent, param: "input", "no input")
            expectError(try await client.post("/v1/embeddings", json: ["input": [["text": "a", "image": "b"]]]), .unprocessableContent, param: "input[0]", "both text and image")
            expectError(try await client.post("/v1/embeddings", json: ["input": "x", "encoding_format": "hex"]), .unprocessableContent, param: "encoding_format", "unknown format")
            expectError(try await client.post("/v1/embeddings", json: ["input": "x", "dimensions": 3]), .unprocessableContent, param: "dimensions", "other dimensions")
            expectError(try await client.post("/v1/embeddings", json: ["input": [["image": "bm90IGFuIGltYWdl"]]]), .unprocessableContent, param: "input[0].image", "not an image")
            expectError(try await client.post("/v1/embeddings", json: ["input": [["image": "%%%"]]]), .unprocessableContent, param: "input[0].image", "not base64")
            expectError(try await client.post("/v1/embeddings", json: ["input": [["image": "/etc/passwd"]]]), .unprocessableContent, param: "input[0].image", "a path")
            var truncated = try Data(contentsOf: fixture.photos.appendingPathComponent("b.jpg"))
            truncated.removeSubrange(300...)
            expectError(try await client.post("/v1/embeddings", json: ["input": [["image": truncated.base64EncodedString()]]]), .unprocessableContent,
                        param: "input[0].image", "truncated JPEG")
            expectError(try await client.post("/v1/embeddings", json: ["input": String(repeating: "a", count: 20_001)]), .unprocessableContent, param: "input[0]", "overlong text")
            expectError(try await client.post("/v1/embeddings", json: ["input": String(repeating: "a", count: 200_000)]), .contentTooLarge, "body over the limit")
            expectError(try await client.post("/v1/classify", json: ["images": [], "labels": ["a"]]), .unprocessableContent, param: "images", "no images")
            expectError(try await client.post("/v1/classify", json: ["images": [try fixture.base64("b.jpg")], "labels": ["a", "a"]]), .unprocessableContent,
                        param: "labels", "repeated label")
            expectError(try await client.post("/v1/classify", json: ["images": [try fixture.base64("b.jpg")], "labels": ["a"], "templates": "/etc/passwd"]),
                        .unprocessableContent, param: "templates", "templates as a path")
            expectError(try await client.post("/v1/classify", json: ["images": [try fixture.base64("b.jpg")], "labels": ["a"], "templates": ["no placeholder"]]),
                        .unprocessableContent, param: "templates", "template without {}")
            expectError(try await client.post("/v1/search", json: ["query": "x", "index": "nope"]), .notFound, "unknown index")
            expectError(try await client.post("/v1/search", json: ["query": "x", "top_k": 0]), .unprocessableContent, param: "top_k", "top_k 0")
            expectError(try await client.post("/v1/search", json: ["query": "x", "threshold": 2]), .unprocessableContent, param: "threshold", "threshold 2")
            expectError(try await client.post("/v1/search", json: ["query": "x", "under": "../etc"]), .unprocessableContent, param: "under", "under with ..")
            expectError(try await client.post("/v1/search", json: ["query": [["text": "x", "weight": 1], ["text": "x", "weight": -1]]]),
                        .unprocessableContent, param: "query", "terms that cancel out")
            expectError(try await client.post("/v1/search", json: ["query": [["embedding": [1, 2]]]]), .unprocessableContent, param: "query[0].embedding", "embedding of the wrong width")
            expectError(try await client.post("/knn-service", json: ["text": "x", "modality": "text", "num_images": 2]), .unprocessableContent, param: "modality", "text modality")
            expectError(try await client.get("/no/such/route"), .notFound, "unknown route")
            expectError(try await client.get("/page/../../etc/passwd"), .notFound, "page path escape")
            #expect(try await client.post("/v1/embeddings", json: ["input": "still here"]).status == .ok, "the server answers after all of that")
        }
    }

    @Test("with an API key every route but /health and the page needs the bearer token; without one nothing does")
    func apiKey() async throws {
        let fixture = try ServerFixture("auth") { configuration, _ in configuration.apiKey = "s3cret" }
        try await fixture.test { client in
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.get("/").status == .ok)
            let refused = try await client.get("/v1/models")
            #expect(refused.status == .unauthorized && refused.openAIError()?["type"] as? String == "authentication_error")
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await client.get("/v1/models", headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            #expect(try await client.get("/v1/models", headers: [.authorization: "Bearer s3cret-and-more"]).status == .unauthorized)
            #expect(try await client.get("/v1/models", headers: [.authorization: "s3cret"]).status == .unauthorized)
            #expect(try await client.get("/v1/models", headers: [.authorization: "Bearer s3cret"]).status == .ok)
            #expect(try await client.get("/metrics").status == .unauthorized)
            #expect(try await client.get("/images/1").status == .unauthorized)
        }
        let keyless = try ServerFixture("no-auth")
        try await keyless.test { client in
            let models = try await client.get("/v1/models"), info = try await client.get("/info")
            #expect(models.status == .ok && info.status == .ok)
        }
    }

    @Test("CORS answers only for the configured origin, and a preflight needs no key")
    func cors() async throws {
        let fixture = try ServerFixture("cors") { configuration, _ in
            configuration.corsOrigin = "https://photos.example"
            configuration.apiKey = "k"
        }
        try await fixture.test { client in
            let preflight = try await client.execute(uri: "/v1/search", method: .options,
                                                     headers: [.origin: "https://photos.example", .accessControlRequestMethod: "POST"])
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://photos.example")
            let simple = try await client.get("/health", headers: [.origin: "https://photos.example"])
            #expect(simple.headers[.accessControlAllowOrigin] == "https://photos.example")
        }
        let closed = try ServerFixture("no-cors")
        try await closed.test { client in
            let response = try await client.get("/health", headers: [.origin: "https://photos.example"])
            #expect(response.status == .ok && response.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("a request that would overfill the queue gets 503 with Retry-After; one that outwaits its timeout gets 504")
    func overloadAndTimeout() async throws {
        let small = try ServerFixture("overload") { _, limits in limits.queueLimit = 2 }
        try await small.test { client in
            let refused = try await client.post("/v1/embeddings", json: ["input": ["a", "b", "c"]])
            #expect(refused.status == .serviceUnavailable && refused.headers[.retryAfter] == "1")
            #expect(refused.openAIError()?["code"] as? String == "queue_full")
            #expect(try await client.post("/v1/embeddings", json: ["input": ["a", "b"]]).status == .ok)
        }
        let impatient = try ServerFixture("timeout") { _, limits in
            limits.timeout = .nanoseconds(1)
            limits.maximumWait = .milliseconds(50)
        }
        try await impatient.test { client in
            let late = try await client.post("/v1/embeddings", json: ["input": "a"])
            #expect(late.status == .gatewayTimeout && late.openAIError()?["code"] as? String == "timeout")
        }
    }

    @Test("/health, /info and /metrics report the model, the index and the requests served")
    func status() async throws {
        let fixture = try ServerFixture("status")
        try await fixture.test { client in
            #expect(try await client.get("/health").object()["status"] as? String == "ok")
            _ = try await client.post("/v1/embeddings", json: ["input": ["a", "b"]])
            _ = try await client.get("/nowhere")
            let info = try await client.get("/info").object()
            let model = try #require((info["models"] as? [[String: Any]])?.first)
            #expect(model["id"] as? String == "thumbnail-clip" && model["precision"] as? String == "f32")
            let index = try #require((info["indexes"] as? [[String: Any]])?.first)
            #expect(index["name"] as? String == "photos" && index["files"] as? Int == IndexSearchFixture.contents.files.count)
            let metrics = String(buffer: try await client.get("/metrics").body)
            #expect(metrics.contains(#"clip_http_requests_total{route="/v1/embeddings",method="POST",status="200"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"status="404""#))
            #expect(metrics.contains("clip_inference_batch_size_bucket") && metrics.contains("clip_http_request_duration_seconds_bucket"))
            #expect(metrics.contains(#"clip_index_files{index="photos"}"#) && metrics.contains("clip_inference_queue_depth"))
        }
    }
}

extension ServerErrorTests {
    @Test("/info reports the precision the model computes in, and embeddings are served in it")
    func precisionInInfo() async throws {
        let fixture = try ServerFixture("precision")
        fixture.loaded.model.setComputePrecision(.int8)
        try await fixture.test { client in
            let info = try await client.get("/info").object()
            let model = try #require((info["models"] as? [[String: Any]])?.first)
            #expect(model["precision"] as? String == "int8")
            let embedded = try await client.post("/v1/embeddings", json: ["input": ["a photo"]])
            #expect(embedded.status == .ok)
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    @Test("the document lists exactly the router's routes and methods")
    func routesMatch() throws {
        let fixture = try ServerFixture("openapi")
        defer { fixture.service.models.forEach { $0.engine.shutdown() } }
        let routed = Set(fixture.service.router().routes.map { "\($0.method.rawValue.lowercased()) \(Self.template($0.path.description))" })
        let documented = Set(OpenAPIDocument.shared.paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
        #expect(routed == documented, "only routed: \(routed.subtracting(documented).sorted()); only documented: \(documented.subtracting(routed).sorted())")
    }

    /// Hummingbird's `:id` or `{id}` written as OpenAPI's `{id}`.
    static func template(_ path: String) -> String {
        let written = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        return "/" + written
    }

    @Test("the validator catches what it should: a missing field, a wrong type, an undocumented status")
    func validatorBites() {
        let document = OpenAPIDocument.shared
        #expect(document.problem(method: .get, uri: "/health", status: 200, contentType: "application/json", body: Data(#"{"status":"ok"}"#.utf8)) == nil)
        #expect(document.problem(method: .get, uri: "/health", status: 200, contentType: "application/json", body: Data(#"{"state":"ok"}"#.utf8)) != nil)
        #expect(document.problem(method: .get, uri: "/health", status: 418, contentType: "application/json", body: Data("{}".utf8)) != nil)
        #expect(document.problem(method: .get, uri: "/images/3", status: 200, contentType: "image/png", body: Data()) == nil)
        #expect(document.problem(method: .post, uri: "/v1/search", status: 200, contentType: "application/json",
                                 body: Data(#"{"object":"list","index":"i","model":"m","data":[{"rank":"1","id":1,"path":"p","score":0.5}]}"#.utf8)) != nil)
    }
}
