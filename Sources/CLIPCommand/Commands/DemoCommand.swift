import ArgumentParser
import CLIPEvaluation
import CLIPModel
import CLIPTensor
import CLIPTokenizer
import CLIPTraining
import Foundation

/// `clip demo`: the whole pipeline in a few minutes on data it generates itself.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a shapes dataset, train a small CLIP on it, then classify and retrieve held-out images.",
        discussion: "What it does goes to standard error as it happens; the results (accuracies, retrievals) to standard output.")

    @Option(help: ArgumentHelp("Folder for the generated data, the run and its checkpoints.", valueName: "dir"))
    var outputDir = "demo-run"

    @Option(help: "Training steps (batches of 64).")
    var steps = 800

    @Option(help: "Training images to generate (400 more are held out).")
    var trainImages = 4000

    @Option(help: "Seed for the data, the initialisation and the training order.")
    var seed: UInt64 = 1

    @OptionGroup var report: ReportOptions

    static let modelConfig = #"{"embed_dim": 64, "vision_cfg": {"image_size": 48, "layers": 2, "width": 128, "patch_size": 8, "head_width": 32}, "text_cfg": {"context_length": 24, "vocab_size": 49408, "width": 128, "heads": 4, "layers": 2}}"#
    static let batchSize = 64
    static let heldOutImages = 400
    static let queries = ["a red circle.", "two blue squares.", "a yellow triangle at the top.", "an orange cross."]

    func validate() throws {
        guard steps >= 1, trainImages >= Self.batchSize else { throw ValidationError("--steps must be ≥ 1 and --train-images ≥ \(Self.batchSize)") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: outputDir)
        let data = root.appendingPathComponent("data")
        StandardStreams.printDiagnostic("1. Generating \(trainImages) training and \(Self.heldOutImages) held-out images of coloured shapes with captions in \(data.path)")
        let train = try SyntheticShapes.write(count: trainImages, seed: seed, to: data, name: "train")
        let heldOut = try SyntheticShapes.write(count: Self.heldOutImages, seed: seed &+ 1_000_003, to: data, name: "heldout")

        let configFile = root.appendingPathComponent("model_config.json")
        try Data(Self.modelConfig.utf8).write(to: configFile)
        let loaded = try LoadedModel.randomlyInitialized(configFile.path, seed: seed)
        StandardStreams.printDiagnostic(String(format: "2. Training a %.1fM-parameter CLIP from scratch for %d steps of %d", Double(loaded.model.parameterCount) / 1e6, steps, Self.batchSize))
        var options = TrainingOptions(batchSize: Self.batchSize)
        options.steps = steps
        options.learningRate = 1e-3
        options.warmup = 50
        options.weightDecay = 0.1
        options.seed = seed
        let runFolder = root.appendingPathComponent("run")
        try? FileManager.default.removeItem(at: runFolder)
        let trainer = try Trainer(loaded: loaded, data: try CaptionedImages.open(train.path), options: options, output: runFolder)
        var losses: [Float] = []
        let started = Date()
        try trainer.run { record in
            losses.append(record.loss)
            ProgressRenderer.shared.update("   training", record.step, trainer.totalSteps, detail: String(format: "loss %.3f", record.loss))
        }
        let trainingSeconds = Date().timeIntervalSince(started)

        StandardStreams.printDiagnostic("3. Zero-shot classification and text → image retrieval on the held-out images")
        let trained = try CLIPLoader.load(path: trainer.checkpointFolder.path)
        let heldOutSet = try HeldOutShapes(table: heldOut)
        let mean = { (values: ArraySlice<Float>) in values.reduce(0, +) / Float(max(values.count, 1)) }
        try report.emit(DemoReport(
            steps: steps, trainingSeconds: trainingSeconds, lossFirst: mean(losses.prefix(20)), lossLast: mean(losses.suffix(20)),
            checkpoint: trainer.checkpointFolder.path,
            zeroShot: try heldOutSet.zeroShot(trained),
            retrieval: try heldOutSet.retrieve(Self.queries, with: trained)))
    }
}

/// The held-out shapes: zero-shot accuracy on shape and colour, and retrieval by caption.
struct HeldOutShapes {
    let table: DelimitedTable
    let paths: [String]

