@testable import CLIPCommand
import CLIPHub
import CLIPModel
import CLIPTestSupport
import Foundation
import Testing

@Suite("Hub commands against a local fake Hub", .serialized)
struct HubCommandTests {
    /// The files of a model directory, as a repository's contents.
    func files(of directory: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: directory.appendingPathComponent($0))) })
    }

    /// `clip embed --model MODEL --text hi` under `configuration`, returning the embedding.
    func embedHi(_ model: String, _ configuration: HubConfiguration) throws -> [Double] {
        let output = temporaryPath("hubcmd-" + "embed-\(UUID().uuidString.prefix(6)).jsonl")
        let command = try #require(try CLIPCommand.parseAsRoot(["embed", "--model", model, "--text", "hi", "--output", output.path]) as? EmbedCommand)
        try HubConfiguration.$override.withValue(configuration) { try command.run() }
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        return try #require(record["embedding"] as? [Double])
    }

    @Test("clip embed --model owner/name downloads, caches and embeds; HF_HUB_OFFLINE=1 then works from the cache alone",
          arguments: ["openclip", "hf"])
    func embedFromHub(_ layout: String) throws {
        var directory = TinyModel.directory
        if layout == "hf" {
            directory = temporaryPath("hubcmd-" + "tiny-hf")
            let convert = try #require(try CLIPCommand.parseAsRoot(["convert", TinyModel.directory.path, "--output-dir", directory.path,
                                                                    "--layout", "hf"]) as? ConvertCommand)
            try convert.run()
        }
        let local = try embedHi(TinyModel.directory.path, HubConfiguration(cacheDirectory: temporaryPath("hubcmd-" + "unused"), offline: true))
        let server = try FakeHubServer()
        server.publish("acme/tiny-\(layout)", files: try files(of: directory))
        let cache = temporaryPath("hubcmd-" + "cache-\(layout)")
        let online = try embedHi("acme/tiny-\(layout)", HubConfiguration(environment: ["HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": cache.path]))
        #expect(online == local)
        #expect(HubCache(root: cache).describe("acme/tiny-\(layout)")?.revisions.count == 1)
        server.stop()
        let offline = try embedHi("acme/tiny-\(layout)", HubConfiguration(environment: [
            "HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1"]))
        #expect(offline == local)
        #expect(throws: HubError.self) {
            _ = try embedHi("acme/other", HubConfiguration(environment: ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1"]))
        }
    }

    @Test("an open_clip tag resolves to its repository and forces QuickGELU as open_clip does")
    func pretrainedTag() throws {
        let server = try FakeHubServer()
        var repository = try files(of: TinyModel.directory)
        repository["open_clip_config.json"] = Data(String(decoding: repository["open_clip_config.json"]!, as: UTF8.self)
            .replacingOccurrences(of: "\"quick_gelu\": true", with: "\"quick_gelu\": false").utf8)
        server.publish("timm/vit_base_patch32_clip_224.openai", files: repository)
        let configuration = HubConfiguration(endpoint: server.endpoint, cacheDirectory: temporaryPath("hubcmd-" + "cache-tag"))
        let options = try ModelOptions.parse(["--model", "ViT-B-32:openai"])
        let loaded = try HubConfiguration.$override.withValue(configuration) { try options.load() }
        #expect(loaded.model.configuration.quickGELU)
        let plain = try HubConfiguration.$override.withValue(configuration) {
            try ModelOptions.parse(["--model", "timm/vit_base_patch32_clip_224.openai"]).load()
        }
        #expect(!plain.model.configuration.quickGELU)
    }

    @Test("download, convert from the Hub, and cache remove")
    func downloadConvertRemove() throws {
        let server = try FakeHubServer()
        server.publish("acme/tiny", files: try files(of: TinyModel.directory))
        let cache = temporaryPath("hubcmd-" + "cache-cli")
        let configuration = HubConfiguration(endpoint: server.endpoint, cacheDirectory: cache)
        let download = try #require(try CLIPCommand.parseAsRoot(["download", "acme/tiny"]) as? DownloadCommand)
        try HubConfiguration.$override.withValue(configuration) { try download.run() }
        #expect(HubCache(root: cache).describe("acme/tiny") != nil)

        let output = temporaryPath("hubcmd-" + "converted")
        let convert = try #require(try CLIPCommand.parseAsRoot(["convert", "acme/tiny", "--output-dir", output.path, "--dtype", "f16"]) as? ConvertCommand)
        try HubConfiguration.$override.withValue(configuration) { try convert.run() }
        #expect(try CLIPLoader.load(path: output.path).storedTypes == ["F16"])

        let remove = try #require(try CLIPCommand.parseAsRoot(["cache", "remove", "acme/tiny"]) as? CacheCommand.Remove)
        try HubConfiguration.$override.withValue(configuration) { try remove.run() }
        #expect(HubCache(root: cache).describe("acme/tiny") == nil)
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["download"]) }
        let local = try #require(try CLIPCommand.parseAsRoot(["download", "./no/such/dir"]) as? DownloadCommand)
        #expect(throws: (any Error).self) { try local.run() }
    }
}
