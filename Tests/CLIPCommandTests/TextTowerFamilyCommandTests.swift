import CLIPTestSupport
import Foundation
import Testing

/// The commands on the Chinese-CLIP and XLM-R fixtures of CLIPModelTests (Scripts/make_family_fixtures.py).
@Suite("Commands run Chinese-CLIP and XLM-R models")
struct TextTowerFamilyCommandTests {
    static let chineseCLIP = FamilyCommandTests.families.appendingPathComponent("chinese_clip_hf").path
    static let multilingual = FamilyCommandTests.families.appendingPathComponent("xlmr_open_clip").path

    @Test("classify --labels with Chinese class names; info names the family", arguments: [
        (chineseCLIP, "chinese-clip", "tokenizer.json WordPiece"), (multilingual, "hf-text", "tokenizer.json Unigram"),
    ])
    func classifyAndInfo(_ model: String, _ family: String, _ tokenizer: String) throws {
        let classified = try CLI.run(["classify", "--model", model, "--labels", "猫,狗", "--no-cache", CommandFixtures.image])
        #expect(classified.status == 0, "\(classified.stderr)")
        let record = try JSONSerialization.jsonObject(with: classified.stdout) as? [String: Any]
        #expect(record?["scoring"] as? String == "softmax")
        let predictions = record?["predictions"] as? [[String: Any]] ?? []
        #expect(Set(predictions.compactMap { $0["label"] as? String }) == ["猫", "狗"])
        let total = predictions.compactMap { $0["score"] as? Double }.reduce(0, +)
        #expect(abs(total - 1) < 1e-5)
        let chinesePrompts = try CLI.run(["classify", "--model", model, "--labels", "猫,狗", "--templates", "chinese", "--no-cache",
                                          CommandFixtures.image])
        #expect(chinesePrompts.status == 0, "\(chinesePrompts.stderr)")
        let info = try CLI.run(["info", "--model", model, "--json"])
        let report = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
        #expect(report?["family"] as? String == family)
        #expect(report?["tokenizer"] as? String == tokenizer)
    }

    @Test("fine-tuning a Hugging Face text tower: LoRA, locked text, LiT and full; the checkpoint loads as the same family", arguments: [
        ["--lora-rank", "2"], ["--lock-text"], ["--lock-image"], [String](),
    ])
    func fineTune(_ extra: [String]) throws {
        for (model, family) in [(Self.chineseCLIP, "chinese-clip"), (Self.multilingual, "hf-text")] {
            let output = CommandFixtures.path("text-tower-train-\(UUID().uuidString)")
            let trained = try CLI.run(["train", "--model", model, "--train-data", CommandFixtures.data.captions, "--batch-size", "2",
                                       "--steps", "2", "--warmup", "1", "--output-dir", output, "--json"] + extra)
            #expect(trained.status == 0, "\(trained.stderr)")
            let report = try JSONSerialization.jsonObject(with: trained.stdout) as? [String: Any]
            #expect((report?["final_loss"] as? Double)?.isFinite == true)
            let checkpoint = output + "/checkpoints/step_000002"
            let info = try CLI.run(["info", "--model", checkpoint, "--json"])
            let described = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
            #expect(described?["family"] as? String == family, "\(info.stderr)")
            let classified = try CLI.run(["classify", "--model", checkpoint, "--labels", "猫,狗", "--no-cache", CommandFixtures.image])
            #expect(classified.status == 0, "\(classified.stderr)")
        }
    }

    @Test("clip convert writes Chinese-CLIP as open_clip's layout with the same embeddings")
    func convert() throws {
        let output = CommandFixtures.path("chinese-clip-convert-\(UUID().uuidString)")
        let converted = try CLI.run(["convert", Self.chineseCLIP, "--layout", "openclip", "--output-dir", output])
        #expect(converted.status == 0, "\(converted.stderr)")
        let embed = { (model: String) in try CLI.run(["embed", "--model", model, "--text", "一只猫的照片", "--image", CommandFixtures.image]).stdout }
        #expect(try embed(output) == embed(Self.chineseCLIP))
        let refused = try CLI.run(["convert", Self.chineseCLIP, "--layout", "hf", "--output-dir", output + "-hf"])
        #expect(refused.status != 0 && refused.stderr.contains("not a transformers CLIPModel"), "\(refused.stderr)")
    }

    @Test("an XLM-R architecture trains from scratch")
    func fromScratch() throws {
        let output = CommandFixtures.path("xlmr-scratch-\(UUID().uuidString)")
        let trained = try CLI.run(["train", "--model-config", Self.multilingual + "/open_clip_config.json", "--train-data",
                                   CommandFixtures.data.captions, "--batch-size", "2", "--steps", "2", "--warmup", "1",
                                   "--output-dir", output, "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
    }
}