    init(table file: URL) throws {
        table = try DelimitedTable(path: file.path)
        let folder = file.deletingLastPathComponent()
        paths = table.rows.map { folder.appendingPathComponent($0.fields[0]).path }
    }

    /// Shape classes prompted with every colour, and colour classes prompted with every shape.
    func zeroShot(_ model: LoadedModel) throws -> [DemoReport.ZeroShot] {
        let colourNames = SyntheticShapes.colours.map(\.name)
        // Colour classes carry their article ("an orange"), so that the prompts read "an orange circle.".
        let tasks = [
            ("shape", 2, SyntheticShapes.shapes, SyntheticShapes.shapes, colourNames.map { "\(SyntheticShapes.article($0)) \($0) {}." }),
            ("colour", 3, colourNames, colourNames.map { "\(SyntheticShapes.article($0)) \($0)" }, SyntheticShapes.shapes.map { "{} \($0)." }),
        ]
        return try tasks.map { task, column, names, classes, templates in
            let samples = try table.rows.enumerated().map { offset, row in
                guard let label = names.firstIndex(of: row.fields[column]) else {
                    throw CommandError("\(table.path):\(row.line): unknown \(task) '\(row.fields[column])'")
                }
                return ClassificationDataset.Sample(path: paths[offset], label: label)
            }
            let dataset = ClassificationDataset(source: table.path, classNames: classes, samples: samples)
            let result = try ZeroShotEvaluation.run(loaded: model, modelName: "demo", dataset: dataset,
                                                    templates: try PromptTemplates(name: "demo", templates: templates), cacheDirectory: nil)
            return DemoReport.ZeroShot(task: task, classes: classes.count, top1: result.report.metrics["acc1"] ?? 0)
        }
    }

    /// The three held-out images closest to each query.
    func retrieve(_ queries: [String], with model: LoadedModel) throws -> [DemoReport.Retrieval] {
        let width = model.model.configuration.embedDim
        let images = try model.imageFeatures(paths, batchSize: 64, normalize: true)
        let matrix = Tensor(shape: [paths.count, width], scalars: images.flatMap { $0 })
        let texts = try model.textFeatures(queries, normalize: true)
        return zip(queries, texts).map { query, text in
            let scores = withNoGrad { matmul(Tensor(shape: [1, width], scalars: text), matrix, transposeB: true) }.scalars
            let best = ZeroShotClassifier.topIndices(scores, 3).map {
                DemoReport.Retrieval.Match(score: scores[$0], caption: table.rows[$0].fields[1], file: table.rows[$0].fields[0])
            }
            return DemoReport.Retrieval(query: query, matches: best)
        }
    }
}

/// What `clip demo` found.
struct DemoReport: Report {
    struct ZeroShot: Encodable {
        let task: String
        let classes: Int
        let top1: Double
    }

    struct Retrieval: Encodable {
        struct Match: Encodable {
            let score: Float
            let caption: String
            let file: String
        }

        let query: String
        let matches: [Match]
    }

    let steps: Int
    let trainingSeconds: Double
    let lossFirst: Float
    let lossLast: Float
    let checkpoint: String
    let zeroShot: [ZeroShot]
    let retrieval: [Retrieval]

    enum CodingKeys: String, CodingKey {
        case steps, checkpoint, retrieval
        case trainingSeconds = "training_seconds", lossFirst = "loss_first", lossLast = "loss_last", zeroShot = "zero_shot"
    }

    var text: String {
        var lines = [String(format: "Trained %d steps in %.0f s: loss %.3f → %.3f; checkpoint %@", steps, trainingSeconds, lossFirst, lossLast, checkpoint),
                     "Zero-shot on the held-out images (the model never saw them):"]
        for task in zeroShot {
            lines.append(String(format: "   %@ (%d classes, chance %.0f%%): top-1 %.1f%%", task.task, task.classes, 100.0 / Double(task.classes), task.top1 * 100))
        }
        lines.append("Text → image retrieval among the held-out images (top 3 by cosine, with their captions):")
        for query in retrieval {
            lines.append("   \"\(query.query)\"")
            for match in query.matches { lines.append(String(format: "      %.3f  %@  (%@)", match.score, match.caption, match.file)) }
        }
        return lines.joined(separator: "\n")
    }
}
