@testable import CLIPModel
import CLIPNN
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

@Suite("Strict checkpoint loading")
struct ModelLoadingTests {
    static let source = ModelCase.fixtures.appendingPathComponent("vit_quickgelu/open_clip/open_clip_model.safetensors").path

    /// The fixture's tensors, changed by `edit`, written as a bare state dict.
    static func editedCheckpoint(_ name: String, _ edit: (inout [String: Tensor]) -> Void) throws -> String {
        let file = try SafeTensorsFile(path: source)
        var tensors = Dictionary(uniqueKeysWithValues: try file.names.map { ($0, try file.tensor($0)) })
        edit(&tensors)
        let path = temporaryPath("clip-\(name).safetensors").path
        try SafeTensorsWriter.write(tensors, to: path)
        return path
    }

    @Test("a missing tensor is named with the shape the model expects")
    func missing() throws {
        let path = try Self.editedCheckpoint("missing") { $0["visual.ln_post.bias"] = nil }
        #expect(throws: ModelError.weightMismatch(path: path, .missingKey("visual.ln_post.bias", expectedShape: [64]))) {
            try CLIPLoader.load(path: path)
        }
    }

    @Test("an unused tensor is named with its shape")
    func extra() throws {
        let path = try Self.editedCheckpoint("extra") { $0["visual.extra_head.weight"] = Tensor.zeros([3, 4]) }
        #expect(throws: ModelError.weightMismatch(path: path, .unexpectedKey("visual.extra_head.weight", shape: [3, 4]))) {
            try CLIPLoader.load(path: path, architecture: nil)
        }
    }

    @Test("a mis-shaped tensor is named with both shapes")
    func misShaped() throws {
        let path = try Self.editedCheckpoint("shape") { $0["ln_final.weight"] = Tensor.zeros([63]) }
        // ln_final's width also decides the inferred text width, so name the architecture explicitly.
        let config = ModelCase.fixtures.appendingPathComponent("vit_quickgelu/open_clip/open_clip_config.json").path
        #expect(throws: ModelError.weightMismatch(path: path, .shapeMismatch("ln_final.weight", expected: [64], found: [63]))) {
            try CLIPLoader.load(path: path, architecture: config)
        }
    }

    @Test("a truncated checkpoint is reported as truncated")
    func truncated() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.source))
        let path = temporaryPath("clip-cut.safetensors").path
        try data.prefix(data.count - 1000).write(to: URL(fileURLWithPath: path))
        #expect {
            try CLIPLoader.load(path: path)
        } throws: { error in
            guard case ModelError.unreadableWeights(.truncatedData(let p, _, _, _)) = error else { return false }
            return p == path
        }
    }

    @Test("paths that are not models, unknown presets and unsupported options are refused")
    func badInputs() throws {
        #expect(throws: ModelError.self) { try CLIPLoader.load(path: "/nonexistent/model") }
        let text = temporaryPath("clip.bin").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: ModelError.self) { try CLIPLoader.load(path: text) }
        #expect(throws: ModelError.self) { try CLIPPresets.configuration(named: "ViT-Z-99") }
        let json = #"{"embed_dim": 8, "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8, "ls_init_value": 0.1}, "text_cfg": {"width": 64, "heads": 1, "layers": 1}}"#
        #expect(throws: ModelError.invalidConfiguration(path: "cfg", reason: "vision_cfg.ls_init_value = 0.1 is not supported")) {
            try CLIPConfiguration.openCLIP(json: Data(json.utf8), source: "cfg")
        }
    }

    @Test("every preset builds, with open_clip's parameter counts for ViT-B-32 and RN50")
    func presets() throws {
        #expect(CLIPPresets.names.count == 24)
        // open_clip: sum(p.numel() for p in create_model('ViT-B-32').parameters()) = 151,277,313;
        // RN50 = 102,007,137 (BatchNorm statistics are buffers, not parameters).
        #expect(CLIP(try CLIPPresets.configuration(named: "ViT-B-32")).parameterCount == 151_277_313)
        #expect(CLIP(try CLIPPresets.configuration(named: "RN50")).parameterCount == 102_007_137)
    }

    @Test("model inputs of the wrong size or vocabulary are refused")
    func badModelInputs() throws {
        let model = try ModelCase.all[0].load().model
        #expect(throws: ModelError.imageSizeMismatch(expected: 32, found: [1, 3, 16, 16])) {
            try model.encodeImage(Tensor.zeros([1, 3, 16, 16]))
        }
        #expect(throws: ModelError.tokenOutOfRange(id: 49406, vocabularySize: 500)) { try model.encodeText([[49406, 1, 49407]]) }
        #expect(throws: ModelError.sequenceTooLong(length: 20, contextLength: 16)) { try model.encodeText([[Int](repeating: 1, count: 20)]) }
    }
}
