import CLIPImage
import CLIPModel
import CLIPNN
import CLIPOptim
import CLIPTensor
import CLIPTestSupport
import CLIPTokenizer
import CLIPTraining
import Foundation
import Testing

@Suite("Trainer", .serialized)
struct TrainerTests {
    static let images = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPImageTests/Fixtures/images")


    /// Eight captioned images from the image fixtures, one unreadable row among them.
    static func dataset(in root: URL) throws -> URL {
        let names = ["odd_97x61.png", "square_224.jpg", "rgb_interlaced.png", "lossy.webp", "grey_odd_45x77.png",
                     "odd_333x171.jpg", "palette_4bit.png", "rgba_gradient.png"]
        var table = "filepath\ttitle\n\(root.appendingPathComponent("missing.png").path)\ta picture that is not there\n"
        for (index, name) in names.enumerated() { table += "\(images.appendingPathComponent(name).path)\tpicture number \(index) of \(name)\n" }
        let file = root.appendingPathComponent("train.tsv")
        try Data(table.utf8).write(to: file)
        return file
    }

    static func freshModel() throws -> LoadedModel {
        let json = #"{"embed_dim": 8, "vision_cfg": {"image_size": 32, "layers": 2, "width": 16, "patch_size": 8, "head_width": 8}, "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1}}"#
        let model = CLIP(try CLIPConfiguration.openCLIP(json: Data(json.utf8), source: "test"))
        ModelInitializer.initialize(model, seed: 3)
        return LoadedModel(model: model, layout: .openCLIP, weightsPath: "random", architectureName: nil,
                           preprocessor: ImagePreprocessor(size: 32), vocabulary: try BPEVocabulary.bundled(), storedTypes: [])
    }

    static func trainer(_ loaded: LoadedModel, data: URL, output: URL, resume: URL? = nil, accumulation: Int = 1,
                        lora: LoRAOptions? = nil) throws -> Trainer {
        var options = TrainingOptions(batchSize: 2)
        options.steps = 6
        options.learningRate = 1e-3
        options.warmup = 2
        options.checkpointEvery = 3
        options.seed = 42
        options.accumulation = accumulation
        options.gradientClipNorm = 1
        options.lora = lora
        return try Trainer(loaded: loaded, data: try CaptionedImages.open(data.path), options: options, output: output, resume: resume)
    }

