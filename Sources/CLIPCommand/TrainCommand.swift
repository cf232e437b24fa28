import ArgumentParser
import CLIPEvaluation
import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTokenizer
import CLIPTraining
import Foundation

/// `clip train`: contrastive training from scratch or from a checkpoint, with open_clip's semantics.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune a CLIP model (CLIP or SigLIP loss, AdamW, warmup + cosine), writing open_clip checkpoints.",
        discussion: """
        Start from --model-config (a preset such as ViT-B-32 or an open_clip config JSON, randomly initialised) or \
        --model (any model reference). --train-data is a TSV/CSV (filepath and title columns, paths relative to the \
        file) or a folder of images with .txt captions beside them. Checkpoints go to OUTPUT/checkpoints/step_N \
        (open_clip_config.json, open_clip_model.safetensors, training_state.safetensors); OUTPUT/metrics.jsonl gets \
        one line per step. --resume DIR continues a run exactly where its checkpoint left it.
        """)

    @Option(help: "A preset name or an open_clip model config JSON, for training from scratch.")
    var modelConfig: String?

    @Option(help: "A model to fine-tune: directory, file, Hub repository or ARCH:TAG.")
    var model: String?

    @Option(help: "Training data: a TSV/CSV file, a folder of image + .txt pairs, or webdataset shards (shards-{000..009}.tar).")
    var trainData: String

    @Option(help: "The image column of a table.") var csvImageKey = "filepath"
    @Option(help: "The caption column of a table.") var csvCaptionKey = "title"
    @Option(help: "The table separator (default: tab for .tsv, comma otherwise).") var csvSeparator: String?

    @Option(help: "Samples per micro-batch.") var batchSize: Int
    @Option(help: "Passes over the data (ignored when --steps is given).") var epochs = 1
    @Option(help: "Optimizer steps to run.") var steps: Int?
    @Option(help: "Peak learning rate.") var lr: Float = 5e-4
    @Option(help: "Linear warmup steps.") var warmup = 10_000
    @Option(help: "AdamW weight decay (not applied to gains, biases, logit scale).") var weightDecay: Float = 0.2
    @Option(help: "AdamW β1.") var beta1: Float = 0.9
    @Option(help: "AdamW β2.") var beta2: Float = 0.98
    @Option(help: "AdamW ε.") var eps: Float = 1e-6
    @Option(help: "clip or siglip.") var loss = "clip"
    @Option(help: "Micro-batches per optimizer step; the loss sees all of them.") var accumFreq = 1
    @Option(help: "Clip the gradients' joint 2-norm to this.") var gradClipNorm: Float?
    @Option(help: "default (RandomResizedCrop 0.9–1.0) or none (the inference transform).") var augment = "default"
    @Option(help: "Shuffle the data each epoch (true or false).") var shuffle = "true"
    @Option(help: "Seed for initialisation, shuffling and augmentation.") var seed: UInt64 = 0
    @Flag(help: "Freeze the image tower (LiT).") var lockImage = false
    @Option(help: "With --lock-image: leave this many final layer groups trainable.") var lockImageUnlockedGroups = 0
    @Flag(help: "Freeze the text tower.") var lockText = false
    @Option(help: "Fine-tune with LoRA adapters of this rank (attention in/out projections and MLPs); the rest is frozen.") var loraRank: Int?
    @Option(help: "With --lora-rank: the adapters' output is scaled by alpha / rank (default alpha = rank).") var loraAlpha: Float?
    @Option(help: "With --lora-rank: dropout on the adapters' input.") var loraDropout: Float = 0
    @Option(help: "With --lora-rank: both, image or text.") var loraTowers = "both"
    @Option(help: "Write a checkpoint every this many steps (and at the end).") var saveEvery: Int?
    @Option(help: "Zero-shot validation data: an ImageFolder or a TSV/CSV with filepath and label columns.") var valData: String?
    @Option(help: "Class names for --val-data (one per line); default: the label column's values.") var valClasses: String?
    @Option(help: "Validate every this many steps (and at the end).") var valEvery: Int?
    @Option(help: "A teacher model to distil from (any model reference); its logits become soft targets.") var distill: String?
    @Option(help: "With --distill: weight of a 1 − cos(student, teacher) feature term (0 = off).") var distillFeatureWeight: Float = 0
    @Option(help: "Templates for validation: default, simple or a file.") var valTemplates = "default"
    @Option(help: "The run folder.") var output: String
    @Option(help: "Continue from a checkpoint folder (or a run folder's newest checkpoint).") var resume: String?

    func validate() throws {
        guard (modelConfig == nil) != (model == nil) || resume != nil else {
            throw ValidationError("give exactly one of --model-config and --model (or --resume)")
        }
        guard ["true", "false"].contains(shuffle) else { throw ValidationError("--shuffle must be true or false") }
        guard LossKind(rawValue: loss) != nil else { throw ValidationError("--loss must be clip or siglip") }
        guard LoRAOptions.Towers(rawValue: loraTowers) != nil else { throw ValidationError("--lora-towers must be both, image or text") }
        if loraRank == nil && (loraAlpha != nil || loraDropout != 0 || loraTowers != "both") {
            throw ValidationError("--lora-alpha, --lora-dropout and --lora-towers need --lora-rank")
        }
        if let csvSeparator, csvSeparator.count != 1, csvSeparator != "\\t" { throw ValidationError("--csv-separator must be one character") }
    }

    var options: TrainingOptions {
        var options = TrainingOptions(batchSize: batchSize)
        options.steps = steps
        options.epochs = epochs
        options.learningRate = lr
        options.warmup = warmup
        options.weightDecay = weightDecay
        options.beta1 = beta1
        options.beta2 = beta2
        options.epsilon = eps
        options.loss = LossKind(rawValue: loss) ?? .clip
        options.accumulation = accumFreq
        options.gradientClipNorm = gradClipNorm
        options.augmentation = augment
        options.shuffle = shuffle == "true"
        options.seed = seed
        options.lockImage = lockImage
        options.lockImageUnlockedGroups = lockImageUnlockedGroups
        options.lockText = lockText
        options.checkpointEvery = saveEvery
        options.lora = loraRank.map {
            LoRAOptions(rank: $0, alpha: loraAlpha, dropout: loraDropout, towers: LoRAOptions.Towers(rawValue: loraTowers) ?? .both)
        }
        return options
    }

    func run() throws {
        try options.validate()
        var resumeFolder: URL? = nil
        let loaded: LoadedModel
        var baseModel = model
        if let resume {
            let folder = try TrainingCheckpoint.locate(resume)
            resumeFolder = folder
            let state = try TrainingCheckpoint.readState(folder)
            if state.options.lora != nil {
                // A LoRA checkpoint holds merged weights; the adapters go back onto the unmerged base.
                guard let base = model ?? state.baseModel else {
                    throw ValidationError("this LoRA checkpoint does not name its base model; give it with --model")
                }
                baseModel = base
                let resolved = try resolveModel(base)
                loaded = try CLIPLoader.load(path: resolved.path, quickGELU: resolved.quickGELU)
            } else {
                loaded = try CLIPLoader.load(path: folder.path)
            }
        } else if let model {
            let resolved = try resolveModel(model)
            loaded = try CLIPLoader.load(path: resolved.path, quickGELU: resolved.quickGELU)
        } else {
            loaded = try Self.fresh(modelConfig!, seed: seed)
        }
        let separator: Character? = csvSeparator.map { $0 == "\\t" ? "\t" : Character($0) }
        let data = try CaptionedImages.open(trainData, imageColumn: csvImageKey, captionColumn: csvCaptionKey, separator: separator)
        let batches = try TrainingBatches(data: data, batchSize: batchSize, shuffle: shuffle == "true", seed: seed,
                                          augmentation: Augmentation(rawValue: augment)!, preprocessor: loaded.preprocessor,
                                          tokenizer: try loaded.makeTokenizer())
        let trainer = try Trainer(loaded: loaded, batches: batches, options: options, output: URL(fileURLWithPath: output), resume: resumeFolder)
        trainer.baseModel = baseModel.map { FileManager.default.fileExists(atPath: $0) ? URL(fileURLWithPath: $0).standardizedFileURL.path : $0 }
        if let distill {
            let resolved = try resolveModel(distill)
            let teacher = try CLIPLoader.load(path: resolved.path, quickGELU: resolved.quickGELU)
            let student = loaded.model.configuration
            guard teacher.model.configuration.vision.imageSize == student.vision.imageSize,
                  teacher.model.configuration.text.contextLength >= student.text.contextLength else {
                throw ValidationError("the teacher must take the student's image size and at least its context length")
            }
            if distillFeatureWeight > 0 && teacher.model.configuration.embedDim != student.embedDim {
                throw ValidationError("--distill-feature-weight needs equal embedding widths (teacher \(teacher.model.configuration.embedDim), student \(student.embedDim))")
            }
            trainer.teacher = teacher.model
            trainer.distillFeatureWeight = distillFeatureWeight
        }
        if let valData {
            let dataset = try ClassificationDataset.open(valData, classesFile: valClasses)
            let templates = try PromptTemplates.named(valTemplates)
            trainer.validation = { model in
                try ZeroShotEvaluation.run(loaded: model, modelName: "training", dataset: dataset, templates: templates,
                                           cacheDirectory: nil).report.metrics
            }
            trainer.validationEvery = valEvery
            trainer.validationReport = { record in
                let text = record.val.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f%%", $0.key, $0.value * 100) }.joined(separator: ", ")
                FileHandle.standardError.write(Data("\nvalidation at step \(record.step): \(text)\n".utf8))
            }
        }
        let isTerminal = isatty(STDERR_FILENO) == 1
        let started = Date()
        var lastPrint = Date.distantPast
        try trainer.run { record in
            let now = Date()
            guard record.step == trainer.totalSteps || now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.2 : 10) else { return }
            lastPrint = now
            let line = String(format: "step %d/%d  epoch %d  loss %.4f  lr %.2e  scale %.2f  %.1f samples/s  %.0f s",
                              record.step, trainer.totalSteps, record.epoch, record.loss, record.learningRate,
                              Foundation.exp(record.logitScale), record.samplesPerSecond, now.timeIntervalSince(started))
            FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + line + (isTerminal ? "" : "\n")).utf8))
        }
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        if trainer.progress.skippedSamples > 0 {
            FileHandle.standardError.write(Data("\(trainer.progress.skippedSamples) unreadable samples were skipped\n".utf8))
        }
        print(trainer.checkpointFolder.path)
    }

    /// A randomly initialised model from a preset name or an open_clip config file.
    static func fresh(_ name: String, seed: UInt64) throws -> LoadedModel {
        let configuration: CLIPConfiguration
        var preprocessor: ImagePreprocessor? = nil
        if FileManager.default.fileExists(atPath: name) {
            let data = try Data(contentsOf: URL(fileURLWithPath: name))
            configuration = try CLIPConfiguration.openCLIP(json: data, source: name)   // bare model_cfg or open_clip_config.json
            preprocessor = try CLIPLoader.openCLIPPreprocessing(data, imageSize: configuration.vision.imageSize, source: name)
        } else {
            configuration = try CLIPPresets.configuration(named: name)
        }
        let model = CLIP(configuration)
        ModelInitializer.initialize(model, seed: seed)
        return LoadedModel(model: model, layout: .openCLIP, weightsPath: "(random initialisation)", architectureName: name,
                           preprocessor: preprocessor ?? ImagePreprocessor(size: configuration.vision.imageSize),
                           vocabulary: try BPEVocabulary.bundled(), storedTypes: [])
    }
}
