import CLIPEvaluation
import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTestSupport
import CLIPTokenizer
import CLIPTraining
import Foundation
import Testing

/// The short version of the digits run (the full one reaches 99% in three minutes; see README):
/// a tiny model trained from scratch on the shared digits captions must learn, and classify the test
/// images zero-shot far better than chance.
@Suite("Training from scratch on the digits")
struct DigitsTrainingTests {
    /// The tiny model trained 200 steps on the digits captions: per-step losses and the checkpoint.
    static func train(mixedPrecision: MixedPrecision? = nil) throws -> (losses: [Float], checkpoint: URL) {
        let train = try ReferenceData.sharedFile("datasets/digits/train.tsv")
        let json = #"{"embed_dim": 32, "vision_cfg": {"image_size": 8, "layers": 1, "width": 32, "patch_size": 2, "head_width": 16}, "text_cfg": {"context_length": 12, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}"#
        let model = CLIP(try CLIPConfiguration.openCLIP(json: Data(json.utf8), source: "digits test"))
        ModelInitializer.initialize(model, seed: 0)
        let loaded = LoadedModel(model: model, layout: .openCLIP, weightsPath: "random", architectureName: nil,
                                 preprocessor: ImagePreprocessor(size: 8), vocabulary: try BPEVocabulary.bundled(), storedTypes: [])
        var options = TrainingOptions(batchSize: 32)
        options.steps = 200
        options.learningRate = 5e-3
        options.warmup = 10
        options.weightDecay = 0.1
        options.augmentation = .none
        options.mixedPrecision = mixedPrecision
        let output = temporaryPath("clip-digits-\(mixedPrecision?.rawValue ?? "f32")")
        try? FileManager.default.removeItem(at: output)
        var losses: [Float] = []
        try Trainer(loaded: loaded, data: try CaptionedImages.open(train.path), options: options, output: output).run { losses.append($0.loss) }
        return (losses, output.appendingPathComponent("checkpoints/step_000200"))
    }

    static func testSet() throws -> ClassificationDataset {
        let test = try ReferenceData.sharedFile("datasets/digits/test.tsv")
        return try ClassificationDataset.table(test.path, classNames: try ClassificationDataset.readClassNames(test.deletingLastPathComponent().appendingPathComponent("classes.txt").path))
    }

    @Test("200 steps from scratch: the loss falls and zero-shot top-1 clearly beats chance (10%); amp_bf16 tracks it", .needsReferenceData)
    func digits() throws {
        let (losses, checkpoint) = try Self.train()
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.8 * first, "loss \(first) → \(last)")

        let trained = try CLIPLoader.load(path: checkpoint.path)
        let dataset = try Self.testSet()
        let result = try ZeroShotEvaluation.run(loaded: trained, modelName: "digits", dataset: dataset, templates: .standard, cacheDirectory: nil)
        let top1 = result.report.metrics["acc1"]!
        print("digits short run: loss \(first) → \(last), zero-shot top-1 \(top1), top-5 \(result.report.metrics["acc5"]!)")
        #expect(top1 >= 0.3, "top-1 \(top1)")

        // The same model in bf16 and int8 keeps its top-1 accuracy and its top-1 class per image. This
        // short run stops at about 56% top-1, where a few test images have near-tied classes: bf16
        // (8-bit mantissa products, f32 sums) keeps 99% of them and top-1 within half a point; int8
        // (weights and activations quantized per row) moves more of those ties, measured 354 of 360
        // kept and top-1 +0.8 points on AVX-512 VNNI, so it gets 97.5% and 1.5 points.
        let tolerances: [ComputePrecision: (top1: Double, agreement: Double)] = [.bf16: (0.005, 0.99), .int8: (0.015, 0.975)]
        for precision in [ComputePrecision.bf16, .int8] {
            let tolerance = tolerances[precision]!
            trained.model.setComputePrecision(precision)
            let lowered = try ZeroShotEvaluation.run(loaded: trained, modelName: "digits", dataset: dataset, templates: .standard, cacheDirectory: nil)
            let loweredTop1 = lowered.report.metrics["acc1"]!
            let predictions = Dictionary(uniqueKeysWithValues: result.rankings.map { ($0.sample, $0.classes.first) })
            let agreeing = lowered.rankings.filter { predictions[$0.sample] == $0.classes.first }.count
            let agreement = Double(agreeing) / Double(max(lowered.rankings.count, 1))
            print("digits short run in \(precision.rawValue): zero-shot top-1 \(loweredTop1) (f32 \(top1)), same top-1 class for \(agreeing) of \(lowered.rankings.count)")
            #expect(abs(loweredTop1 - top1) <= tolerance.top1, "\(precision) top-1 \(loweredTop1) against f32 \(top1)")
            #expect(agreement >= tolerance.agreement, "\(precision): \(agreement) of top-1 predictions identical")
        }

        // amp_bf16 (bf16 products, f32 master weights): the loss curve tracks the f32 run's. This short
        // run stops far from convergence (top-1 near 56%), where a slightly shifted trajectory moves
        // top-1 by a few points; the full run (README) is where it must land within a point.
        let mixed = try Self.train(mixedPrecision: .bf16)
        let drift = zip(mixed.losses, losses).map { abs($0 - $1) / $1 }.max() ?? 0
        let mixedLoaded = try CLIPLoader.load(path: mixed.checkpoint.path)
        let mixedTop1 = try ZeroShotEvaluation.run(loaded: mixedLoaded, modelName: "digits-amp", dataset: dataset, templates: .standard,
                                                   cacheDirectory: nil).report.metrics["acc1"]!
        let mixedLast = mixed.losses.suffix(10).reduce(0, +) / 10
        print("digits short run in amp_bf16: loss → \(mixedLast) (f32 \(last)), largest per-step loss difference \(drift), zero-shot top-1 \(mixedTop1) (f32 \(top1))")
        #expect(abs(mixedLast - last) <= Self.ampFinalLossTolerance * last, "amp_bf16 final loss \(mixedLast) against f32 \(last)")
        #expect(drift <= Self.ampStepLossTolerance, "amp_bf16 per-step loss differs from f32 by up to \(drift)")
        #expect(abs(mixedTop1 - top1) <= Self.ampShortRunTop1Tolerance, "amp_bf16 top-1 \(mixedTop1) against f32 \(top1)")
    }

    /// The last 10 steps' mean loss: within 5% of f32's (measured 1.6%).
    static let ampFinalLossTolerance: Float = 0.05
    /// Any single step's loss (batches of 32, so each is noisy): within 15% of f32's (measured 10%).
    static let ampStepLossTolerance: Float = 0.15
    /// Zero-shot top-1 of the short run: within 6 points (measured 4.2; see the comment above).
    static let ampShortRunTop1Tolerance = 0.06
}
