@testable import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// One model fixture made by Scripts/make_model_fixtures.py, in one layout.
struct ModelCase: CustomStringConvertible, Sendable {
    let family: String
    let layout: CheckpointLayout
    /// Where the expected outputs are stored in expected.safetensors.
    let expectedPrefix: String
    var description: String { "\(family) \(layout.rawValue)" }

    static let all: [ModelCase] = [
        ModelCase(family: "vit_quickgelu", layout: .openCLIP, expectedPrefix: "vit_quickgelu/open_clip"),
        ModelCase(family: "vit_quickgelu", layout: .huggingFace, expectedPrefix: "vit_quickgelu/hugging_face"),
        ModelCase(family: "vit_quickgelu", layout: .stateDict, expectedPrefix: "vit_quickgelu/open_clip"),
        ModelCase(family: "vit_quickgelu_f16", layout: .openCLIP, expectedPrefix: "vit_quickgelu_f16/open_clip"),
        ModelCase(family: "vit_gelu", layout: .openCLIP, expectedPrefix: "vit_gelu/open_clip"),
        ModelCase(family: "vit_gelu", layout: .huggingFace, expectedPrefix: "vit_gelu/hugging_face"),
        ModelCase(family: "vit_gelu", layout: .stateDict, expectedPrefix: "vit_gelu/open_clip"),
        ModelCase(family: "resnet", layout: .openCLIP, expectedPrefix: "resnet/open_clip"),
        ModelCase(family: "resnet", layout: .stateDict, expectedPrefix: "resnet/open_clip"),
    ]

    static var fixtures: URL { ReferenceData.fixturesDirectory() }

    /// Loads the model. The bare state-dict layout is the open_clip weights file on its own (the
    /// file open_clip writes is exactly a state dict); the GELU family names its architecture,
    /// since the activation cannot be inferred from weights.
    func load() throws -> LoadedModel {
        let openCLIP = Self.fixtures.appendingPathComponent("\(family)/open_clip")
        switch layout {
        case .openCLIP:
            return try CLIPLoader.load(path: openCLIP.path)
        case .huggingFace:
            return try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("\(family)/hugging_face").path)
        case .stateDict:
            let copy = temporaryPath("clip-\(family).safetensors")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: openCLIP.appendingPathComponent("open_clip_model.safetensors"), to: copy)
            let architecture = family == "vit_gelu" ? openCLIP.appendingPathComponent("open_clip_config.json").path : nil
            return try CLIPLoader.load(path: copy.path, architecture: architecture)
        }
    }
}

@Suite("Models match open_clip and transformers")
struct ModelParityTests {
    /// Float32 GEMMs in a different order than torch's (BLAS blocking, fused bias) move features by
    /// a few 1e-7 relative; after L2 normalisation 1e-5 absolute is an order of magnitude above that
    /// and far below any real mistake (a wrong activation moves them by 1e-2).
    static let featureTolerance: Float = 1e-5
    /// Logits are cosines times exp(logit_scale) = 14.3, so the same tolerance scales by that.
    static let logitTolerance: Float = 1e-5 * 14.3

    static let expected = try! SafeTensorsFile(path: ModelCase.fixtures.appendingPathComponent("expected.safetensors").path)

    @Test("normalised features and logits equal the reference", arguments: ModelCase.all)
    func parity(_ testCase: ModelCase) throws {
        let loaded = try testCase.load()
        #expect(loaded.layout == testCase.layout)
        let images = try Self.expected.tensor("\(testCase.expectedPrefix)/images")
        let tokens = try Self.expected.tensor("\(testCase.expectedPrefix)/tokens")
        let rows = tokens.shape[0], length = tokens.shape[1]
        let ids = (0..<rows).map { row in (0..<length).map { Int(tokens[row, $0]) } }
        let (imageFeatures, textFeatures) = try withNoGrad {
            (try loaded.model.encodeImage(images), try loaded.model.encodeText(ids))
        }
        let expectedImage = try Self.expected.tensor("\(testCase.expectedPrefix)/image_features")
        let expectedText = try Self.expected.tensor("\(testCase.expectedPrefix)/text_features")
        let imageDifference = maxDifference(l2Normalize(imageFeatures), l2Normalize(expectedImage))
        let textDifference = maxDifference(l2Normalize(textFeatures), l2Normalize(expectedText))
        #expect(imageDifference.value <= Self.featureTolerance, "image features: \(imageDifference)")
        #expect(textDifference.value <= Self.featureTolerance, "text features: \(textDifference)")
        let logits = withNoGrad { loaded.model.logits(imageFeatures: imageFeatures, textFeatures: textFeatures) }
        let logitDifference = maxDifference(logits, try Self.expected.tensor("\(testCase.expectedPrefix)/logits_per_image"))
        #expect(logitDifference.value <= Self.logitTolerance, "logits: \(logitDifference)")
    }

    @Test("truncating the text batch at its longest end token changes nothing")
    func endTokenTruncation() throws {
        let loaded = try ModelCase.all[0].load()
        let ids = [[498, 17, 99, 499] + [Int](repeating: 0, count: 12)]
        let padded = ids[0].enumerated().map { $0.offset < 4 ? $0.element : Int.random(in: 1..<498) }
        let (a, b) = try withNoGrad { (try loaded.model.encodeText(ids), try loaded.model.encodeText([padded])) }
        #expect(maxDifference(a, b).value == 0)
    }
}
