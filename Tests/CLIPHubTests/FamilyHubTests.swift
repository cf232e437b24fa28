@testable import CLIPHub
import CLIPModel
import CLIPTensor
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

    @Test("an open_clip XLM-R tag fetches the tower's config.json and tokenizer from the repository its config names")
    func openCLIPTextTowerTag() throws {
        let server = try FakeHubServer()
        let tag = try #require(PretrainedTag.all.first { $0.architecture == "xlm-roberta-base-ViT-B-32" })
        var files = HubFixtures.family("xlmr_open_clip").filter { $0.key.hasPrefix("open_clip_") }
        let tower = "FacebookAI/xlm-roberta-pico"
        var configuration = try #require(JSONSerialization.jsonObject(with: files["open_clip_config.json"]!) as? [String: Any])
        var model = configuration["model_cfg"] as! [String: Any]
        var text = model["text_cfg"] as! [String: Any]
        text["hf_model_name"] = tower
        text["hf_tokenizer_name"] = tower
        model["text_cfg"] = text
        configuration["model_cfg"] = model
        files["open_clip_config.json"] = try JSONSerialization.data(withJSONObject: configuration)
        server.publish(tag.repository, files: files)
        var towerFiles = HubFixtures.family("xlmr_open_clip").filter { $0.key.hasPrefix("tokenizer") }
        towerFiles["config.json"] = try Data(contentsOf: HubFixtures.familyFile("xlmr_open_clip", "xlm-roberta-pico/config.json"))
        server.publish(tower, files: towerFiles)
        let cache = HubFixtures.temporaryCache()
        let resolved = try ModelResolver(configuration: HubFixtures.configuration(server, cache: cache))
            .resolve("xlm-roberta-base-ViT-B-32:\(tag.tag)")
        let towerPath = try #require(resolved.textModelPath)
        #expect(try FileManager.default.contentsOfDirectory(atPath: towerPath).sorted() == ["config.json", "tokenizer.json", "tokenizer_config.json"])
        let loaded = try CLIPLoader.load(path: resolved.path, textModelDirectory: towerPath)
        #expect(loaded.model.configuration.family == .huggingFaceText)
        let expected = try SafeTensorsFile(path: HubFixtures.familyFile("xlmr_open_clip", "../expected.safetensors").path)
        let tokens = try expected.tensor("xlmr_open_clip/tokens")
        let ids = tokenRows(tokens)
        #expect(try loaded.makeTokenizer().tokenize(["a photo of a dog", "一只猫的照片", "Un chat noir, assis.", "两只狗\tand a cat!\u{200B}"]) == ids)
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
