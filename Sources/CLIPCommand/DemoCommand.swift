import ArgumentParser
import CLIPEvaluation
import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTraining
import Foundation

/// `clip demo`: the whole pipeline in a few minutes on data it generates itself.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a shapes dataset, train a small CLIP on it, then classify and retrieve held-out images.")

    @Option(help: "Folder for the generated data, the run and its checkpoints.")
    var output = "demo-run"

    @Option(help: "Training steps (batches of 64).")
    var steps = 800

    @Option(help: "Seed for the data, the initialisation and the training order.")
    var seed: UInt64 = 1

    static let modelConfig = #"{"embed_dim": 64, "vision_cfg": {"image_size": 48, "layers": 2, "width": 128, "patch_size": 8, "head_width": 32}, "text_cfg": {"context_length": 24, "vocab_size": 49408, "width": 128, "heads": 4, "layers": 2}}"#

    func run() throws {
        let root = URL(fileURLWithPath: output)
        let data = root.appendingPathComponent("data")
        var clock = Date()
        func lap() -> String { defer { clock = Date() }; return String(format: "%.1f s", Date().timeIntervalSince(clock)) }

        print("1. Generating 4,000 training and 400 held-out images of coloured shapes with captions…")
        let train = try SyntheticShapes.write(count: 4000, seed: seed, to: data, name: "train")
        let heldOut = try SyntheticShapes.write(count: 400, seed: seed &+ 1_000_003, to: data, name: "heldout")
        print("   \(data.path) (\(lap()))")

        print("2. Training a \(Self.describe()) CLIP from scratch for \(steps) steps of 64…")
        let configFile = root.appendingPathComponent("model_config.json")
        try Data(Self.modelConfig.utf8).write(to: configFile)
        let loaded = try TrainCommand.fresh(configFile.path, seed: seed)
        var options = TrainingOptions(batchSize: 64)
        options.steps = steps
        options.learningRate = 1e-3
        options.warmup = 50
        options.weightDecay = 0.1
        options.seed = seed
        let batches = try TrainingBatches(data: try CaptionedImages.open(train.path), batchSize: 64, shuffle: true, seed: seed,
                                          augmentation: .standard, preprocessor: loaded.preprocessor, tokenizer: try loaded.makeTokenizer())
        let runFolder = root.appendingPathComponent("run")
        try? FileManager.default.removeItem(at: runFolder)
        let trainer = try Trainer(loaded: loaded, batches: batches, options: options, output: runFolder)
        var losses: [Float] = []
        let isTerminal = isatty(STDERR_FILENO) == 1
        try trainer.run { record in
            losses.append(record.loss)
            if isTerminal || record.step % 100 == 0 || record.step == steps {
                let line = String(format: "   step %d/%d  loss %.3f  %.0f samples/s", record.step, steps, record.loss, record.samplesPerSecond)
                FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + line + (isTerminal ? "" : "\n")).utf8))
            }
        }
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let mean = { (values: ArraySlice<Float>) in values.reduce(0, +) / Float(max(values.count, 1)) }
        print(String(format: "   loss %.3f → %.3f; checkpoint %@ (%@)", mean(losses.prefix(20)), mean(losses.suffix(20)),
                     trainer.checkpointFolder.path, lap()))

        print("3. Zero-shot on the held-out images (the model never saw them):")
        let trained = try CLIPLoader.load(path: trainer.checkpointFolder.path)
        let table = try DelimitedTable(path: heldOut.path)
        let folder = heldOut.deletingLastPathComponent()
        let paths = table.rows.map { folder.appendingPathComponent($0.fields[0]).path }
        let colourNames = SyntheticShapes.colours.map(\.name)
        // Colour classes carry their article ("an orange"), so that the prompts read "an orange circle.".
        for (column, names, classes, templates) in [
            (2, SyntheticShapes.shapes, SyntheticShapes.shapes, colourNames.map { "\(SyntheticShapes.article($0)) \($0) {}." }),
            (3, colourNames, colourNames.map { "\(SyntheticShapes.article($0)) \($0)" }, SyntheticShapes.shapes.map { "{} \($0)." }),
        ] {
            let samples = table.rows.enumerated().map { ClassificationDataset.Sample(path: paths[$0.offset], label: names.firstIndex(of: $0.element.fields[column])!) }
            let dataset = ClassificationDataset(source: heldOut.path, classNames: classes, samples: samples)
            let result = try ZeroShotEvaluation.run(loaded: trained, modelName: "demo", dataset: dataset,
                                                    templates: try PromptTemplates(name: "demo", templates: templates), cacheDirectory: nil)
            print(String(format: "   %@ (%d classes, chance %.0f%%): top-1 %.1f%%", column == 2 ? "shape" : "colour", classes.count,
                         100.0 / Double(classes.count), result.report.metrics["acc1"]! * 100))
        }

        print("4. Text → image retrieval among the held-out images (top 3 by cosine, with their captions):")
        let features = try ImageFeatureExtractor(loaded: trained, batchSize: 64).extract(paths).features
        let imageMatrix = withNoGrad { l2Normalize(Tensor(shape: [paths.count, trained.model.configuration.embedDim], scalars: features.flatMap { $0! })) }
        let tokenizer = try trained.makeTokenizer()
        for query in ["a red circle.", "two blue squares.", "a yellow triangle at the top.", "an orange cross."] {
            let text = try withNoGrad { try trained.model.encodeText([tokenizer.tokenize(query)], normalize: true) }
            let scores = withNoGrad { matmul(text, imageMatrix, transposeB: true) }.scalars
            let best = ZeroShotClassifier.topIndices(scores, 3)
            print("   \"\(query)\"")
            for index in best { print(String(format: "      %.3f  %@  (%@)", scores[index], table.rows[index].fields[1], table.rows[index].fields[0])) }
        }
        print("   (\(lap()))")
    }

    static func describe() -> String {
        guard let configuration = try? CLIPConfiguration.openCLIP(json: Data(modelConfig.utf8), source: "demo") else { return "small" }
        let parameters = CLIP(configuration).parameterCount
        return String(format: "%.1fM-parameter", Double(parameters) / 1e6)
    }
}
