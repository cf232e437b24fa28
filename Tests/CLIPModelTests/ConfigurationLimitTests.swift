import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

@Suite("Limits: model configurations and inferred architectures")
struct ConfigurationLimitTests {
    static func configuration(embedDim: Int = 8, width: Int = 16, layers: Int = 1, imageSize: Int = 32, patch: Int = 16,
                              context: Int = 77, vocabulary: Int = 49_408) -> Data {
        Data(#"{"embed_dim": \#(embedDim), "vision_cfg": {"image_size": \#(imageSize), "layers": \#(layers), "width": \#(width), "patch_size": \#(patch), "head_width": 8}, "text_cfg": {"context_length": \#(context), "vocab_size": \#(vocabulary), "width": 16, "heads": 2, "layers": 1}}"#.utf8)
    }

    static func expectRefused(_ json: Data, naming text: String) {
        do {
            _ = try CLIPConfiguration.openCLIP(json: json, source: "config.json")
            Issue.record("accepted")
        } catch let ModelError.invalidConfiguration(_, reason) {
            #expect(reason.contains(text), "\(reason)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("malformed configurations say what is wrong and where, in words")
    func readableReasons() throws {
        Self.expectRefused(Data(#"{"embed_dim": 8, "#.utf8), naming: "not valid JSON")
        Self.expectRefused(Data("[1, 2]".utf8), naming: "expected a JSON object")
        let wrongType = String(decoding: Self.configuration(), as: UTF8.self).replacingOccurrences(of: #""layers": 1, "width": 16, "patch_size""#, with: #""layers": 1, "width": "wide", "patch_size""#)
        Self.expectRefused(Data(wrongType.utf8), naming: "at 'vision_cfg.width': expected an integer, found a string")
        // Hugging Face config.json: unreadable and malformed files are named with their reason.
        let folder = temporaryDirectory("hf-bad-config")
        try Data("{".utf8).write(to: folder.appendingPathComponent("config.json"))
        try SafeTensorsWriter.write(["x": Tensor([1])], to: folder.appendingPathComponent("model.safetensors").path)
        do {
            _ = try CLIPLoader.load(path: folder.path)
            Issue.record("accepted")
        } catch let ModelError.invalidConfiguration(path, reason) {
            #expect(path.hasSuffix("config.json") && reason.hasPrefix("not valid JSON"), "\(reason)")
        }
    }

    @Test("each declared limit refuses a configuration past it, naming the limit")
    func limits() {
        Self.expectRefused(Self.configuration(embedDim: 1 << 40), naming: "embed_dim = \(1 << 40) exceeds the limit of \(CLIPConfiguration.Limits.width)")
        Self.expectRefused(Self.configuration(width: 32_768), naming: "vision_cfg.width = 32768 exceeds the limit of 16384")
        Self.expectRefused(Self.configuration(layers: 1_000), naming: "vision_cfg.layers = 1000 exceeds the limit of 256")
        Self.expectRefused(Self.configuration(imageSize: 8_192), naming: "image_size = 8192 exceeds the limit of 4096")
        Self.expectRefused(Self.configuration(imageSize: 4_096, patch: 1), naming: "4096 patches per side")
        Self.expectRefused(Self.configuration(context: 100_000), naming: "context_length = 100000 exceeds the limit of 16384")
        Self.expectRefused(Self.configuration(vocabulary: 20_000_000), naming: "vocab_size = 20000000 exceeds the limit of 10000000")
        Self.expectRefused(Self.configuration(width: 16_384, layers: 256), naming: "parameters exceed the limit")
    }

    @Test("architecture inference checks every shape it reads: a scalar where a matrix belongs is an error, not a trap")
    func inferenceShapes() throws {
        let path = temporaryPath("scalar-conv.safetensors").path
        try SafeTensorsWriter.write(["visual.proj": Tensor.zeros([8, 4]), "visual.conv1.weight": Tensor(1)], to: path)
        #expect(throws: ModelError.cannotInferArchitecture(path: path, reason: "tensor 'visual.conv1.weight' has shape []; expected 4 positive dimensions")) {
            _ = try CLIPLoader.load(path: path)
        }
    }
}
