// Legend: B batch, K accumulation micro-batches, E embedding width.
import CLIPFileSystem
import CLIPModel
import CLIPNN
import CLIPOptim
import CLIPTensor
import Dispatch
import Foundation

/// One line of `metrics.jsonl`.
public struct StepRecord: Codable, Sendable {
    /// The step just completed (1-based).
    public let step: Int
    /// The epoch it drew its data from.
    public let epoch: Int
    /// Its loss.
    public let loss: Float
    /// Its learning rate.
    public let learningRate: Float
    /// `logit_scale` after the step.
    public let logitScale: Float
    /// The step's throughput.
    public let samplesPerSecond: Double
    /// Seconds spent waiting for data in this step.
    public let dataWait: Double
    /// In a distributed run: bytes this rank handed to collectives in this step.
    public var communicationBytes: Int?
    /// In a distributed run: seconds this rank spent in collectives in this step.
    public var communicationSeconds: Double?
    /// In a distributed run: of `communicationSeconds`, those spent waiting for slower ranks before the
    /// gradients' all-reduce.
    public var waitSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case step, epoch, loss, learningRate = "lr", logitScale = "logit_scale", samplesPerSecond = "samples_per_second"
        case dataWait = "data_wait", communicationBytes = "comm_bytes", communicationSeconds = "comm_seconds", waitSeconds = "wait_seconds"
    }
}

/// Work started on a background queue, waited for later.
struct Prefetch<Value>: @unchecked Sendable {
    private let group = DispatchGroup()
    private let box = Box()

    private final class Box: @unchecked Sendable { var result: Result<Value, Error>? }

    init(_ work: @escaping @Sendable () throws -> Value) {
        let box = self.box
        DispatchQueue.global(qos: .userInitiated).async(group: group) { box.result = Result { try work() } }
    }

    func wait() throws -> Value {
        group.wait()
        return try box.result!.get()
    }
}

/// A validation line of `metrics.jsonl`.
public struct ValidationRecord: Codable, Sendable {
    /// The step validated after.
    public let step: Int
    /// The validation metrics.
    public let val: [String: Double]
}

/// Trains a CLIP model as open_clip's `train_one_epoch` does: per step the learning rate from the
/// warmup-cosine schedule, the loss over the whole effective batch (with `accumulation` > 1, the other
/// micro-batches' features come from a no-grad pass, as `--accum-freq`), backward, optional gradient
/// clipping, AdamW, then the logit-scale clamp. Checkpoints every `checkpointEvery` steps and at the
/// end under `output/checkpoints/step_N`; `metrics.jsonl` gets one line per step.
///
/// Across the ranks of a `communicator` (data parallelism, open_clip's semantics under
/// torch.distributed): each rank takes its slice of every global batch of `batchSize`, the losses
/// exchange features between ranks (`DistributedContrastiveStep`), gradients are summed over ranks
/// before clipping, and every rank applies the same AdamW step, so the run computes what one process
/// would with the same global batch. Only rank 0 writes checkpoints, metrics and validations.
public final class Trainer {
    /// The model being trained.
    public let loaded: LoadedModel
    /// The batches, in the run's deterministic order.
    public let batches: TrainingBatches
    /// The run's settings.
    public let options: TrainingOptions
    /// The run folder.
    public let output: URL
    /// The optimizer.
    public let optimizer: AdamW
    /// Where the run stands: step, epoch, position in the epoch, skipped samples.
    public private(set) var progress: TrainingProgress
    /// The loss of the latest step this process ran (nil before the first).
    public private(set) var lastLoss: Float?
    /// Steps the run ends at.
    public let totalSteps: Int
    private let schedule: LearningRateSchedule
    /// An evaluation run every `validationEvery` steps and at the end (zero-shot accuracy on a
    /// validation set, say); its metrics go to `metrics.jsonl` as `{"step": N, "val": {…}}`.
    public var validation: ((LoadedModel) throws -> [String: Double])?
    /// Steps between validations (and always at the end).
    public var validationEvery: Int?
    /// A teacher for distillation (open_clip's `--distill`): its logits are the soft targets of
    /// `ContrastiveLoss.distillation`, added to the CLIP loss. Set with `distill(from:featureWeight:)`.
    public private(set) var teacher: CLIP?
    /// Weight of the optional `1 − cos(student, teacher)` feature term (needs equal embedding widths).
    public private(set) var distillFeatureWeight: Float = 0
    /// With `options.lora`: the adapters being trained.
    public let adapters: [AttachedAdapter]
    /// With `options.lora`: the model reference the run started from, kept in checkpoints so that
    /// `--resume` can rebuild the unmerged base weights.
    public var baseModel: String?
    /// The ranks of the run; a `SingleProcessCommunicator` when it runs alone.
    public let communicator: any Communicator

