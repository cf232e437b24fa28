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
    @Test("200 steps from scratch: the loss falls and zero-shot top-1 clearly beats chance (10%)", .needsReferenceData)
    func digits() throws {
        let train = try ReferenceData.sharedFile("datasets/digits/train.tsv")
        let test = try ReferenceData.sharedFile("datasets/digits/test.tsv")
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
        let output = temporaryPath("clip-digits")
        try? FileManager.default.removeItem(at: output)
        var losses: [Float] = []
        try Trainer(loaded: loaded, data: try CaptionedImages.open(train.path), options: options, output: output).run { losses.append($0.loss) }
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.8 * first, "loss \(first) → \(last)")

        let trained = try CLIPLoader.load(path: output.appendingPathComponent("checkpoints/step_000200").path)
        let dataset = try ClassificationDataset.table(test.path, classNames: try ClassificationDataset.readClassNames(test.deletingLastPathComponent().appendingPathComponent("classes.txt").path))
        let result = try ZeroShotEvaluation.run(loaded: trained, modelName: "digits", dataset: dataset, templates: .standard, cacheDirectory: nil)
        let top1 = result.report.metrics["acc1"]!
        print("digits short run: loss \(first) → \(last), zero-shot top-1 \(top1), top-5 \(result.report.metrics["acc5"]!)")
        #expect(top1 >= 0.3, "top-1 \(top1)")

        // The same model in bf16 and int8: top-1 within half a point, and the same top-1 class for
        // at least 99% of the test images.
        for precision in [ComputePrecision.bf16, .int8] {
            trained.model.setComputePrecision(precision)
            let lowered = try ZeroShotEvaluation.run(loaded: trained, modelName: "digits", dataset: dataset, templates: .standard, cacheDirectory: nil)
            let loweredTop1 = lowered.report.metrics["acc1"]!
            let predictions = Dictionary(uniqueKeysWithValues: result.rankings.map { ($0.sample, $0.classes.first) })
            let agreeing = lowered.rankings.filter { predictions[$0.sample] == $0.classes.first }.count
            let agreement = Double(agreeing) / Double(max(lowered.rankings.count, 1))
            print("digits short run in \(precision.rawValue): zero-shot top-1 \(loweredTop1) (f32 \(top1)), same top-1 class for \(agreeing) of \(lowered.rankings.count)")
            #expect(abs(loweredTop1 - top1) <= 0.005, "\(precision) top-1 \(loweredTop1) against f32 \(top1)")
            #expect(agreement >= 0.99, "\(precision): \(agreement) of top-1 predictions identical")
        }
    }
}