    @Test("features without gradients follow weights the optimizer changed in place (the patch embedding's packed few-row copy)")
    func noGradFeaturesFollowTrainedWeights() throws {
        let model = try Self.freshModel().model
        model.prepareForTraining()
        let image = Tensor.normal([1, 3, 32, 32], seed: 9)   // 16 patches: the few-row products a packed copy serves
        let before = try withNoGrad { try model.encodeImage(image, normalize: true) }.scalars
        let weight = try #require(model.namedParameters().first { $0.name == "visual.conv1.weight" }).parameter.wrappedValue
        weight.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] *= 1.5 } }   // as AdamW updates in place
        let after = try withNoGrad { try model.encodeImage(image, normalize: true) }.scalars
        let recorded = try model.encodeImage(image, normalize: true).scalars
        #expect(after != before)
        for (x, y) in zip(after, recorded) { #expect(abs(x - y) <= 1e-6, "no-grad \(x) against recorded \(y)") }
    }

    @Test("a resumed run continues with exactly the losses of an uninterrupted one")
    func resumeIsExact() throws {
        let root = temporaryDirectory("trainer-" + "resume")
        let data = try Self.dataset(in: root)
        var uninterrupted: [Float] = []
        let first = try Self.trainer(try Self.freshModel(), data: data, output: root.appendingPathComponent("a"))
        try first.run { uninterrupted.append($0.loss) }
        #expect(uninterrupted.count == 6)

        let checkpoint = root.appendingPathComponent("a/checkpoints/step_000003")
        #expect(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("open_clip_model.safetensors").path))
        let resumedModel = try CLIPLoader.load(path: checkpoint.path)
        var resumed: [Float] = []
        let second = try Self.trainer(resumedModel, data: data, output: root.appendingPathComponent("b"), resume: checkpoint)
        try second.run { resumed.append($0.loss) }
        #expect(resumed == Array(uninterrupted[3...]))
        // And the final weights are the same too.
        let a = try CLIPLoader.load(path: root.appendingPathComponent("a/checkpoints/step_000006").path).model.stateDict()
        let b = try CLIPLoader.load(path: root.appendingPathComponent("b/checkpoints/step_000006").path).model.stateDict()
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, tensor) in a { #expect(tensor.scalars == b[name]!.scalars, "\(name)") }
        let lines = try String(contentsOf: root.appendingPathComponent("a/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].contains("\"samples_per_second\"") && lines[0].contains("\"logit_scale\"") && lines[0].contains("\"data_wait\""))
    }

    @Test("distillation adds the teacher term: the first loss exceeds the plain CLIP loss of the same step")
    func distillation() throws {
        let root = temporaryDirectory("trainer-" + "distill")
        let data = try Self.dataset(in: root)
        var plain: Float = 0, distilled: Float = 0
        let first = try Self.trainer(try Self.freshModel(), data: data, output: root.appendingPathComponent("plain"))
        try first.run { if $0.step == 1 { plain = $0.loss } }
        let second = try Self.trainer(try Self.freshModel(), data: data, output: root.appendingPathComponent("distilled"))
        let teacher = CLIP(second.loaded.model.configuration)
        ModelInitializer.initialize(teacher, seed: 99)
        try second.distill(from: teacher, featureWeight: 0.5)
        try second.run { if $0.step == 1 { distilled = $0.loss } }
        #expect(distilled.isFinite && distilled > plain, "\(distilled) vs \(plain)")
    }

    @Test("validation runs every N steps and at the end, into metrics.jsonl")
    func validation() throws {
        let root = temporaryDirectory("trainer-" + "validation")
        let data = try Self.dataset(in: root)
        let trainer = try Self.trainer(try Self.freshModel(), data: data, output: root.appendingPathComponent("run"))
        var calls = 0
        trainer.validation = { _ in calls += 1; return ["acc1": Double(calls) / 10] }
        trainer.validationEvery = 4
        try trainer.run()
        #expect(calls == 2)   // step 4 and the end (6)
        let lines = try String(contentsOf: root.appendingPathComponent("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let validations = lines.filter { $0.contains("\"val\"") }
        #expect(validations.count == 2)
        #expect(validations.first?.contains("\"step\":4") == true && validations.last?.contains("\"step\":6") == true)
    }

    @Test("loss falls when a small model fits a small set")
    func learns() throws {
        let root = temporaryDirectory("trainer-" + "learn")
        let data = try Self.dataset(in: root)
        var options = TrainingOptions(batchSize: 4)
        options.steps = 100
        options.learningRate = 1e-3
        options.warmup = 3
        options.weightDecay = 0
        options.augmentation = .none
        options.shuffle = false
        let loaded = try Self.freshModel()
        var losses: [Float] = []
        let trainer = try Trainer(loaded: loaded, data: try CaptionedImages.open(data.path), options: options, output: root.appendingPathComponent("run"))
        try trainer.run { losses.append($0.loss) }
        let end = losses.suffix(4).reduce(0, +) / 4
        // Chance is ln 4 ≈ 1.39 for batches of 4; a model that fits its data goes far below it.
        #expect(end < 0.5 * Float(Foundation.log(4.0)), "losses \(losses)")
        #expect(trainer.progress.skippedSamples > 0)   // the missing image comes first in every epoch
    }

    @Test("accumulation: the loss of K micro-batches of B equals one batch of K·B (same samples)")
    func accumulation() throws {
        let root = temporaryDirectory("trainer-" + "accumulation")
        let data = try Self.dataset(in: root)
        let loaded = try Self.freshModel()
        let weights = loaded.model.stateDict().mapValues { $0.copied() }
        func firstLoss(batchSize: Int, accumulation: Int) throws -> (Float, [String: [Float]]) {
            try loaded.model.load(weights.mapValues { $0.copied() })
            var options = TrainingOptions(batchSize: batchSize)
            options.steps = 1
            options.warmup = 1
            options.accumulation = accumulation
            options.augmentation = .none
            options.shuffle = false
            var loss: Float = 0
            let trainer = try Trainer(loaded: loaded, data: try CaptionedImages.open(data.path), options: options,
                                      output: root.appendingPathComponent("run-\(batchSize)-\(accumulation)"))
            try trainer.run { loss = $0.loss }
            return (loss, loaded.model.stateDict().mapValues(\.scalars))
        }
        let (whole, wholeWeights) = try firstLoss(batchSize: 4, accumulation: 1)
        let (accumulated, accumulatedWeights) = try firstLoss(batchSize: 2, accumulation: 2)
        #expect(abs(whole - accumulated) < 1e-5, "\(whole) vs \(accumulated)")
        for (name, values) in wholeWeights {
            let other = accumulatedWeights[name]!
            if name.hasSuffix("attn.in_proj_bias") {
                // The key bias's gradient is analytically zero, so what it gets is float noise that
                // depends on reduction order, which Adam's first step scales up to at most lr.
                let third = values.count / 3
                expectClose(Array(values[..<third]) + Array(values[(2 * third)...]),
                            Array(other[..<third]) + Array(other[(2 * third)...]), tolerance: 1e-5, "\(name) q, v")
                expectClose(Array(values[third..<(2 * third)]), Array(other[third..<(2 * third)]), tolerance: 5e-4, "\(name) k")
            } else {
                expectClose(values, other, tolerance: 1e-5, name)
            }
        }
    }
}