    /// Prepares a run; `resume` (a checkpoint folder) restores weights' optimizer state and progress.
    /// The model must already hold the checkpoint's weights when resuming, except with LoRA, where it
    /// holds the base model's and the adapters come from the checkpoint.
    /// Every rank of a distributed run calls it with the same arguments and its own `communicator`.
    public init(loaded: LoadedModel, data: CaptionedImages, options: TrainingOptions, output: URL,
                resume: URL? = nil, communicator: any Communicator = SingleProcessCommunicator()) throws {
        try options.validate()
        guard options.batchSize % communicator.size == 0, options.batchSize / communicator.size >= 1 else {
            throw TrainingError.invalidOption("--batch-size \(options.batchSize) (the global batch) must be a multiple of the \(communicator.size) ranks")
        }
        self.communicator = communicator
        self.loaded = loaded
        self.batches = try TrainingBatches(data: data, options: options, preprocessor: loaded.preprocessor,
                                           tokenizer: try loaded.makeTokenizer())
        self.options = options
        self.output = output
        let model = loaded.model
        let loadedWeights = model.namedParameters().map(\.parameter.wrappedValue)
        model.prepareForTraining()
        if options.lockImage { try model.lockImageTower(unlockedGroups: options.lockImageUnlockedGroups) }
        if options.lockText { model.lockTextTower() }
        if let lora = options.lora {
            adapters = model.lowRankAdapters.isEmpty ? try model.attachLowRankAdapters(lora, seed: options.seed) : model.lowRankAdapters
        } else {
            adapters = []
        }
        // Frozen parameters are never written: they go back to the loaded (often memory-mapped)
        // tensors instead of holding a private copy each (LiT and LoRA keep most of a model frozen).
        for ((_, parameter), loadedWeight) in zip(model.namedParameters(), loadedWeights) where !parameter.wrappedValue.requiresGrad {
            parameter.wrappedValue = loadedWeight
        }
        if options.loss == .siglip && model.logitBias == nil {
            throw TrainingError.invalidOption("--loss siglip needs a model with a logit_bias (init_logit_bias in its config, e.g. a SigLIP config)")
        }
        let microBatchesPerEpoch = batches.batchesPerEpoch
        guard microBatchesPerEpoch >= options.accumulation else {
            throw TrainingError.invalidOption("an epoch has \(microBatchesPerEpoch) batches, fewer than --accum-freq \(options.accumulation)")
        }
        totalSteps = options.steps ?? (microBatchesPerEpoch / options.accumulation) * options.epochs
        schedule = .cosine(base: options.learningRate, warmup: options.warmup, total: totalSteps)
        let trainable = model.namedParameters() + adapters.flatMap(\.namedParameters)
        optimizer = AdamW(groups: ParameterGroups.openCLIP(trainable, weightDecay: options.weightDecay), learningRate: options.learningRate,
                          beta1: options.beta1, beta2: options.beta2, epsilon: options.epsilon)
        progress = TrainingProgress(step: 0, epoch: 0, position: 0, skippedSamples: 0)
        if let resume {
            let state = try TrainingCheckpoint.readState(resume)
            guard state.options.lora == options.lora else {
                throw TrainingError.invalidOption("the checkpoint was trained \(state.options.lora.map { "with LoRA rank \($0.rank)" } ?? "without LoRA"); resume with the same --lora-* options")
            }
            do {
                try optimizer.restore(moments: state.moments, stepCount: state.adamSteps)
            } catch {
                throw TrainingError.checkpoint(path: resume.path, reason: FailureReason.of(error))
            }
            progress = state.progress
            try TrainingCheckpoint.restoreAdapters(adapters, from: state.adapters, checkpoint: resume)
        }
        try Self.checkRanksAgree(on: trainable, progress: progress, communicator: communicator)
    }

