import CLIPTestSupport
import Foundation
import Testing

/// The commands on the SigLIP fixtures of CLIPModelTests (Scripts/make_family_fixtures.py).
@Suite("Commands run SigLIP models")
struct FamilyCommandTests {
    static let families = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPModelTests/Fixtures/families")
    static let hfModel = families.appendingPathComponent("siglip_hf").path
    static let openCLIPModel = families.appendingPathComponent("siglip_open_clip").path

    @Test("classify reports sigmoid scores; info names the family, tokenizer and scoring")
    func classifyAndInfo() throws {
        let classified = try CLI.run(["classify", "--model", Self.hfModel, "--classes", "cat,dog", "--templates", "simple", "--no-cache",
                                      CommandFixtures.image])
        #expect(classified.status == 0, "\(classified.stderr)")
        let record = try JSONSerialization.jsonObject(with: classified.stdout) as? [String: Any]
        #expect(record?["scoring"] as? String == "sigmoid")
        let scores = (record?["predictions"] as? [[String: Any]])?.compactMap { $0["score"] as? Double } ?? []
        #expect(scores.count == 2 && scores.allSatisfy { $0 > 0 && $0 < 1 })
        let info = try CLI.run(["info", "--model", Self.openCLIPModel, "--json"])
        let report = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
        #expect(report?["family"] as? String == "siglip")
        #expect(report?["scoring"] as? String == "sigmoid")
        #expect(report?["tokenizer"] as? String == "tokenizer.json Unigram")
    }

    @Test("fine-tuning a SigLIP model: LoRA, LiT (whole and with unlocked groups) and full, with the SigLIP loss", arguments: [
        ["--lora-rank", "2"], ["--lock-image"], [String](),
    ])
    func fineTune(_ extra: [String]) throws {
        let data = CommandFixtures.data
        let output = CommandFixtures.path("siglip-train-\(UUID().uuidString)")
        let trained = try CLI.run(["train", "--model", Self.openCLIPModel, "--train-data", data.captions, "--loss", "siglip",
                                   "--batch-size", "2", "--steps", "2", "--warmup", "1", "--output-dir", output, "--json"] + extra)
        #expect(trained.status == 0, "\(trained.stderr)")
        let report = try JSONSerialization.jsonObject(with: trained.stdout) as? [String: Any]
        #expect((report?["final_loss"] as? Double)?.isFinite == true)
        // The checkpoint is a SigLIP model again, with its tokenizer beside it.
        let checkpoint = output + "/checkpoints/step_000002"
        let files = try FileManager.default.contentsOfDirectory(atPath: checkpoint)
        #expect(files.contains("tokenizer.json") && files.contains("tokenizer_config.json"), "\(files)")
        let info = try CLI.run(["info", "--model", checkpoint, "--json"])
        let described = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
        #expect(described?["family"] as? String == "siglip" && described?["tokenizer"] as? String == "tokenizer.json Unigram", "\(info.stderr)")
        let unlockedGroups = try CLI.run(["train", "--model", Self.openCLIPModel, "--train-data", data.captions, "--loss", "siglip",
                                          "--batch-size", "2", "--steps", "1", "--lock-image", "--lock-image-unlocked-groups", "1",
                                          "--output-dir", output + "-groups"])
        #expect(unlockedGroups.status == 0, "\(unlockedGroups.stderr)")
    }

    @Test("clip convert writes a Hugging Face SigLIP directory as open_clip's layout with the same embeddings")
    func convert() throws {
        let output = CommandFixtures.path("siglip-convert-\(UUID().uuidString)")
        let converted = try CLI.run(["convert", Self.hfModel, "--layout", "openclip", "--output-dir", output])
        #expect(converted.status == 0, "\(converted.stderr)")
        let embed = { (model: String) in try CLI.run(["embed", "--model", model, "--text", "a photo of a cat", "--image", CommandFixtures.image]).stdout }
        #expect(try embed(output) == embed(Self.hfModel))
    }

    @Test("a SigLIP architecture trains from scratch")
    func fromScratch() throws {
        let data = CommandFixtures.data
        let output = CommandFixtures.path("siglip-scratch-\(UUID().uuidString)")
        let trained = try CLI.run(["train", "--model-config", Self.openCLIPModel + "/open_clip_config.json", "--train-data", data.captions,
                                   "--loss", "siglip", "--batch-size", "2", "--steps", "2", "--warmup", "1", "--output-dir", output, "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
    }
}
