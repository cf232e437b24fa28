import CLIPModel
import CLIPNN
import CLIPOptim
import CLIPTensor
import CLIPTestSupport
import CLIPTraining
import Foundation
import Testing

@Suite("LoRA fine-tuning", .serialized)
struct LoRATests {
    static let fixtures = ReferenceData.fixturesDirectory()

    /// Scripts/make_training_fixtures.py `lora`: one step with adapters written as torch
    /// parametrizations on open_clip's model.
    @Test("loss, adapter gradients, adapters after one AdamW step and merged weights equal torch's")
    func parity() throws {
        let reference = try SafeTensorsFile(path: Self.fixtures.appendingPathComponent("lora/step.safetensors").path)
        let model = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("clip").path).model
        let base = model.stateDict().mapValues { $0.copied() }
        model.prepareForTraining()
        let adapters = try model.attachLowRankAdapters(LoRAOptions(rank: 2, alpha: 4), seed: 1)
        #expect(adapters.count == 8)
        let named = adapters.flatMap(\.namedParameters)
        for (name, parameter) in named { parameter.wrappedValue.assign(try reference.tensor("init/\(name)")) }

        let images = try reference.tensor("images")
        let tokenValues = try reference.tensor("tokens")
        let tokens = tokenRows(tokenValues)
        let loss = ContrastiveLoss.clip(imageFeatures: try model.encodeImage(images, normalize: true),
                                        textFeatures: try model.encodeText(tokens, normalize: true), scale: exp(model.logitScale))
        let (lossDifference, lossDetail) = TrainingStepParityTests.relativeDifference(loss, try reference.tensor("loss"))
        #expect(lossDifference <= TrainingStepParityTests.tolerance, "loss: \(lossDetail)")
        loss.backward()
        for (name, parameter) in model.namedParameters() { #expect(parameter.wrappedValue.grad == nil, "\(name) is frozen") }
        for (name, parameter) in named {
            let gradient = try #require(parameter.wrappedValue.grad, "no gradient for \(name)")
            let (difference, detail) = TrainingStepParityTests.relativeDifference(gradient, try reference.tensor("grad/\(name)"))
            #expect(difference <= TrainingStepParityTests.tolerance, "gradient of \(name): \(detail)")
        }

        let groups = ParameterGroups.openCLIP(model.namedParameters() + named, weightDecay: 0.2)
        #expect(groups[0].names.isEmpty && groups[1].names.count == named.count)
        let optimizer = AdamW(groups: groups, learningRate: try reference.tensor("lr").item())
        optimizer.step()
        for (name, parameter) in named {
            let (difference, detail) = TrainingStepParityTests.relativeDifference(parameter.wrappedValue, try reference.tensor("after/\(name)"))
            #expect(difference <= TrainingStepParityTests.weightTolerance, "\(name) after the step: \(detail)")
        }
        for (name, tensor) in model.stateDict() { #expect(tensor.scalars == base[name]!.scalars, "base weight \(name) must not move") }

        let merged = model.withMergedAdapters { model.stateDict() }
        for attached in adapters {
            let (difference, detail) = TrainingStepParityTests.relativeDifference(merged[attached.weightName]!,
                                                                                 try reference.tensor("merged/\(attached.weightName)"))
            #expect(difference <= TrainingStepParityTests.weightTolerance, "merged \(attached.weightName): \(detail)")
        }
        // The merge is undone afterwards: base weights and adapters are back.
        #expect(model.lowRankAdapters.count == 8)
        for (name, tensor) in model.stateDict() { #expect(tensor.scalars == base[name]!.scalars, "\(name) restored") }
    }

    @Test("new adapters start at the base model (B = 0) and leave the state dict's names alone")
    func freshAdaptersChangeNothing() throws {
        let model = try CLIPLoader.load(path: Self.fixtures.appendingPathComponent("clip").path).model
        let tokens = [[498, 5, 9, 499] + [Int](repeating: 0, count: 12)]
        let images = Tensor.normal([1, 3, 32, 32], seed: 4)
        let before = (try model.encodeImage(images).scalars, try model.encodeText(tokens).scalars)
        let names = model.stateDict().keys.sorted()
        try model.attachLowRankAdapters(LoRAOptions(rank: 4, towers: .text), seed: 2)
        #expect(model.lowRankAdapters.allSatisfy { !$0.name.hasPrefix("visual.") } && model.lowRankAdapters.count == 4)
        #expect(try model.encodeImage(images).scalars == before.0)
        // Trainable adapters make activations record gradients, so the few-row text products leave the
        // packed inference kernel for the general GEMM: equal to rounding, not bitwise.
        expectClose(try model.encodeText(tokens).scalars, before.1, tolerance: 1e-6)
        #expect(model.stateDict().keys.sorted() == names)
        #expect(throws: TrainingError.self) { try model.attachLowRankAdapters(LoRAOptions(rank: 4), seed: 2) }
        #expect(throws: TrainingError.self) { try CLIP(model.configuration).attachLowRankAdapters(LoRAOptions(rank: 0), seed: 2) }
    }

    @Test("a LoRA run trains only adapters, saves merged weights, and resumes exactly on its base model")
    func trainAndResume() throws {
        let root = temporaryDirectory("lora-" + "lora")
        let data = try TrainerTests.dataset(in: root)
        func trainer(_ loaded: LoadedModel, output: String, resume: URL? = nil, lora: LoRAOptions? = LoRAOptions(rank: 2, alpha: 8, dropout: 0.25)) throws -> Trainer {
            let trainer = try TrainerTests.trainer(loaded, data: data, output: root.appendingPathComponent(output), resume: resume, lora: lora)
            trainer.baseModel = "test base"
            return trainer
        }
        let base = try TrainerTests.freshModel()
        let baseWeights = base.model.stateDict().mapValues { $0.copied() }
        let loadedEmbedding = base.model.stateDict()["token_embedding.weight"]!
        var uninterrupted: [Float] = []
        try trainer(base, output: "a").run { uninterrupted.append($0.loss) }
        #expect(base.model.stateDict()["token_embedding.weight"]! === loadedEmbedding, "frozen weights are used as loaded, not copied")
        for (name, tensor) in base.model.stateDict() { #expect(tensor.scalars == baseWeights[name]!.scalars, "\(name) must stay frozen") }

        let checkpoint = root.appendingPathComponent("a/checkpoints/step_000003")
        let saved = try CLIPLoader.load(path: checkpoint.path).model.stateDict()
        #expect(saved.keys.sorted() == baseWeights.keys.sorted())
        let adapted = Set(base.model.lowRankAdapters.map(\.weightName))
        #expect(adapted.count == 3 * 4)   // two image blocks and one text block
        for (name, tensor) in saved {
            let moved = maxDifference(tensor, baseWeights[name]!).value > 0
            #expect(moved == adapted.contains(name), "\(name): merged weights differ exactly where adapters are")
        }

        var resumed: [Float] = []
        let resumedBase = try TrainerTests.freshModel()
        try trainer(resumedBase, output: "b", resume: checkpoint).run { resumed.append($0.loss) }
        #expect(resumed == Array(uninterrupted[3...]))
        #expect(try TrainingCheckpoint.readState(checkpoint).baseModel == "test base")

        let otherBase = try TrainerTests.freshModel()
        ModelInitializer.initialize(otherBase.model, seed: 77)
        #expect(throws: TrainingError.self) { _ = try trainer(otherBase, output: "c", resume: checkpoint) }
        #expect(throws: TrainingError.self) { _ = try trainer(try TrainerTests.freshModel(), output: "d", resume: checkpoint, lora: nil) }
    }
}