    /// Every rank must start from the same weights and step (they load the same model and checkpoint,
    /// or initialise from the same seed); ranks that do not (a checkpoint visible to some hosts only,
    /// say) would silently train different models, so they stop here.
    private static func checkRanksAgree(on parameters: [(name: String, parameter: Parameter)], progress: TrainingProgress,
                                        communicator: any Communicator) throws {
        guard communicator.size > 1 else { return }
        var fingerprint: UInt64 = UInt64(progress.step)
        for (_, parameter) in parameters {
            parameter.wrappedValue.withUnsafeBufferPointer { values in
                var sum: Double = 0
                for value in values { sum += Double(value) }
                fingerprint = fingerprint &* 0x100_0000_01B3 ^ sum.bitPattern
            }
        }
        let all = try communicator.allGather([Int(bitPattern: UInt(fingerprint))])
        guard Set(all).count == 1 else {
            let differing = all.indices.filter { all[$0] != all[0] }
            throw TrainingError.invalidOption("ranks \(differing) start from other weights or another step than rank 0: every rank must load the same model or checkpoint")
        }
    }

    /// Distils from `teacher` (open_clip's `--distill`), which must take the student's images and at
    /// least its context length; a `featureWeight` above 0 adds a `1 − cos` feature term, which needs
    /// equal embedding widths.
    public func distill(from teacher: CLIP, featureWeight: Float = 0) throws {
        let student = loaded.model.configuration
        guard teacher.configuration.vision.imageSize == student.vision.imageSize,
              teacher.configuration.text.contextLength >= student.text.contextLength else {
            throw TrainingError.invalidOption("the teacher must take the student's image size and at least its context length")
        }
        guard featureWeight >= 0, featureWeight.isFinite else {
            throw TrainingError.invalidOption("the distillation feature weight must be ≥ 0")
        }
        if featureWeight > 0 && teacher.configuration.embedDim != student.embedDim {
            throw TrainingError.invalidOption("distilling features needs equal embedding widths (teacher \(teacher.configuration.embedDim), student \(student.embedDim))")
        }
        self.teacher = teacher
        distillFeatureWeight = featureWeight
    }

