@testable import CLIPCommand
import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// A small random model with the real 49,408-token vocabulary, written as an open_clip directory,
/// so the commands can run end to end with the bundled tokenizer.
enum TinyModel {
    static let directory: URL = {
        let directory = temporaryDirectory("tiny-model")
        let config = #"{"model_cfg": {"embed_dim": 8, "quick_gelu": true, "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 16, "head_width": 8}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1}}}"#
        try! Data(config.utf8).write(to: directory.appendingPathComponent("open_clip_config.json"))
        let model = CLIP(try! CLIPConfiguration.openCLIP(json: Data(config.utf8), source: "tiny"))
        var generator = RandomGenerator(seed: 11)
        let weights = Dictionary(uniqueKeysWithValues: model.namedParameters().map { name, parameter in
            (name, name == "logit_scale" ? Tensor(2.659) : Tensor.normal(parameter.wrappedValue.shape, std: 0.1, using: &generator))
        })
        try! SafeTensorsWriter.write(weights, to: directory.appendingPathComponent("open_clip_model.safetensors").path)
        return directory
    }()

    static var image: String {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLIPImageTests/Fixtures/images/odd_97x61.png").path
    }
}

@Suite("Model commands", .serialized)
struct ModelCommandTests {
    @Test("embed writes JSON Lines in input order, texts first, L2-normalised")
    func embedJSONLines() throws {
        let output = temporaryPath("cmd-" + "e.jsonl").path
        let command = try #require(try CLIPCommand.parseAsRoot(["embed", "--model", TinyModel.directory.path, "--text", "a dog",
                                                               "--image", TinyModel.image, "--text", "a cat", "--output", output]) as? EmbedCommand)
        try command.run()
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.map { $0["type"] as? String } == ["text", "text", "image"])
        #expect(records.map { $0["input"] as? String } == ["a dog", "a cat", TinyModel.image])
        for record in records {
            let embedding = try #require(record["embedding"] as? [Double])
            #expect(embedding.count == 8)
            #expect(abs(embedding.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
    }

    @Test("embed to .npy writes an [N, D] float32 matrix equal to the JSON output")
    func embedNumpy() throws {
        let npy = temporaryPath("cmd-" + "e.npy").path, jsonl = temporaryPath("cmd-" + "e2.jsonl").path
        let a = try #require(try CLIPCommand.parseAsRoot(["embed", "--model", TinyModel.directory.path, "--text", "x y z", "--no-normalize", "--output", npy]) as? EmbedCommand)
        try a.run()
        let b = try #require(try CLIPCommand.parseAsRoot(["embed", "--model", TinyModel.directory.path, "--text", "x y z", "--no-normalize", "--output", jsonl]) as? EmbedCommand)
        try b.run()
        let data = try Data(contentsOf: URL(fileURLWithPath: npy))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect(String(decoding: data[10..<(10 + headerLength)], as: UTF8.self).contains("'shape': (1, 8)"))
        let values = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonl))) as? [String: Any])
        let fromJSON = try #require(record["embedding"] as? [Double]).map { Float($0) }
        #expect(values == fromJSON)
    }

    @Test("a missing image or an invalid model path fails with a clear error")
    func embedErrors() throws {
        let missingImage = try #require(try CLIPCommand.parseAsRoot(["embed", "--model", TinyModel.directory.path, "--image", "/nonexistent.jpg"]) as? EmbedCommand)
        #expect(throws: (any Error).self) { try missingImage.run() }
        let badModel = try #require(try CLIPCommand.parseAsRoot(["embed", "--model", "/nonexistent", "--text", "hi"]) as? EmbedCommand)
        #expect(throws: ModelError.self) { try badModel.run() }
        #expect(throws: (any Error).self) { try CLIPCommand.parseAsRoot(["embed", "--model", "m", "--batch-size", "0", "--text", "x"]) }
    }

    @Test("the model runs the same texts in different batch sizes to the same embeddings")
    func batchSizes() throws {
        let loaded = try CLIPLoader.load(path: TinyModel.directory.path)
        let texts = ["one", "a much longer caption with many more words in it", "two words", "🙂"]
        let whole = try loaded.textFeatures(texts, batchSize: 4, normalize: true)
        let single = try loaded.textFeatures(texts, batchSize: 1, normalize: true)
        for (a, b) in zip(whole, single) { #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }) }
    }
}
