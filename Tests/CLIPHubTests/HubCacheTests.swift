@testable import CLIPHub
import CLIPModel
import CLIPTestSupport
import Foundation
import Testing

@Suite("Hub cache")
struct HubCacheTests {
    static let pythonCache = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
        .appendingPathComponent("Fixtures/python_cache")

    /// A copy of the cache huggingface_hub wrote (Scripts/make_hub_cache_fixture.py), so tests can change it.
    static func copyOfPythonCache() throws -> URL {
        let copy = HubFixtures.temporaryCache("python")
        try FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: pythonCache, to: copy)
        return copy
    }

    @Test("a cache written by Python's huggingface_hub is read offline, by branch, tag and commit")
    func readsPythonCache() throws {
        let cache = try Self.copyOfPythonCache()
        let configuration = HubConfiguration(endpoint: "http://127.0.0.1:9", cacheDirectory: cache, offline: true)
        let resolver = ModelResolver(configuration: configuration)
        let commit = "0123456789abcdef0123456789abcdef01234567"
        for reference in ["fixture/tiny-open-clip", "fixture/tiny-open-clip@v1", "fixture/tiny-open-clip@\(commit)"] {
            let resolved = try resolver.resolve(reference)
            #expect(resolved.path == cache.appendingPathComponent("models--fixture--tiny-open-clip/snapshots/\(commit)").path)
        }
        let loaded = try CLIPLoader.load(path: try resolver.resolve("fixture/tiny-open-clip").path)
        let direct = try CLIPLoader.load(path: HubFixtures.modelFixtures.appendingPathComponent("open_clip").path)
        #expect(try HubFixtures.embeddings(loaded) == HubFixtures.embeddings(direct))
    }

    @Test("files we download land where huggingface_hub put the same files")
    func sameLayoutAsPython() throws {
        let server = try FakeHubServer()
        let files = HubFixtures.openCLIP
        server.publish("fixture/tiny-open-clip", files: files)
        let ours = HubFixtures.temporaryCache()
        _ = try ModelResolver(configuration: HubFixtures.configuration(server, cache: ours)).resolve("fixture/tiny-open-clip")
        func layout(_ root: URL) throws -> [String] {
            let repository = root.appendingPathComponent("models--fixture--tiny-open-clip")
            let blobs = try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("blobs").path).sorted()
            let snapshots = repository.appendingPathComponent("snapshots")
            let commit = try FileManager.default.contentsOfDirectory(atPath: snapshots.path).first!
            let links = try FileManager.default.contentsOfDirectory(atPath: snapshots.appendingPathComponent(commit).path).sorted().map {
                "\($0) -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: snapshots.appendingPathComponent("\(commit)/\($0)").path))
            }
            return blobs + links
        }
        #expect(try layout(ours) == layout(Self.pythonCache))
    }

    @Test("list reports repositories, revisions, refs and sizes; removing a revision keeps shared blobs")
    func inventoryAndRemoval() throws {
        let server = try FakeHubServer()
        let (first, second, changed) = HubFixtures.publishTwoRevisions(server, "acme/tiny")
        let cacheRoot = HubFixtures.temporaryCache()
        let resolver = ModelResolver(configuration: HubFixtures.configuration(server, cache: cacheRoot))
        _ = try resolver.resolve("acme/tiny@v1")
        _ = try resolver.resolve("acme/tiny")
        let cache = HubCache(root: cacheRoot)
        let listed = try cache.inventory()
        #expect(listed.map(\.repository) == ["acme/tiny"])
        let entry = try #require(listed.first)
        let weights = Int64(HubFixtures.openCLIP["open_clip_model.safetensors"]!.count)
        let configs = Int64(HubFixtures.openCLIP["open_clip_config.json"]!.count + changed["open_clip_config.json"]!.count)
        #expect(entry.sizeOnDisk == weights + configs)
        #expect(Set(entry.revisions.map(\.commit)) == [first, second])
        #expect(entry.revisions.first { $0.commit == first }?.refs == ["v1"])
        #expect(entry.revisions.first { $0.commit == second }?.refs == ["main"])
        #expect(entry.revisions.allSatisfy { $0.files == ["open_clip_config.json", "open_clip_model.safetensors"] })

        let freed = try cache.remove("acme/tiny", revision: "v1")
        #expect(freed == Int64(HubFixtures.openCLIP["open_clip_config.json"]!.count))
        let after = try #require(cache.describe("acme/tiny"))
        #expect(after.revisions.map(\.commit) == [second])
        #expect(try CLIPLoader.load(path: cache.snapshotFolder("acme/tiny", commit: second).path).layout == .openCLIP)

        #expect(try cache.remove("acme/tiny") == weights + Int64(changed["open_clip_config.json"]!.count))
        #expect(try cache.inventory().isEmpty)
        #expect(throws: HubError.self) { try cache.remove("acme/tiny") }
    }

    @Test("a snapshot link whose blob is gone counts as not cached")
    func danglingLink() throws {
        let cache = try Self.copyOfPythonCache()
        let blobs = cache.appendingPathComponent("models--fixture--tiny-open-clip/blobs")
        for blob in try FileManager.default.contentsOfDirectory(atPath: blobs.path) where blob.count == 64 {
            try FileManager.default.removeItem(at: blobs.appendingPathComponent(blob))
        }
        let resolver = ModelResolver(configuration: HubConfiguration(endpoint: "http://127.0.0.1:9", cacheDirectory: cache, offline: true))
        #expect {
            _ = try resolver.resolve("fixture/tiny-open-clip")
        } throws: { error in
            guard case let HubError.notAModelRepository(_, _, reason) = error else { return false }
            return reason.contains("open_clip_model.safetensors")
        }
    }
}