    /// Runs until `totalSteps`, calling `report` after every step.
    @discardableResult
    public func run(report: ((StepRecord) -> Void)? = nil) throws -> TrainingProgress {
        let metrics = try communicator.isLeader ? Self.openMetrics(in: output) : nil
        defer { try? metrics?.close() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // The next step's micro-batches are decoded on a background queue while this step computes.
        var pending = prefetch(after: progress)
        while progress.step < totalSteps {
            let started = Date()
            let trafficBefore = communicator.traffic
            let (microBatches, advanced) = try agreedMicroBatches(pending)
            progress.epoch = advanced.epoch
            progress.position = advanced.position
            progress.skippedSamples += try communicator.allGather([microBatches.reduce(0) { $0 + $1.skipped.count }]).reduce(0, +)
            if progress.step + 1 < totalSteps { pending = prefetch(after: progress) }
            let dataWait = Date().timeIntervalSince(started)
            let learningRate = schedule.learningRate(at: progress.step)
            optimizer.learningRate = learningRate
            let loss = try step(microBatches)
            guard loss.isFinite else { throw TrainingError.diverged(step: progress.step, loss: loss) }
            lastLoss = loss
            progress.step += 1
            let elapsed = Date().timeIntervalSince(started)
            var record = StepRecord(step: progress.step, epoch: progress.epoch, loss: loss, learningRate: learningRate,
                                    logitScale: loaded.model.logitScale.item(),
                                    samplesPerSecond: Double(batches.batchSize * options.accumulation) / max(elapsed, 1e-9),
                                    dataWait: dataWait)
            if communicator.size > 1 {
                let traffic = communicator.traffic.since(trafficBefore)
                record.communicationBytes = traffic.bytes
                record.communicationSeconds = traffic.seconds
                record.waitSeconds = traffic.operations["barrier"]?.seconds ?? 0
            }
            try metrics?.write(contentsOf: try encoder.encode(record) + Data("\n".utf8))
            report?(record)
            if let every = options.checkpointEvery, progress.step % every == 0, progress.step < totalSteps {
                try checkpoint()
            }
            if let validation, communicator.isLeader,
               progress.step == totalSteps || validationEvery.map({ progress.step % $0 == 0 }) == true {
                let results = try loaded.model.withAdaptersInInferenceMode { try validation(loaded) }
                let line = ValidationRecord(step: progress.step, val: results)
                try metrics?.write(contentsOf: try encoder.encode(line) + Data("\n".utf8))
                validationReport?(line)
            }
        }
        try checkpoint()
        // No rank leaves before the last checkpoint is in place.
        try communicator.barrier()
        return progress
    }

    private static func openMetrics(in output: URL) throws -> FileHandle {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let metricsFile = output.appendingPathComponent("metrics.jsonl")
        if !FileManager.default.fileExists(atPath: metricsFile.path) { _ = FileManager.default.createFile(atPath: metricsFile.path, contents: nil) }
        let metrics = try FileHandle(forWritingTo: metricsFile)
        try metrics.seekToEnd()
        return metrics
    }

    /// A rank that met an unreadable sample while prefetching alone: the ranks must then deal out
    /// replacements together (`TrainingBatches.batch(…agree:)`).
    private struct NeedsAgreement: Error {}

    /// The next step's micro-batches, decoded in the background. Alone, a rank fills its batches
    /// itself; among several it assumes none of them meets an unreadable sample, which
    /// `agreedMicroBatches` then checks.
    private func prefetch(after progress: TrainingProgress) -> Prefetch<([TrainingBatch], TrainingProgress)> {
        let share = BatchShare(rank: communicator.rank, ranks: communicator.size)
        return Prefetch { [batches, options] in
            try Self.microBatches(batches, options, after: progress, share: share) { missing in
                guard share.ranks == 1 else {
                    if missing > 0 { throw NeedsAgreement() }
                    return [Int](repeating: 0, count: share.ranks)
                }
                return [missing]
            }
        }
    }

    /// The prefetched micro-batches if every rank read all of its samples; otherwise (rarely) the ranks
    /// read the step's batches again, together, replacing the unreadable samples as one process would.
    private func agreedMicroBatches(_ pending: Prefetch<([TrainingBatch], TrainingProgress)>) throws -> ([TrainingBatch], TrainingProgress) {
        let prefetched = Result { try pending.wait() }
        guard communicator.size > 1 else { return try prefetched.get() }
        var needsAgreement = false
        if case let .failure(error) = prefetched, error is NeedsAgreement { needsAgreement = true }
        guard try communicator.allGather([needsAgreement ? 1 : 0]).contains(1) else { return try prefetched.get() }
        return try Self.microBatches(batches, options, after: progress, share: BatchShare(rank: communicator.rank, ranks: communicator.size),
                                     agree: { try self.communicator.allGather([$0]) })
    }

    /// Called with each validation result.
    public var validationReport: ((ValidationRecord) -> Void)?

    /// This rank's share of the micro-batches of the step after `progress`, and where the data stands
    /// after them (moving to the next epoch when one runs out). Pure: the same progress gives the same
    /// batches. `agree` is `TrainingBatches.batch`'s.
    static func microBatches(_ batches: TrainingBatches, _ options: TrainingOptions, after progress: TrainingProgress,
                             share: BatchShare, agree: (Int) throws -> [Int]) throws -> ([TrainingBatch], TrainingProgress) {
        var state = progress
        var order = batches.order(epoch: state.epoch)
        var result: [TrainingBatch] = []
        while result.count < options.accumulation {
            if state.position + batches.batchSize > order.count {
                state.epoch += 1
                state.position = 0
                order = batches.order(epoch: state.epoch)
            }
            let (batch, next) = try batches.batch(epoch: state.epoch, startingAt: state.position, order: order, share: share, agree: agree)
            state.position = next
            result.append(batch)
        }
        return (result, state)
    }

    /// The folder of the checkpoint at the current step.
    public var checkpointFolder: URL {
        output.appendingPathComponent("checkpoints/step_\(String(format: "%06d", progress.step))")
    }

    /// Writes a checkpoint of the current step atomically into `checkpointFolder` (on rank 0; other ranks
    /// write nothing).
    public func checkpoint() throws {
        guard communicator.isLeader else { return }
        try TrainingCheckpoint.write(loaded, optimizer: optimizer, progress: progress, options: options, adapters: adapters,
                                     baseModel: baseModel, to: checkpointFolder)
    }

    /// One optimizer step over `microBatches`; returns the loss.
    private func step(_ microBatches: [TrainingBatch]) throws -> Float {
        let model = loaded.model
        optimizer.zeroGradients()
        for (index, attached) in adapters.enumerated() {
            attached.adapter.reseed(options.seed ^ (UInt64(progress.step) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xBF58_476D_1CE4_E5B9))
        }
        let teacherFeatures = try teacher.map { teacher in
            try withNoGrad {
                (concatenate(try microBatches.map { try teacher.encodeImage($0.images, normalize: true) }, alongAxis: 0),
                 concatenate(try microBatches.map { try teacher.encodeText($0.tokens, normalize: true) }, alongAxis: 0))
            }
        }
        let exchange = DistributedContrastiveStep(communicator: communicator, loss: options.loss)
        let distillation = teacher.map { teacher in
            DistributedContrastiveStep.Distillation(image: teacherFeatures!.0, text: teacherFeatures!.1,
                                                    scale: Foundation.exp(teacher.logitScale.item()), featureWeight: distillFeatureWeight)
        }
        func lossAndBackward(_ image: Tensor, _ text: Tensor) throws -> Float {
            try exchange.lossAndBackward(image: image, text: text, scale: exp(model.logitScale), bias: model.logitBias,
                                         distillation: distillation)
        }
        var lossValue: Float = 0
        if microBatches.count == 1 {
            let (image, text) = try features(microBatches[0])
            lossValue = try lossAndBackward(image, text)
        } else {
            // Features of every micro-batch without gradients, then each micro-batch again with them,
            // the others' cached features standing in: the loss always sees the whole effective batch.
            let cached = try withNoGrad { try microBatches.map { try features($0) } }
            for index in microBatches.indices {
                let (image, text) = try features(microBatches[index])
                let images = concatenate(cached.indices.map { $0 == index ? image : cached[$0].0 }, alongAxis: 0)   // [K·B, E]
                let texts = concatenate(cached.indices.map { $0 == index ? text : cached[$0].1 }, alongAxis: 0)
                lossValue = try lossAndBackward(images, texts)
            }
        }
        let trainable = optimizer.groups.flatMap(\.parameters)
        try GradientBuckets(communicator: communicator).allReduce(trainable)
        if let norm = options.gradientClipNorm { clipGradientNorm(trainable, maximumNorm: norm) }
        optimizer.step()
        model.clampLogitScale()
        return lossValue
    }

    /// The batch's normalised features; in mixed precision their products (forward, and backward
    /// when it comes) multiply in bf16, while the loss on them stays f32 as its logits need: at a
    /// logit scale of 100, bf16's 8 bits would blur logits by about 0.4.
    private func features(_ batch: TrainingBatch) throws -> (Tensor, Tensor) {
        let model = loaded.model
        return try withBF16Products(enabled: options.mixedPrecision == .bf16) {
            (try model.encodeImage(batch.images, normalize: true), try model.encodeText(batch.tokens, normalize: true))
        }
    }
}
