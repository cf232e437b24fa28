@testable import CLIPHub
import CLIPModel
import CLIPTestSupport
import Foundation
import Testing

@Suite("SigLIP and Chinese-CLIP references resolve against a local fake Hub")
struct FamilyHubTests {
    @Test("a Hugging Face SigLIP repository (google/siglip-…) brings its spiece.model and tokenizes with it")
    func huggingFaceSigLIP() throws {
        let server = try FakeHubServer()
        server.publish("google/siglip-base-patch16-224", files: HubFixtures.family("siglip_hf"))
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("google/siglip-base-patch16-224")
        let files = try FileManager.default.contentsOfDirectory(atPath: resolved.path).sorted()
        #expect(files == ["config.json", "model.safetensors", "preprocessor_config.json", "spiece.model"])
        let loaded = try CLIPLoader.load(path: resolved.path)
        #expect(loaded.model.configuration.family == .sigLIP)
        #expect(try loaded.makeTokenizer().kind == "SentencePiece Unigram (SigLIP)")
    }

    @Test("a Chinese-CLIP repository (OFA-Sys/chinese-clip-…) brings its vocab.txt and classifies Chinese labels")
    func chineseCLIP() throws {
        let server = try FakeHubServer()
        server.publish("OFA-Sys/chinese-clip-vit-base-patch16", files: HubFixtures.family("chinese_clip_hf"))
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("OFA-Sys/chinese-clip-vit-base-patch16")
        let files = try FileManager.default.contentsOfDirectory(atPath: resolved.path).sorted()
        #expect(files == ["config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"])
        let loaded = try CLIPLoader.load(path: resolved.path)
        #expect(loaded.model.configuration.family == .chineseCLIP)
        #expect(try loaded.makeTokenizer().tokenize(["猫"])[0].prefix(3) == [2, 20, 3])   // [CLS] 猫 [SEP] in the fixture's vocab.txt
    }

    @Test("an open_clip SigLIP tag (ViT-B-16-SigLIP:webli) brings the tokenizer files its config names")
    func openCLIPSigLIPTag() throws {
        let server = try FakeHubServer()
        let tag = try #require(PretrainedTag.all.first { $0.architecture == "ViT-B-16-SigLIP" && $0.tag == "webli" })
        server.publish(tag.repository, files: HubFixtures.family("siglip_open_clip"))
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache)).resolve("ViT-B-16-SigLIP:webli")
        let files = try FileManager.default.contentsOfDirectory(atPath: resolved.path).sorted()
        #expect(files == ["open_clip_config.json", "open_clip_model.safetensors", "tokenizer.json", "tokenizer_config.json"])
        #expect(resolved.quickGELU == nil)
        let loaded = try CLIPLoader.load(path: resolved.path)
        #expect(try loaded.makeTokenizer().kind == "tokenizer.json Unigram")
    }
}
