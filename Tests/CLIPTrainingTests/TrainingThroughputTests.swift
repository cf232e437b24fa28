import CLIPModel
import CLIPTraining
import Foundation
import Testing

@Suite("Training benchmark")
struct TrainingThroughputTests {
    static func model(context: Int, vocabulary: Int) throws -> CLIP {
        let json = #"{"model_cfg": {"embed_dim": 8, "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 16, "head_width": 8}, "text_cfg": {"context_length": \#(context), "vocab_size": \#(vocabulary), "width": 16, "heads": 2, "layers": 1}}}"#
        return CLIP(try CLIPConfiguration.openCLIP(json: Data(json.utf8), source: "tiny"))
    }

    @Test("configurations with a context of 2 to 5 tokens or a vocabulary of 1 to 3 ids are measured, not a trap (rows were indexed past their end)",
          arguments: [(2, 49_408), (3, 3), (5, 1), (6, 2)])
    func tinyConfigurations(_ context: Int, _ vocabulary: Int) throws {
        let result = try TrainingThroughput.measure(try Self.model(context: context, vocabulary: vocabulary), batchSize: 2, steps: 1, warmupSteps: 0)
        #expect(result.firstLoss.isFinite && result.lastLoss.isFinite)
    }

    @Test("a batch of one, no steps or a negative warm-up are refused with a reason")
    func invalidSettings() throws {
        let model = try Self.model(context: 8, vocabulary: 100)
        for (batch, steps, warmup) in [(1, 1, 0), (2, 0, 0), (2, 1, -1)] {
            #expect(throws: TrainingError.self) { try TrainingThroughput.measure(model, batchSize: batch, steps: steps, warmupSteps: warmup) }
        }
    }
}
