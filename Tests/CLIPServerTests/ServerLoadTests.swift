import AsyncHTTPClient
import CLIPServer
import CLIPTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Concurrent clients", .serialized)
struct ServerLoadTests {
    /// How long the clients run.
    static let duration: Duration = .seconds(6)
    static let clients = 64
    /// Resident memory may grow this much between the end of a warm-up round and the end of the
    /// run (allocator caches and Prometheus series settle in the warm-up; a leak of one request's
    /// body per request would pass it within seconds).
    static let residentGrowthLimit = 48 << 20

    @Test("64 clients on real connections, some sending broken images: every response is 200, an intended 422 or 503, answers match their requests, memory stays flat")
    func sixtyFourClients() async throws {
        let fixture = try ServerFixture("load") { _, limits in limits.queueLimit = 48 }
        let texts = (0..<16).map { "a photo of thing number \($0)" }
        let images = ["a.png", "b.jpg", "square/c.jpg"]
        let expectedTexts = try fixture.loaded.textFeatures(texts, normalize: true)
        let expectedImages = try fixture.loaded.imageFeatures(images.map { fixture.photos.appendingPathComponent($0).path }, normalize: true)
        let payloads = try images.map { try fixture.base64($0) }
        let app = Application(router: fixture.service.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.clients
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                try await Self.load(http, port: port, texts: texts, expectedTexts: expectedTexts, images: images,
                                    expectedImages: expectedImages, payloads: payloads)
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
        fixture.service.models.forEach { $0.engine.shutdown() }
    }

    private static func load(_ http: HTTPClient, port: Int, texts: [String], expectedTexts: [[Float]], images: [String],
                             expectedImages: [[Float]], payloads: [String]) async throws {

        /// One request: its kind picked by `step`; nil when the answer matched the request, else what was wrong.
        @Sendable func exercise(_ step: Int) async throws -> (status: UInt, problem: String?) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/embeddings")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let expected: [[Float]]
            switch step % 4 {
            case 0:
                let chosen = [step % texts.count, (step * 7 + 3) % texts.count]
                request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["input": chosen.map { texts[$0] }])))
                expected = chosen.map { expectedTexts[$0] }
            case 1:
                let image = step % images.count
                request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["input": [["image": payloads[image]], ["text": texts[step % texts.count]]]])))
                expected = [expectedImages[image], expectedTexts[step % texts.count]]
            case 2:
                // A truncated JPEG: a 422 naming the input, and nothing kept of it.
                let broken = String(payloads[1].prefix(400))
                request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["input": [["image": broken]]])))
                let response = try await http.execute(request, timeout: .seconds(60))
                let body = try await response.body.collect(upTo: 1 << 20)
                let intended = response.status.code == 422 && String(buffer: body).contains("input[0].image")
                return (response.status.code, intended ? nil : "a broken image got \(response.status): \(String(buffer: body))")
            default:
                request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/search")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["query": [["image": payloads[step % images.count]]], "top_k": 1])))
                expected = []
            }
            let response = try await http.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 24)
            guard response.status == .ok else {
                let intended = response.status == .serviceUnavailable && response.headers["Retry-After"].first == "1"
                return (response.status.code, intended ? nil : "unexpected \(response.status): \(String(buffer: body))")
            }
            let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            guard let data = object?["data"] as? [[String: Any]] else { return (200, "no data") }
            if expected.isEmpty {
                let score = data.first?["score"] as? Double ?? 0
                return (200, abs(score - 1) < 2e-3 ? nil : "an image's own file scored \(score)")
            }
            let vectors = data.map { ($0["embedding"] as? [Double] ?? []).map(Float.init) }
            for (vector, reference) in zip(vectors, expected) where maxDifference(vector, reference).value >= ServerRouteTests.batchingTolerance {
                return (200, "an answer does not match its request (cross-talk?)")
            }
            return (200, vectors.count == expected.count ? nil : "\(vectors.count) embeddings for \(expected.count) inputs")
        }

        for step in 0..<Self.clients { _ = try await exercise(step) }   // warm-up
        let before = residentBytes()
        let deadline = ContinuousClock.now + Self.duration
        let outcomes = try await withThrowingTaskGroup(of: [(UInt, String?)].self) { group in
            for clientNumber in 0..<Self.clients {
                group.addTask {
                    var outcomes: [(UInt, String?)] = []
                    var step = clientNumber
                    while ContinuousClock.now < deadline {
                        outcomes.append(try await exercise(step))
                        step += Self.clients
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let after = residentBytes()
        let problems = outcomes.compactMap(\.1)
        #expect(problems.isEmpty, "\(problems.count) of \(outcomes.count) responses were wrong, first: \(problems.first ?? "")")
        let ok = outcomes.filter { $0.0 == 200 }.count, refused = outcomes.filter { $0.0 == 422 }.count
        #expect(ok > Self.clients, "only \(ok) of \(outcomes.count) requests succeeded")
        #expect(after - before < Self.residentGrowthLimit, "resident memory grew by \((after - before) >> 20) MiB")
        print("load: \(outcomes.count) responses, \(ok) ok, \(refused) broken images refused, \(outcomes.count - ok - refused) intended 503, resident \(before >> 20) → \(after >> 20) MiB")
    }
}

/// This process's resident memory, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
