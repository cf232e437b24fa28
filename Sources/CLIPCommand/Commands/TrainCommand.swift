import ArgumentParser
import CLIPEvaluation
import CLIPModel
import CLIPTensor
import CLIPTraining
import Foundation

/// `clip train`: contrastive training from scratch or from a checkpoint, with open_clip's semantics.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune a CLIP model (CLIP or SigLIP loss, AdamW, warmup + cosine), writing open_clip checkpoints.",
        discussion: """
        Start from --model-config (randomly initialised) or --model (fine-tuning). Checkpoints go to \
        OUTPUT-DIR/checkpoints/step_N (open_clip_config.json, open_clip_model.safetensors, training_state.safetensors); \
        OUTPUT-DIR/metrics.jsonl gets one line per step. --resume DIR continues a run exactly where its checkpoint left it.

        Data-parallel over processes and machines: `mpirun -np N clip train …` (or `srun --mpi=pmix clip train …` under \
        Slurm). --batch-size stays the global batch, split over the ranks; the run computes what one process would. \
        Threads per rank default to the host's cores divided by its ranks (CLIP_NUM_THREADS overrides).
        """)

    @OptionGroup(title: "Model") var source: ModelSourceOptions
    @OptionGroup(title: "Data") var data: TrainingDataOptions
    @OptionGroup(title: "Optimiser and schedule") var optimizer: OptimizerOptions
    @OptionGroup(title: "Fine-tuning (LiT, LoRA)") var fineTuning: FineTuningOptions
    @OptionGroup(title: "Distillation") var distillation: DistillationOptions
    @OptionGroup(title: "Validation") var validation: ValidationOptions
    @OptionGroup(title: "Run and checkpoints") var checkpoints: RunOptions
    @OptionGroup(title: "Report") var report: ReportOptions

    func validate() throws {
        guard source.source != nil || checkpoints.resume != nil else {
            throw ValidationError("give --model-config or --model (or --resume)")
        }
        do { try options.validate() } catch { throw ValidationError("\(error)") }   // a usage error: exit 64
    }

    /// The run's settings, as the trainer and the batches read them.
    var options: TrainingOptions {
        var options = TrainingOptions(batchSize: data.batchSize)
        options.steps = optimizer.steps
        options.epochs = optimizer.epochs
        options.learningRate = optimizer.lr
        options.warmup = optimizer.warmup
        options.weightDecay = optimizer.weightDecay
        options.beta1 = optimizer.beta1
        options.beta2 = optimizer.beta2
        options.epsilon = optimizer.eps
        options.loss = optimizer.loss
        options.accumulation = optimizer.accumFreq
        options.gradientClipNorm = optimizer.gradClipNorm
        options.augmentation = data.augment
        options.shuffle = data.shuffle
        options.seed = checkpoints.seed
        options.lockImage = fineTuning.lockImage
        options.lockImageUnlockedGroups = fineTuning.lockImageUnlockedGroups
        options.lockText = fineTuning.lockText
        options.checkpointEvery = checkpoints.saveEvery
        options.lora = fineTuning.lora
        options.mixedPrecision = checkpoints.precision.mixedPrecision
        return options
    }

    func run() throws {
        let communicator = try DistributedLaunch.communicator()
        do {
            try train(communicator)
            DistributedLaunch.finish(communicator)
        } catch where communicator.size > 1 {
            // The other ranks would wait for this one forever: say why here, then end the job.
            StandardStreams.printDiagnostic("error: rank \(communicator.rank) of \(communicator.size): \(error)")
            communicator.abort(code: 1)
        }
    }

    private func train(_ communicator: any Communicator) throws {
        let start = try TrainingStart.prepare(source: source.source, resume: checkpoints.resume, seed: checkpoints.seed) { try loadModel($0) }
        let trainer = try Trainer(loaded: start.loaded, data: try data.open(), options: options,
                                  output: URL(fileURLWithPath: checkpoints.outputDir), resume: start.resumeCheckpoint,
                                  communicator: communicator)
        trainer.baseModel = start.baseModel
        if let teacher = distillation.distill {
            try trainer.distill(from: try loadModel(teacher).model, featureWeight: distillation.distillFeatureWeight)
        }
        if let valData = validation.valData { try addValidation(on: valData, to: trainer) }
        let started = Date()
        guard communicator.isLeader else {
            try trainer.run()
            return
        }
        if communicator.size > 1 {
            StandardStreams.printDiagnostic("training on \(communicator.size) ranks, \(ComputeThreads.count) threads each on rank 0's host")
        }
        let progress = try trainer.runWithProgress()
        try report.emit(TrainReport(trainer: trainer, progress: progress, seconds: Date().timeIntervalSince(started)))
    }

    private func addValidation(on path: String, to trainer: Trainer) throws {
        let dataset = try ClassificationDataset.open(path, classNames: try validation.classes.names())
        let templates = try validation.templates.load()
        trainer.validation = { model in
            try ZeroShotEvaluation.run(loaded: model, modelName: "training", dataset: dataset, templates: templates,
                                       cacheDirectory: nil).report.metrics
        }
        trainer.validationEvery = validation.valEvery
        trainer.validationReport = { record in
            let text = record.val.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f%%", $0.key, $0.value * 100) }
            StandardStreams.printDiagnostic("validation at step \(record.step): \(text.joined(separator: ", "))")
        }
    }
}

/// What a finished training run reports.
struct TrainReport: Report {
    let checkpoint: String
    let steps: Int
    let finalLoss: Float?
    let skippedSamples: Int
    let seconds: Double

    enum CodingKeys: String, CodingKey {
        case checkpoint, steps
        case finalLoss = "final_loss", skippedSamples = "skipped_samples", seconds = "elapsed_seconds"
    }

    init(trainer: Trainer, progress: TrainingProgress, seconds: Double) {
        checkpoint = trainer.checkpointFolder.path
        steps = progress.step
        finalLoss = trainer.lastLoss
        skippedSamples = progress.skippedSamples
        self.seconds = seconds
    }

    var text: String {
        var lines = [checkpoint, "\(steps) steps in " + String(format: "%.1f s", seconds)
                     + (finalLoss.map { String(format: ", final loss %.4f", $0) } ?? "")]
        if skippedSamples > 0 { lines.append("\(skippedSamples) unreadable samples were skipped") }
        return lines.joined(separator: "\n")
    }
}

extension Trainer {
    /// Runs to the end with a progress bar on standard error (loss, learning rate, logit scale).
    func runWithProgress(label: String = "train") throws -> TrainingProgress {
        let renderer = ProgressRenderer.shared
        var last: StepRecord?
        let progress = try run { record in
            last = record
            let detail = String(format: "loss %.4f  lr %.2e  scale %.2f", record.loss, record.learningRate, Foundation.exp(record.logitScale))
            renderer.update(label, record.step, self.totalSteps, detail: detail)
        }
        if last == nil { renderer.finish(label, progress.step) }
        return progress
    }
}
