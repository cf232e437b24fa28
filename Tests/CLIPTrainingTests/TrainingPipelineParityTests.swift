import CLIPModel
import CLIPNN
import CLIPTensor
import CLIPTestSupport
import CLIPTraining
import Foundation
import Testing

/// The whole training path from files (`clip train --augment none --no-shuffle`): PNG images and a
/// TSV decoded, preprocessed and tokenized by the trainer's data pipeline, one Trainer step, against
/// open_clip's step on the same files (Scripts/make_training_fixtures.py `pipeline`).
@Suite("One training step from files equals open_clip's")
struct TrainingPipelineParityTests {
    @Test("batch pixels, loss, gradients and weights after the step")
    func stepFromFiles() throws {
        let folder = ReferenceData.fixturesDirectory().appendingPathComponent("pipeline")
        let reference = try SafeTensorsFile(path: folder.appendingPathComponent("step.safetensors").path)
        let output = temporaryPath("clip-pipeline-parity")
        try? FileManager.default.removeItem(at: output)
        defer { try? FileManager.default.removeItem(at: output) }
        let loaded = try CLIPLoader.load(path: try Self.rebuildModel(folder, reference, in: output.appendingPathComponent("model")).path)
        let before = loaded.model.stateDict().mapValues { $0.copied() }
        var options = TrainingOptions(batchSize: 4)
        options.steps = 1
        options.learningRate = 1e-3
        options.warmup = 2
        options.augmentation = .none
        options.shuffle = false
        let data = try CaptionedImages.open(folder.appendingPathComponent("data/train.tsv").path)
        let batches = try TrainingBatches(data: data, options: options, preprocessor: loaded.preprocessor, tokenizer: try loaded.makeTokenizer())
        let (batch, _) = try batches.batch(epoch: 0, startingAt: 0, order: batches.order(epoch: 0))
        let (pixelDifference, pixelDetail) = TrainingStepParityTests.relativeDifference(batch.images, try reference.tensor("images"))
        #expect(pixelDifference <= TrainingStepParityTests.tolerance, "preprocessed batch: \(pixelDetail)")

        var loss: Float = .nan
        var learningRate: Float = .nan
        try Trainer(loaded: loaded, data: data, options: options, output: output.appendingPathComponent("run")).run {
            loss = $0.loss
            learningRate = $0.learningRate
        }
        let expectedLoss = try reference.tensor("loss").item()
        #expect(abs(loss - expectedLoss) <= TrainingStepParityTests.tolerance * max(1, abs(expectedLoss)), "loss \(loss) vs \(expectedLoss)")
        #expect(learningRate == (try reference.tensor("lr").item()))

        let rows = try reference.tensor("token_rows").scalars.map { Int($0) }
        let decay = 1 - learningRate * options.weightDecay
        for (name, parameter) in loaded.model.namedParameters() {
            // The trainer clears gradients when a step starts, so the last step's are still there.
            let gradient = try #require(parameter.wrappedValue.grad, "no gradient for \(name)")
            var actualGradient = gradient, actualAfter = parameter.wrappedValue
            if name == "token_embedding.weight" {
                let unused = Set(0..<gradient.shape[0]).subtracting(rows).sorted()
                let weights = parameter.wrappedValue.gatheringRows(unused), old = before[name]!.gatheringRows(unused)
                #expect(gradient.gatheringRows(unused).scalars.allSatisfy { $0 == 0 }, "rows no caption uses have no gradient")
                #expect(maxDifference(weights, old * decay).value <= TrainingStepParityTests.weightTolerance, "unused rows are only decayed")
                actualGradient = gradient.gatheringRows(rows)
                actualAfter = parameter.wrappedValue.gatheringRows(rows)
            }
            let (gradientDifference, gradientDetail) = TrainingStepParityTests.relativeDifference(actualGradient, try reference.tensor("grad/\(name)"))
            #expect(gradientDifference <= TrainingStepParityTests.tolerance, "gradient of \(name): \(gradientDetail)")
            let expectedGradient = try reference.tensor("grad/\(name)").scalars
            let gradientScale = max(1, expectedGradient.map(abs).max() ?? 0)
            let expectedAfter = try reference.tensor("after/\(name)").scalars
            let scale = max(1, expectedAfter.map(abs).max() ?? 0)
            for (index, (actual, expected)) in zip(actualAfter.scalars, expectedAfter).enumerated() {
                // A gradient that is zero to the precision compared (attention key biases: softmax ignores a
                // shift of every score) is float noise in both, and Adam's first step moves by lr · g/(|g| + ε),
                // anything up to lr: there only that bound holds.
                let isNoise = abs(expectedGradient[index]) <= TrainingStepParityTests.tolerance * gradientScale
                let allowed = isNoise ? learningRate * (1 + TrainingStepParityTests.tolerance) : TrainingStepParityTests.weightTolerance * scale
                #expect(abs(actual - expected) <= allowed, "\(name)[\(index)] after the step: \(actual) vs \(expected)")
            }
        }
        // The checkpoint the step wrote holds those weights.
        let saved = try CLIPLoader.load(path: output.appendingPathComponent("run/checkpoints/step_000001").path).model.stateDict()
        for (name, tensor) in loaded.model.stateDict() { #expect(saved[name]?.scalars == tensor.scalars, "checkpoint \(name)") }
    }

    /// The fixture's model with its token embedding rebuilt: zero except the rows the captions use,
    /// which the fixture stores alone (a full [49408, 8] table would be most of its size).
    static func rebuildModel(_ folder: URL, _ reference: SafeTensorsFile, in target: URL) throws -> URL {
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let stored = try SafeTensorsFile(path: folder.appendingPathComponent("open_clip_model.safetensors").path)
        var tensors = Dictionary(uniqueKeysWithValues: try stored.names.map { ($0, try stored.tensor($0)) })
        let rows = try reference.tensor("token_rows").scalars.map { Int($0) }
        let values = try reference.tensor("token_embedding_rows")
        let width = values.shape[1]
        var table = [Float](repeating: 0, count: 49408 * width)
        for (index, row) in rows.enumerated() {
            for column in 0..<width { table[row * width + column] = values[index, column] }
        }
        tensors["token_embedding.weight"] = Tensor(shape: [49408, width], scalars: table)
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: target.appendingPathComponent("open_clip_model.safetensors").path)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("open_clip_config.json"),
                                         to: target.appendingPathComponent("open_clip_config.json"))
        return target
    }
}
