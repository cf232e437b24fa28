@testable import CLIPHub
import CLIPModel
import CLIPTestSupport
import Foundation
import Testing

@Suite("Hub downloads against a local fake Hub")
struct HubDownloadTests {
    @Test("an open_clip repository downloads into huggingface_hub's layout, loads, and works offline afterwards")
    func openCLIPRepository() throws {
        let server = try FakeHubServer()
        let commit = server.publish("acme/tiny", files: HubFixtures.openCLIP)
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("acme/tiny")
        let repository = cache.appendingPathComponent("models--acme--tiny")
        #expect(resolved.path == repository.appendingPathComponent("snapshots/\(commit)").path)
        #expect(try String(contentsOf: repository.appendingPathComponent("refs/main"), encoding: .utf8) == commit)
        // Snapshot entries are relative links to blobs named by checksum: SHA-256 for the LFS
        // weights, the git blob id for the small config.
        let weights = HubFixtures.openCLIP["open_clip_model.safetensors"]!
        let config = HubFixtures.openCLIP["open_clip_config.json"]!
        let manager = FileManager.default
        #expect(try manager.destinationOfSymbolicLink(atPath: "\(resolved.path)/open_clip_model.safetensors") == "../../blobs/\(sha256Hex(weights))")
        #expect(try manager.destinationOfSymbolicLink(atPath: "\(resolved.path)/open_clip_config.json") == "../../blobs/\(gitBlobID(config))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(resolved.path)/open_clip_model.safetensors")) == weights)
        #expect(!(try manager.contentsOfDirectory(atPath: repository.appendingPathComponent("blobs").path)).contains { $0.hasSuffix(".incomplete") })

        let direct = try CLIPLoader.load(path: HubFixtures.modelFixtures.appendingPathComponent("open_clip").path)
        let downloaded = try CLIPLoader.load(path: resolved.path)
        #expect(try HubFixtures.embeddings(downloaded) == HubFixtures.embeddings(direct))

        // Offline, with the server gone: the cache alone answers.
        server.stop()
        let offline = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache, offline: true)).resolve("acme/tiny")
        #expect(offline.path == resolved.path)
    }

    @Test("a Hugging Face repository brings its preprocessor and skips absent tokenizer files")
    func huggingFaceRepository() throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny-hf", files: HubFixtures.huggingFace)
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("acme/tiny-hf@main")
        let files = try FileManager.default.contentsOfDirectory(atPath: resolved.path).sorted()
        #expect(files == ["config.json", "model.safetensors", "preprocessor_config.json"])
        let loaded = try CLIPLoader.load(path: resolved.path)
        #expect(loaded.layout == .huggingFace)
        // The files known to be absent are remembered as huggingface_hub remembers them.
        let commit = URL(fileURLWithPath: resolved.path).lastPathComponent
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent("models--acme--tiny-hf/.no_exist/\(commit)/vocab.json").path))
    }

    @Test("a transfer cut mid-way resumes with a Range request and ends with the right bytes")
    func resumesAfterDisconnect() throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny", files: HubFixtures.openCLIP)
        server.cutNextTransfer("acme/tiny", file: "open_clip_model.safetensors", after: 100_000)
        let cache = HubFixtures.temporaryCache()
        let client = HubFixtures.client(HubFixtures.configuration(server, cache: cache))
        let path = try client.file(repository: "acme/tiny", file: "open_clip_model.safetensors")
        #expect(try Data(contentsOf: path) == HubFixtures.openCLIP["open_clip_model.safetensors"])
        let transfers = server.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/cdn/") }
        #expect(transfers.count == 2)
        #expect(transfers.first?.headers["range"] == nil)
        #expect(transfers.last?.headers["range"] == "bytes=100000-")
    }

    @Test("a partial file left by an earlier run is continued, not restarted")
    func continuesEarlierPartialFile() throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny", files: HubFixtures.openCLIP)
        let cache = HubFixtures.temporaryCache()
        let weights = HubFixtures.openCLIP["open_clip_model.safetensors"]!
        let blobs = cache.appendingPathComponent("models--acme--tiny/blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try weights.prefix(12_345).write(to: blobs.appendingPathComponent("\(sha256Hex(weights)).incomplete"))
        let client = HubFixtures.client(HubFixtures.configuration(server, cache: cache))
        let progress = ProgressLog()
        let path = try client.file(repository: "acme/tiny", file: "open_clip_model.safetensors", progress: progress.record)
        #expect(try Data(contentsOf: path) == weights)
        #expect(server.requests.filter { $0.path.hasPrefix("/cdn/") }.map { $0.headers["range"] } == ["bytes=12345-"])
        #expect(progress.events.last?.finished == true)
        #expect(progress.events.last?.completed == Int64(weights.count))
        #expect(progress.events.first?.resumedFrom == 12_345)
    }

    @Test("content that does not match the Hub's checksum is refused and removed", arguments: [
        "open_clip_model.safetensors", "open_clip_config.json",
    ])
    func checksumMismatch(_ file: String) throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny", files: HubFixtures.openCLIP)
        server.corrupt("acme/tiny", file: file)
        let cache = HubFixtures.temporaryCache()
        let client = HubFixtures.client(HubFixtures.configuration(server, cache: cache))
        #expect {
            _ = try client.file(repository: "acme/tiny", file: file)
        } throws: { error in
            guard case let HubError.checksumMismatch(name, _, _) = error else { return false }
            return name == file
        }
        let blobs = cache.appendingPathComponent("models--acme--tiny/blobs")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? [] == [])
        #expect(client.cached("acme/tiny", "main", file) == nil)
    }

    @Test("missing repositories, revisions and files are told apart")
    func notFound() throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny", files: HubFixtures.openCLIP)
        server.publish("acme/empty", files: ["README.md": Data("hello".utf8)])
        let cache = HubFixtures.temporaryCache()
        let resolver = ModelResolver(configuration: HubFixtures.configuration(server, cache: cache))
        #expect(throws: HubError.repositoryNotFound(repository: "acme/nothing", endpoint: server.endpoint, hasToken: false)) {
            _ = try resolver.resolve("acme/nothing")
        }
        #expect(throws: HubError.revisionNotFound(repository: "acme/tiny", revision: "v9")) {
            _ = try resolver.resolve("acme/tiny@v9")
        }
        #expect(throws: HubError.notAModelRepository(repository: "acme/empty", revision: "main",
                                                     reason: "it has neither open_clip_config.json nor config.json")) {
            _ = try resolver.resolve("acme/empty")
        }
        let client = HubFixtures.client(HubFixtures.configuration(server, cache: cache))
        #expect(throws: HubError.fileNotFound(repository: "acme/tiny", revision: "main", file: "nope.bin")) {
            _ = try client.file(repository: "acme/tiny", file: "nope.bin")
        }
    }

    @Test("a private repository needs the token, which is never sent to the CDN")
    func privateRepository() throws {
        let server = try FakeHubServer()
        server.publish("acme/secret", files: HubFixtures.openCLIP, token: "hf_right")
        let cache = HubFixtures.temporaryCache()
        #expect(throws: HubError.repositoryNotFound(repository: "acme/secret", endpoint: server.endpoint, hasToken: false)) {
            _ = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("acme/secret")
        }
        #expect(throws: HubError.repositoryNotFound(repository: "acme/secret", endpoint: server.endpoint, hasToken: true)) {
            _ = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache, token: "hf_wrong")).resolve("acme/secret")
        }
        let message = "\(HubError.repositoryNotFound(repository: "acme/secret", endpoint: server.endpoint, hasToken: false))"
        #expect(message.contains("HF_TOKEN"))
        server.clearRequests()
        _ = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache, token: "hf_right")).resolve("acme/secret")
        let hubRequests = server.requests.filter { $0.path.hasPrefix("/acme/") }
        let cdnRequests = server.requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(!hubRequests.isEmpty && hubRequests.allSatisfy { $0.headers["authorization"] == "Bearer hf_right" })
        #expect(!cdnRequests.isEmpty && cdnRequests.allSatisfy { $0.headers["authorization"] == nil })
    }

    @Test("a renamed repository is followed through its relative redirect")
    func renamedRepository() throws {
        let server = try FakeHubServer()
        server.publish("acme/new-name", files: HubFixtures.openCLIP)
        server.rename("acme/old-name", to: "acme/new-name")
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("acme/old-name")
        #expect(resolved.path.contains("models--acme--old-name/snapshots/"))
        #expect(try CLIPLoader.load(path: resolved.path).layout == .openCLIP)
    }

    @Test("revisions: a new commit on main moves the ref; tags and commit hashes resolve to their snapshots")
    func revisions() throws {
        let server = try FakeHubServer()
        let (first, second, _) = HubFixtures.publishTwoRevisions(server, "acme/tiny")
        let cache = HubFixtures.temporaryCache()
        let resolver = ModelResolver(configuration: HubFixtures.configuration(server, cache: cache))
        #expect(URL(fileURLWithPath: try resolver.resolve("acme/tiny").path).lastPathComponent == second)
        #expect(URL(fileURLWithPath: try resolver.resolve("acme/tiny@v1").path).lastPathComponent == first)
        #expect(URL(fileURLWithPath: try resolver.resolve("acme/tiny@\(first)").path).lastPathComponent == first)
        let refs = cache.appendingPathComponent("models--acme--tiny/refs")
        #expect(try String(contentsOf: refs.appendingPathComponent("main"), encoding: .utf8) == second)
        #expect(try String(contentsOf: refs.appendingPathComponent("v1"), encoding: .utf8) == first)
        // The weights did not change: both snapshots share one blob.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("models--acme--tiny/blobs").path)
        #expect(blobs.count == 3)
    }

    @Test("offline, a missing model is a clear error; online with the Hub down, the cache is used")
    func offlineAndUnreachable() throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny", files: HubFixtures.openCLIP)
        let cache = HubFixtures.temporaryCache()
        let offline = ModelResolver(configuration: HubFixtures.configuration(server, cache: cache, offline: true))
        #expect(throws: HubError.notCached(repository: "acme/tiny", revision: "main", file: nil, cache: cache.path, offline: true)) {
            _ = try offline.resolve("acme/tiny")
        }
        #expect("\(HubError.notCached(repository: "acme/tiny", revision: "main", file: nil, cache: cache.path, offline: true))".contains("HF_HUB_OFFLINE"))
        #expect(server.requests.isEmpty)

        let online = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("acme/tiny")
        server.stop()
        let unreachable = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("acme/tiny")
        #expect(unreachable.path == online.path)
        #expect {
            _ = try ModelResolver(configuration: HubFixtures.configuration(server, cache: HubFixtures.temporaryCache())).resolve("acme/tiny")
        } throws: { error in
            if case HubError.network = error { return true } else { return false }
        }
    }
}

/// Progress events collected from the download thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [DownloadProgress] = []
    var events: [DownloadProgress] { lock.withLock { storage } }
    var record: @Sendable (DownloadProgress) -> Void { { [self] event in lock.withLock { storage.append(event) } } }
}
