@testable import CLIPModel
import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Model-level fixtures from Scripts/make_checkpoint_fixtures.py: one tiny OpenAI-style model stored
/// as safetensors and as each PyTorch container.
@Suite("Models from PyTorch checkpoints")
struct TorchCheckpointModelTests {
    static let directory = ReferenceData.fixturesDirectory().appendingPathComponent("torch")
    static func fixture(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static let expected = try! SafeTensorsFile(path: fixture("expected.safetensors"))

    static func features(_ loaded: LoadedModel) throws -> (image: Tensor, text: Tensor) {
        let images = try expected.tensor("images")
        let tokens = try expected.tensor("tokens")
        let ids = tokenRows(tokens)
        return try withNoGrad { (try loaded.model.encodeImage(images), try loaded.model.encodeText(ids)) }
    }

    @Test("each checkpoint gives exactly the embeddings of the safetensors form of its weights", arguments: [
        ("state_dict_f32.pt", "weights_f32.safetensors", "F32"),
        ("state_dict_f16.pth", "weights_f16.safetensors", "F16"),
        ("training_bf16.pt", "weights_bf16.safetensors", "BF16"),
        ("openai_torchscript.pt", "weights_f16.safetensors", "F16"),
    ])
    func sameAsSafeTensors(_ checkpoint: String, _ safetensors: String, _ storedType: String) throws {
        let fromPickle = try CLIPLoader.load(path: Self.fixture(checkpoint))
        let fromSafeTensors = try CLIPLoader.load(path: Self.fixture(safetensors))
        #expect(fromPickle.layout == .stateDict)
        #expect(fromPickle.storedTypes == [storedType])
        #expect(fromPickle.model.configuration == fromSafeTensors.model.configuration)
        let (pickleImage, pickleText) = try Self.features(fromPickle)
        let (safeImage, safeText) = try Self.features(fromSafeTensors)
        // The same weights through the same code: every bit equal.
        #expect(pickleImage.scalars == safeImage.scalars)
        #expect(pickleText.scalars == safeText.scalars)
    }

    /// As in ModelParityTests: GEMM order moves normalised features by a few 1e-7.
    static let featureTolerance: Float = 1e-5

    @Test("the OpenAI TorchScript archive and the f32 checkpoint match OpenAI's own model", arguments: [
        ("openai_torchscript.pt", "f16"), ("state_dict_f32.pt", "f32"),
    ])
    func matchesOpenAI(_ checkpoint: String, _ prefix: String) throws {
        let (image, text) = try Self.features(try CLIPLoader.load(path: Self.fixture(checkpoint)))
        let imageDifference = maxDifference(l2Normalize(image), l2Normalize(try Self.expected.tensor("\(prefix)/image_features")))
        let textDifference = maxDifference(l2Normalize(text), l2Normalize(try Self.expected.tensor("\(prefix)/text_features")))
        #expect(imageDifference.value <= Self.featureTolerance, "\(imageDifference)")
        #expect(textDifference.value <= Self.featureTolerance, "\(textDifference)")
    }

    @Test("a refused pickle surfaces as unreadable weights, naming the global")
    func refusedPickle() throws {
        let evil = ReferenceData.fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLIPTensorTests/Fixtures/torch/evil_zip.pt").path
        #expect(throws: ModelError.unreadableWeights(.forbiddenPickleGlobal(path: evil, global: "builtins.eval"))) {
            _ = try CLIPLoader.load(path: evil)
        }
    }
}
