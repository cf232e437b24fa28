import AsyncHTTPClient
import CLIPTestSupport
import Foundation
import NIOCore
import Testing

/// `clip serve` as a child process on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let errors = Pipe()
    private var log = Data()

    /// Starts `clip serve ARGUMENTS --port 0` and waits (up to a minute) for it to say where it listens.
    init(_ arguments: [String]) throws {
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while port == 0 {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty || Date() > deadline {
                throw FailedToStart(log: String(decoding: log, as: UTF8.self))
            }
            log += chunk
            let text = String(decoding: log, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last ?? "") ?? 0
            }
        }
        // Keep draining standard error so that logging never blocks the server.
        errors.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
    }

    struct FailedToStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "clip serve did not start: \(log)" }
    }

    /// Sends SIGTERM and waits for the exit status.
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    var base: String { "http://127.0.0.1:\(port)" }
}

@Suite("clip serve", .serialized)
struct ServeCommandTests {
    /// The index of the search fixtures, built once with the thumbnail CLIP.
    static func fixtureIndex(_ name: String) throws -> (photos: URL, index: String) {
        let photos = try IndexSearchFixture.photos("serve-\(name)-photos")
        let index = temporaryDirectory("serve-\(name)-index").path
        let built = try CLI.run(["index", "--model", IndexSearchFixture.model, "--index", index, photos.path])
        #expect(built.status == 0, "\(built.stderr)")
        return (photos, index)
    }

    static func post(_ http: HTTPClient, _ url: String, _ json: Any) async throws -> (status: UInt, body: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 24)
        return (response.status.code, (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:])
    }

    @Test("clip serve loads the index's model, answers a search, and on SIGTERM finishes the request in flight before exiting 0")
    func gracefulShutdown() async throws {
        let (_, index) = try Self.fixtureIndex("shutdown")
        // Batches wait 400 ms to fill, so the request below is still in flight when SIGTERM arrives.
        let server = try ServerProcess(["--index", index, "--max-wait", "400"])
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let models = try await http.execute(HTTPClientRequest(url: server.base + "/v1/models"), timeout: .seconds(30))
            #expect(models.status == .ok)
            async let inFlight = Self.post(http, server.base + "/v1/search", ["query": "a red square", "top_k": 2])
            try await Task.sleep(for: .milliseconds(150))
            #expect(kill(server.process.processIdentifier, SIGTERM) == 0)
            let answer = try await inFlight
            #expect(answer.status == 200 && (answer.body["data"] as? [Any])?.count == 2, "\(answer)")
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
        #expect(server.stop() == 0)
    }

    @Test("clip serve --store searches an index in PostgreSQL: text and more-like-this queries, files by id, many at once over its connection pool")
    func postgresStore() async throws {
        guard let url = TestPostgres.storeURL("serve") else { return }
        let photos = try IndexSearchFixture.photos("serve-postgres-photos")
        let built = try CLI.run(["index", "--model", IndexSearchFixture.model, "--store", url, photos.path])
        #expect(built.status == 0, "\(built.stderr)")
        let server = try ServerProcess(["--store", "photos=\(url)"])
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let first = try await Self.post(http, server.base + "/v1/search", ["index": "photos", "query": "a red square", "top_k": 3])
            let data = try #require(first.body["data"] as? [[String: Any]], "\(first)")
            #expect(first.status == 200 && data.count == 3, "\(first)")
            let id = try #require(data.first?["id"] as? Int)
            let similar = try await Self.post(http, server.base + "/v1/search", ["index": "photos", "query": [["id": id]], "top_k": 1])
            #expect((similar.body["data"] as? [[String: Any]])?.first?["id"] as? Int == id, "\(similar)")
            let image = try await http.execute(HTTPClientRequest(url: server.base + "/images/\(id)"), timeout: .seconds(30))
            #expect(image.status == .ok)
            let missing = try await Self.post(http, server.base + "/v1/search", ["index": "photos", "query": [["id": 999_999]], "top_k": 1])
            #expect(missing.status == 404, "\(missing)")
            // More requests at once than the pool has connections: they wait their turn, none fails.
            let answers = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<24 {
                    group.addTask { try await Self.post(http, server.base + "/v1/search", ["index": "photos", "query": [["id": id]], "top_k": 2]).status }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0 == 200 }, "\(answers)")
        } catch {
            try await http.shutdown()
            _ = server.stop()
            throw error
        }
        try await http.shutdown()
        #expect(server.stop() == 0)
    }

    @Test("the web page, in headless Chromium, shows result tiles for a query in its URL (screenshot kept)")
    func pageInBrowser() async throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: FileManager.default.isExecutableFile) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("Chromium is not installed; .ci/run installs Debian's chromium for this test")
            } else {
                print("notice: Chromium is not installed; the page test is skipped (apt-get install chromium)")
            }
            return
        }
        let (photos, index) = try Self.fixtureIndex("page")
        let server = try ServerProcess(["--index", index])
        defer { _ = server.stop() }
        let page = server.base + "/?q=" + "a red square".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=10000",
                      "--user-data-dir=" + temporaryDirectory("chromium-profile").path]
        let dom = try Self.run(chromium, common + ["--dump-dom", page])
        let tiles = dom.components(separatedBy: #"class="tile""#).count - 1
        #expect(tiles == IndexSearchFixture.contents.files.count, "the page shows \(tiles) tiles; DOM: \(dom.prefix(2_000))")
        #expect(dom.contains("results for “a red square”"))
        #expect(IndexSearchFixture.contents.files.keys.allSatisfy { dom.contains(">\($0)<") }, "every indexed file appears by its relative path")
        #expect(!dom.contains(photos.path), "absolute paths stay on the server")
        let screenshot = ProcessInfo.processInfo.environment["CLIP_TEST_ARTIFACTS"].map { URL(fileURLWithPath: $0) } ?? temporaryDirectory("page-screenshot")
        try FileManager.default.createDirectory(at: screenshot, withIntermediateDirectories: true)
        let file = screenshot.appendingPathComponent("clip-serve-page.png")
        _ = try Self.run(chromium, common + ["--window-size=1100,800", "--screenshot=" + file.path, page])
        let png = try Data(contentsOf: file)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a rendered screenshot")
        print("page screenshot: \(file.path)")
    }

    /// Runs a program to its end and returns its standard output.
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
