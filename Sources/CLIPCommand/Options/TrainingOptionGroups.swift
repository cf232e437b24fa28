import ArgumentParser
import CLIPModel
import CLIPTraining
import Foundation

extension LossKind: ExpressibleByArgument {}
extension Augmentation: ExpressibleByArgument {}
extension LoRAOptions.Towers: ExpressibleByArgument {}

/// Where training starts: a configuration to build fresh, or a model to fine-tune.
struct ModelSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A preset name (ViT-B-32, RN50, …) or an open_clip model config JSON, randomly initialised.", valueName: "config"))
    var modelConfig: String?

    @Option(help: ArgumentHelp("A model to fine-tune: directory, file, Hub repository or ARCH:TAG.", valueName: "ref"))
    var model: String?

    /// What to build or load; nil when neither option was given (a resume may still name the model).
    var source: TrainingStart.Source? {
        if let modelConfig { return .fresh(configuration: modelConfig) }
        return model.map { .pretrained(reference: $0) }
    }

    func validate() throws {
        if modelConfig != nil && model != nil { throw ValidationError("give --model-config or --model, not both") }
    }
}

/// The data a run trains on and how it is batched.
struct TrainingDataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A TSV/CSV file (paths relative to it), a folder of image + .txt pairs, or webdataset shards (shards-{000..009}.tar).", valueName: "path"))
    var trainData: String

    @Option(help: "The image column of a table.") var csvImageKey = "filepath"
    @Option(help: "The caption column of a table.") var csvCaptionKey = "title"
    @Option(help: "The table separator, one character or \\t (default: tab for .tsv, comma otherwise).") var csvSeparator: String?

    @Option(parsing: .unconditional, help: "Samples per micro-batch (at least 2: a contrastive loss needs negatives).") var batchSize: Int
    @Option(help: "How training images are augmented.") var augment: Augmentation = .standard
    @Flag(inversion: .prefixedNo, help: "Shuffle the data each epoch.") var shuffle = true

    func validate() throws {
        if let csvSeparator, csvSeparator.count != 1, csvSeparator != "\\t" { throw ValidationError("--csv-separator must be one character") }
    }

    func open() throws -> CaptionedImages {
        let separator: Character? = csvSeparator.map { $0 == "\\t" ? "\t" : Character($0) }
        return try CaptionedImages.open(trainData, imageColumn: csvImageKey, captionColumn: csvCaptionKey, separator: separator)
    }
}

/// The loss, AdamW and the learning-rate schedule (open_clip's defaults).
struct OptimizerOptions: ParsableArguments {
    @Option(help: "The loss to minimise.") var loss: LossKind = .clip
    @Option(help: "Passes over the data (ignored when --steps is given).") var epochs = 1
    @Option(help: "Optimizer steps to run.") var steps: Int?
    @Option(help: "Peak learning rate.") var lr: Float = 5e-4
    @Option(help: "Linear warmup steps, then cosine decay to 0.") var warmup = 10_000
    @Option(help: "AdamW weight decay (not applied to gains, biases, logit scale).") var weightDecay: Float = 0.2
    @Option(help: "AdamW β1.") var beta1: Float = 0.9
    @Option(help: "AdamW β2.") var beta2: Float = 0.98
    @Option(help: "AdamW ε.") var eps: Float = 1e-6
    @Option(help: "Micro-batches per optimizer step; the loss sees all of them.") var accumFreq = 1
    @Option(help: "Clip the gradients' joint 2-norm to this.") var gradClipNorm: Float?
}

/// LiT tower locking and LoRA adapters.
struct FineTuningOptions: ParsableArguments {
    @Flag(help: "Freeze the image tower (LiT).") var lockImage = false
    @Option(help: "With --lock-image: leave this many final layer groups trainable.") var lockImageUnlockedGroups = 0
    @Flag(help: "Freeze the text tower.") var lockText = false
    @Option(help: "Fine-tune with LoRA adapters of this rank (attention in/out projections and MLPs); the rest is frozen.") var loraRank: Int?
    @Option(help: "With --lora-rank: the adapters' output is scaled by alpha / rank (default alpha = rank).") var loraAlpha: Float?
    @Option(help: "With --lora-rank: dropout on the adapters' input.") var loraDropout: Float = 0
    @Option(help: "With --lora-rank: the towers that get adapters.") var loraTowers: LoRAOptions.Towers = .both

    func validate() throws {
        if loraRank == nil && (loraAlpha != nil || loraDropout != 0 || loraTowers != .both) {
            throw ValidationError("--lora-alpha, --lora-dropout and --lora-towers need --lora-rank")
        }
    }

    var lora: LoRAOptions? {
        loraRank.map { LoRAOptions(rank: $0, alpha: loraAlpha, dropout: loraDropout, towers: loraTowers) }
    }
}

/// Distillation from a teacher model.
struct DistillationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A teacher model to distil from (any model reference); its logits become soft targets.", valueName: "ref"))
    var distill: String?

    @Option(help: "With --distill: weight of a 1 − cos(student, teacher) feature term (0 = off).")
    var distillFeatureWeight: Float = 0
}

/// Zero-shot validation during training.
struct ValidationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Zero-shot validation data: an ImageFolder or a TSV/CSV with filepath and label columns.", valueName: "path"))
    var valData: String?

    @Option(help: "Validate every this many steps (and at the end).")
    var valEvery: Int?

    @OptionGroup var classes: ClassOptions
    @OptionGroup var templates: TemplateOptions
}

/// The run folder, checkpoints, resuming and the seed.
struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The run folder: checkpoints/step_N and metrics.jsonl go here.", valueName: "dir"))
    var outputDir: String

    @Option(help: "Write a checkpoint every this many steps (and at the end).")
    var saveEvery: Int?

    @Option(help: ArgumentHelp("Continue from a checkpoint folder (or a run folder's newest checkpoint).", valueName: "dir"))
    var resume: String?

    @Option(help: "Seed for initialisation, shuffling, augmentation and LoRA.")
    var seed: UInt64 = 0

    @OptionGroup var precision: TrainingPrecisionOptions
}

/// `--precision` of training: f32, or mixed precision as open_clip's `amp_bf16`.
struct TrainingPrecisionOptions: ParsableArguments {
    /// The names `--precision` takes (open_clip's `fp32` is accepted for f32).
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case f32, ampBF16 = "amp_bf16"

        init?(argument: String) {
            self.init(rawValue: argument == "fp32" ? "f32" : argument)
        }
    }

    @Option(help: ArgumentHelp(
        "f32, or amp_bf16: every matrix product forward and backward on bf16-rounded operands with f32 sums, f32 master weights and optimiser state (open_clip's --precision amp_bf16).",
        valueName: "p"))
    var precision: Choice = .f32

    /// The trainer's setting.
    var mixedPrecision: MixedPrecision? { precision == .ampBF16 ? .bf16 : nil }
}
