@testable import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

@Suite("Model export")
struct ModelExportTests {
    static let fixtures = ReferenceData.fixturesDirectory()

    static func output(_ name: String) -> String {
        let path = temporaryPath("clip-export-\(name)").path
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    static func tensors(_ loaded: LoadedModel) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: loaded.model.namedParameters().map { ($0.name, $0.parameter.wrappedValue.scalars) })
    }

    @Test("converted directories load back with identical tensors, configuration and preprocessing", arguments: [
        ("torch/state_dict_f32.pt", ExportLayout.openCLIP, SafeTensorsDType.float32),
        ("torch/state_dict_f32.pt", .huggingFace, .float32),
        ("torch/openai_torchscript.pt", .openCLIP, .float16),
        ("torch/training_bf16.pt", .huggingFace, .bfloat16),
        ("vit_gelu/hugging_face", .openCLIP, .float32),
        ("vit_gelu/open_clip", .huggingFace, .float32),
        ("resnet/open_clip", .openCLIP, .float32),
    ])
    func roundTrip(_ source: String, _ layout: ExportLayout, _ dtype: SafeTensorsDType) throws {
        let original = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent(source).path)
        let folder = Self.output("\(source.replacingOccurrences(of: "/", with: "_"))-\(layout.rawValue)")
        try ModelExporter.write(original, layout: layout, to: folder, dtype: dtype)
        let converted = try CLIPLoader.load(path: folder)
        #expect(converted.layout == (layout == .openCLIP ? .openCLIP : .huggingFace))
        #expect(converted.storedTypes == [dtype.rawValue])
        // The MLP width may be spelled as a ratio or as a width; the computed widths must agree.
        func comparable(_ configuration: CLIPConfiguration) -> CLIPConfiguration {
            var copy = configuration
            copy.vision.mlpWidthOverride = configuration.vision.mlpWidth
            copy.vision.mlpRatio = 0
            copy.text.mlpWidthOverride = configuration.text.mlpWidth
            copy.text.mlpRatio = 0
            return copy
        }
        #expect(comparable(converted.model.configuration) == comparable(original.model.configuration))
        #expect(converted.preprocessor.size == original.preprocessor.size)
        #expect(converted.preprocessor.mean == original.preprocessor.mean)
        #expect(converted.preprocessor.standardDeviation == original.preprocessor.standardDeviation)
        #expect(converted.preprocessor.filter == original.preprocessor.filter)
        // Stored in the type the source had (or f32), every tensor comes back bit for bit.
        #expect(Self.tensors(converted) == Self.tensors(original))
        if layout == .huggingFace {
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(files == ["config.json", "merges.txt", "model.safetensors", "preprocessor_config.json",
                              "special_tokens_map.json", "tokenizer_config.json", "vocab.json"])
            let tokenizer = try converted.makeTokenizer()
            let reference = try original.makeTokenizer()
            // The first ids: the Hugging Face layout pads with the end token, open_clip with 0.
            #expect(try tokenizer.tokenize(["a photo of a cat!"])[0].prefix(8) == reference.tokenize(["a photo of a cat!"])[0].prefix(8))
        }
    }

    @Test("what cannot be written is refused and leaves nothing behind")
    func refusals() throws {
        let resnet = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("resnet/open_clip").path)
        let folder = Self.output("resnet-hf")
        #expect {
            try ModelExporter.write(resnet, layout: .huggingFace, to: folder)
        } throws: { error in
            guard case let ModelError.exportFailed(_, reason) = error else { return false }
            return reason.contains("ModifiedResNet")
        }
        #expect(!FileManager.default.fileExists(atPath: folder))
        let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: parent)).contains { $0.contains("resnet-hf.partial") })

        let occupied = Self.output("occupied")
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: occupied).appendingPathComponent("notes.txt"))
        #expect(throws: ModelError.exportFailed(path: occupied, reason: "the output exists and is not empty")) {
            try ModelExporter.write(resnet, layout: .openCLIP, to: occupied)
        }
        #expect(try String(contentsOfFile: occupied + "/notes.txt", encoding: .utf8) == "keep")
    }
}
